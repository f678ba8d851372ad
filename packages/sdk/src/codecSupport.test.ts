import { describe, expect, it } from 'vitest';
import { codecsInSdp, isSupportedBrowser } from './codecSupport.js';

describe('codecsInSdp', () => {
  it('lists the rtpmap codecs of an offer once each', () => {
    const sdp = [
      'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98',
      'a=rtpmap:96 VP8/90000',
      'a=rtpmap:97 rtx/90000',
      'a=rtpmap:98 H264/90000',
      'a=rtpmap:99 H264/90000',
    ].join('\r\n');
    expect(codecsInSdp(sdp)).toEqual(['video/vp8', 'video/rtx', 'video/h264']);
  });
});

describe('isSupportedBrowser', () => {
  it('accepts the versions v4 supports and refuses older ones', () => {
    const chrome = (v: number) =>
      `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`;
    expect(isSupportedBrowser(chrome(120))).toBe(true);
    expect(isSupportedBrowser(chrome(55))).toBe(false);
    expect(isSupportedBrowser(`${chrome(120)} Edg/79.0.0.0`)).toBe(false);
    expect(isSupportedBrowser('Mozilla/5.0 (X11; rv:115.0) Gecko/20100101 Firefox/115.0')).toBe(
      true,
    );
    expect(
      isSupportedBrowser(
        'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/10.1 Safari/605.1.15',
      ),
    ).toBe(false);
    expect(isSupportedBrowser('SomethingNew/1.0')).toBe(true);
  });
});
