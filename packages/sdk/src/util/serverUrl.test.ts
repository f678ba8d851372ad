import { describe, expect, it } from 'vitest';
import { normalizeServerUrl, resolveSignalUrl, signalUrlFromScriptSrc } from './serverUrl.js';
import { RtcError } from '../errors/RtcError.js';

describe('server URL', () => {
  it('derives the signaling URL from the script origin', () => {
    expect(signalUrlFromScriptSrc('https://meet.example.com:8443/sdk/trtc.js')).toBe(
      'wss://meet.example.com:8443/signal',
    );
    expect(signalUrlFromScriptSrc('http://127.0.0.1:7880/sdk/trtc.js?v=1')).toBe(
      'ws://127.0.0.1:7880/signal',
    );
    expect(signalUrlFromScriptSrc('file:///tmp/trtc.js')).toBeUndefined();
    expect(signalUrlFromScriptSrc(undefined)).toBeUndefined();
  });

  it.each([
    ['ws://localhost:7880', 'ws://localhost:7880/signal'],
    ['wss://host.example', 'wss://host.example/signal'],
    ['http://10.0.0.2:80/', 'ws://10.0.0.2/signal'],
    ['https://host:8443', 'wss://host:8443/signal'],
    ['https://host/parley', 'wss://host/parley/signal'],
    ['wss://host/parley/signal', 'wss://host/parley/signal'],
    ['ws://host/signal/', 'ws://host/signal'],
  ])('normalizes %s', (input, expected) => {
    expect(normalizeServerUrl(input)).toBe(expected);
  });

  it.each(['', 'localhost:7880', 'ftp://host', 'not a url', 42])('rejects %s', (input) => {
    try {
      normalizeServerUrl(input);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(RtcError);
      expect((error as RtcError).getCode()).toBe(0x1000);
      expect((error as RtcError).message).toContain('serverUrl');
    }
  });

  it('prefers serverUrl, then the script origin, else explains both', () => {
    expect(resolveSignalUrl('ws://a:1', 'wss://b/signal')).toBe('ws://a:1/signal');
    expect(resolveSignalUrl(undefined, 'wss://b/signal')).toBe('wss://b/signal');
    expect(() => resolveSignalUrl(undefined, undefined)).toThrowError(/serverUrl.*\/sdk\/trtc\.js/);
  });
});
