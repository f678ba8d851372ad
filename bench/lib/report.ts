/** Tables on stdout and JSON results in bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';

export const RESULTS = new URL('../results/', import.meta.url).pathname;

export function table(title: string, head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    '| ' +
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') +
    ' |';
  const out = [
    title,
    line(head),
    '|' +
      widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') +
      '|',
    ...cells.slice(1).map(line),
  ].join('\n');
  console.log(`\n${out}\n`);
  return out;
}

export function writeResult(name: string, data: unknown): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}${name}.json`, JSON.stringify(data, null, 2) + '\n');
}

export const fmt = (value: number | undefined, digits = 1): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
