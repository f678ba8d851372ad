import { describe, expect, it } from 'vitest';
import { parseTc3Authorization, tc3Authorization, tc3Date, tc3Signature } from './tc3.js';

describe('TC3-HMAC-SHA256', () => {
  it("reproduces the spec's vector (cvm DescribeInstances)", () => {
    const timestamp = 1640995200;
    expect(
      tc3Signature({
        method: 'POST',
        query: '',
        headers: [
          ['content-type', 'application/json'],
          ['host', 'cvm.tencentcloudapi.com'],
        ],
        payload: '{"Action":"DescribeInstances","Version":"2017-03-12"}',
        timestamp,
        date: tc3Date(timestamp),
        service: 'cvm',
        secretKey: 'test-secret-key',
      }),
    ).toBe('96473b50fe407833672a5d6d067238d88bb44c8abcc39ef83baa3132afbfadd3');
  });

  it('parses the Authorization header it builds', () => {
    const header = tc3Authorization({
      method: 'POST',
      query: '',
      headers: [
        ['host', '127.0.0.1'],
        ['content-type', 'application/json'],
      ],
      payload: '{}',
      timestamp: 1640995200,
      service: '127',
      secretKey: 'k',
      secretId: 'AKIDx',
    });
    expect(parseTc3Authorization(header)).toMatchObject({
      secretId: 'AKIDx',
      date: '2022-01-01',
      service: '127',
      signedHeaders: ['content-type', 'host'],
    });
    expect(parseTc3Authorization('HMAC foo')).toBeNull();
  });
});
