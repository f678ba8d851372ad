/**
 * Real publish offers for server tests, made by werift as a browser's would be (a fake SDP
 * would not get past the SDP translation).
 */
import { MediaStreamTrack, RTCPeerConnection } from 'werift';

export type OfferKind = 'audio' | 'video';

/** An offer with one sendonly section per kind, in order (mids '0', '1', …). */
export async function publishOffer(kinds: readonly OfferKind[]): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  for (const kind of kinds) {
    pc.addTransceiver(new MediaStreamTrack({ kind }), { direction: 'sendonly' });
  }
  const offer = await pc.createOffer();
  await pc.close();
  return offer.sdp;
}

export const audioOffer = (): Promise<string> => publishOffer(['audio']);

/** The track map of `audioOffer()`. */
export const AUDIO_TRACK = [{ mid: '0', kind: 'audio', streamType: 'main', muted: false }] as const;

/** A WHEP player's offer: one recvonly section per kind (mids '0', '1', …). */
export async function playerOffer(kinds: readonly OfferKind[]): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  for (const kind of kinds) pc.addTransceiver(kind, { direction: 'recvonly' });
  const offer = await pc.createOffer();
  await pc.close();
  return offer.sdp;
}
