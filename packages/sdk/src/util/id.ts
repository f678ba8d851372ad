/** Random ids for streams: hex, so they are safe inside element ids (`player_<id>`). */
export function randomId(bytes = 8): string {
  const data = new Uint8Array(bytes);
  const crypto = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } })
    .crypto;
  if (crypto?.getRandomValues) crypto.getRandomValues(data);
  else for (let i = 0; i < bytes; i++) data[i] = Math.floor(Math.random() * 256);
  return Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('');
}
