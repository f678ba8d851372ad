/**
 * The server REST API, compatible with Tencent Cloud API 3.0 for TRTC: `POST /` (or GET with
 * a form query) with X-TC-* headers, signed TC3-HMAC-SHA256 with an application's API
 * credential. Each credential belongs to one application and may only act on it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AppConfig } from '../apps/appsConfig.js';
import { RateLimiter } from '../util/RateLimiter.js';
import { ApiError, sendEnvelope } from './envelope.js';
import { unflatten, type Params } from './params.js';
import { parseTc3Authorization, sameSignature, tc3Date, tc3Signature } from './tc3.js';

export const TRTC_API_VERSION = '2019-07-22';
/** Largest accepted body. */
const MAX_BODY_BYTES = 1 << 20;
/** Tencent refuses timestamps more than 5 minutes off. */
const MAX_SKEW_S = 300;
/** Tencent's per-action limit. */
const REQUESTS_PER_SECOND = 20;

export interface ApiCaller {
  sdkAppId: number;
  secretId: string;
  requestId: string;
  /** Logger bound to this request (requestId, action, secretId). */
  log: Logger;
}

export type ActionHandler = (params: Params, caller: ApiCaller) => Promise<Record<string, unknown>>;

export interface TencentApiOptions {
  apps: readonly AppConfig[];
  actions: Record<string, ActionHandler>;
  log: Logger;
  /** Outcome of every call, for metrics and the recent-errors list. */
  onResult?: (result: { action: string; code: string; ms: number; message?: string }) => void;
  now?: () => number;
}

/** Whether an HTTP request is an API 3.0 call (so `GET /` still serves the demo). */
export function isApiRequest(req: IncomingMessage, url: URL): boolean {
  return (
    url.pathname === '/' &&
    (req.method === 'POST' || (req.method === 'GET' && req.headers['x-tc-action'] !== undefined))
  );
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError('InvalidParameter', `the body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function createTencentApi(options: TencentApiOptions) {
  // The wall clock from a monotonic base: X-TC-Timestamp checks do not follow a Date that
  // is stepped (or faked in tests) while the process runs.
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const credentials = new Map<string, { secretKey: string; sdkAppId: number }>();
  for (const app of options.apps) {
    for (const c of app.apiCredentials) {
      credentials.set(c.secretId, { secretKey: c.secretKey, sdkAppId: app.sdkAppId });
    }
  }
  const limiters = new Map<string, RateLimiter>();

  /** Checks the signature; returns the credential's application. */
  function authenticate(
    req: IncomingMessage,
    url: URL,
    body: Buffer,
  ): { sdkAppId: number; secretId: string } {
    const authorization = header(req, 'authorization');
    if (!authorization) {
      throw new ApiError('AuthFailure.SignatureFailure', 'the Authorization header is missing');
    }
    const auth = parseTc3Authorization(authorization);
    if (!auth) {
      throw new ApiError(
        'AuthFailure.InvalidAuthorization',
        'Authorization is not a TC3-HMAC-SHA256 signature (the only method Parley accepts)',
      );
    }
    const tsRaw = header(req, 'x-tc-timestamp');
    const timestamp = Number(tsRaw);
    if (!tsRaw || !Number.isInteger(timestamp)) {
      throw new ApiError(
        'MissingParameter',
        'the X-TC-Timestamp header is missing or not a number',
      );
    }
    const skew = Math.floor(now() / 1000) - timestamp;
    if (Math.abs(skew) > MAX_SKEW_S) {
      throw new ApiError(
        'AuthFailure.SignatureExpire',
        `X-TC-Timestamp ${timestamp} is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}; at most ${MAX_SKEW_S} s are accepted (check the client's clock)`,
      );
    }
    const credential = credentials.get(auth.secretId);
    if (!credential) {
      throw new ApiError(
        'AuthFailure.SecretIdNotFound',
        `the SecretId ${auth.secretId} is not configured on this server`,
      );
    }
    if (auth.date !== tc3Date(timestamp)) {
      throw new ApiError(
        'AuthFailure.SignatureFailure',
        `the credential date ${auth.date} is not the UTC date of X-TC-Timestamp (${tc3Date(timestamp)})`,
      );
    }
    const unsigned = header(req, 'x-tc-content-sha256') === 'UNSIGNED-PAYLOAD';
    const payload = unsigned ? 'UNSIGNED-PAYLOAD' : body;
    const query = req.method === 'GET' ? url.search.slice(1) : '';
    // The Node SDK signs the host without its port, others with it: accept either.
    const host = header(req, 'host') ?? '';
    const hosts = [...new Set([host, host.replace(/:\d+$/, '')])];
    for (const hostValue of hosts) {
      const headers = auth.signedHeaders.map((name): [string, string] => [
        name,
        name === 'host' ? hostValue.toLowerCase() : (header(req, name) ?? '').trim(),
      ]);
      const expected = tc3Signature({
        method: req.method ?? 'POST',
        query,
        headers,
        payload,
        timestamp,
        date: auth.date,
        service: auth.service,
        secretKey: credential.secretKey,
      });
      if (sameSignature(expected, auth.signature)) {
        return { sdkAppId: credential.sdkAppId, secretId: auth.secretId };
      }
    }
    throw new ApiError(
      'AuthFailure.SignatureFailure',
      'the request signature does not match (wrong SecretKey, or the request was changed after signing)',
    );
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = now();
    const requestId = randomUUID();
    const action = header(req, 'x-tc-action') ?? '';
    let log = options.log.child({ requestId, action });
    let result: Record<string, unknown> | ApiError;
    try {
      const body = await readBody(req);
      const caller = authenticate(req, url, body);
      log = log.child({ secretId: caller.secretId, sdkAppId: caller.sdkAppId });
      if (!action) throw new ApiError('MissingParameter', 'the X-TC-Action header is missing');
      const version = header(req, 'x-tc-version');
      if (version !== TRTC_API_VERSION) {
        throw new ApiError(
          'NoSuchVersion',
          `X-TC-Version ${JSON.stringify(version ?? '')} is not served; use ${TRTC_API_VERSION}`,
        );
      }
      const handler = Object.hasOwn(options.actions, action) ? options.actions[action] : undefined;
      if (!handler) {
        throw new ApiError('InvalidAction', `the action ${action} does not exist or is not served`);
      }
      const limiterKey = `${caller.sdkAppId}|${action}`;
      let limiter = limiters.get(limiterKey);
      if (!limiter) limiters.set(limiterKey, (limiter = new RateLimiter(REQUESTS_PER_SECOND)));
      if (!limiter.take()) {
        throw new ApiError(
          'RequestLimitExceeded',
          `more than ${REQUESTS_PER_SECOND} ${action} calls per second`,
        );
      }
      let params: Params;
      if (req.method === 'GET') {
        params = unflatten(url.searchParams);
      } else {
        try {
          const parsed: unknown = body.length ? JSON.parse(body.toString('utf8')) : {};
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
            throw new Error('not an object');
          }
          params = parsed as Params;
        } catch {
          throw new ApiError('InvalidParameter', 'the body is not a JSON object');
        }
      }
      result = await handler(params, { ...caller, requestId, log });
    } catch (error) {
      if (error instanceof ApiError) {
        result = error;
      } else {
        log.error({ err: error }, 'api action failed');
        result = new ApiError('InternalError', 'internal error; the server log has the details');
      }
    }
    const ms = now() - started;
    const code = result instanceof ApiError ? result.code : 'Success';
    if (result instanceof ApiError)
      log.info({ code, ms, message: result.message }, 'api call refused');
    else log.info({ ms }, 'api call');
    options.onResult?.({
      action,
      code,
      ms,
      ...(result instanceof ApiError ? { message: result.message } : {}),
    });
    sendEnvelope(res, requestId, result);
  };
}
