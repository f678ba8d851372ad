/** Tencent Cloud API 3.0 responses: HTTP 200 with `Response`, errors in `Response.Error`. */
import type { ServerResponse } from 'node:http';

/** A failed call, answered as `Response.Error` with Tencent's code. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function sendEnvelope(
  res: ServerResponse,
  requestId: string,
  result: Record<string, unknown> | ApiError,
): void {
  const body =
    result instanceof ApiError
      ? {
          Response: { Error: { Code: result.code, Message: result.message }, RequestId: requestId },
        }
      : { Response: { ...result, RequestId: requestId } };
  // SDKs treat any status but 200 as a transport failure, so errors are 200 too.
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'X-TC-RequestId': requestId,
  });
  res.end(JSON.stringify(body));
}
