/**
 * The two simulcast encodings of a dual stream as the publisher connection sends them: the
 * small one (rid `s`) first and the big one (rid `b`) last, as the server orders simulcast
 * layers smallest first. Which profile the small one has is the engine's choice
 * (engine/smallStream.ts); this is only what the connection needs to know.
 */

/** rids of the two encodings (the server learns the layers from the offer's a=rid lines). */
export const SMALL_RID = 's';
export const BIG_RID = 'b';

/** The small encoding's parameters (RTCRtpEncodingParameters fields). */
export interface SmallEncoding {
  scaleResolutionDownBy: number;
  /** bits per second */
  maxBitrate: number;
  maxFramerate: number;
}
