/**
 * What the SDP code negotiates must be what this mediasoup accepts: a header extension it does
 * not know makes produce() throw, so a Chrome publish would fail (toffset left in 3.28).
 */
import * as mediasoup from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_FEEDBACK, SUPPORTED_HEADER_EXTENSIONS } from '../../sdp/sdpCommon.js';

describe('the SDP code against mediasoup', () => {
  const capabilities = mediasoup.getSupportedRtpCapabilities();

  it('negotiates only header extensions mediasoup supports', () => {
    const known = new Set<string>(capabilities.headerExtensions?.map((e) => e.uri));
    expect([...SUPPORTED_HEADER_EXTENSIONS].filter((uri) => !known.has(uri))).toEqual([]);
  });

  it('accepts only RTCP feedback mediasoup has on some codec', () => {
    const known = new Set(
      capabilities.codecs?.flatMap((c) =>
        (c.rtcpFeedback ?? []).map((f) => (f.parameter ? `${f.type} ${f.parameter}` : f.type)),
      ),
    );
    expect([...SUPPORTED_FEEDBACK].filter((fb) => !known.has(fb))).toEqual([]);
  });
});
