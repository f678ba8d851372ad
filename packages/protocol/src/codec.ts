/**
 * Encoding and validating frames. Every frame from the network goes through `decodeFrame`
 * and then the schema of its method before anything uses it.
 */
import { z } from 'zod';
import { ErrorCode, ProtocolErrorCode } from './errorCodes.js';
import {
  ErrorPayloadSchema,
  MAX_MESSAGE_BYTES,
  clientNotifications,
  clientRequests,
  serverNotifications,
  serverRequests,
  type ErrorPayload,
} from './messages.js';

const EnvelopeSchema = z.union([
  z.object({
    type: z.literal('req'),
    id: z.number().int().nonnegative(),
    method: z.string().max(64),
    data: z.unknown(),
  }),
  z.object({
    type: z.literal('res'),
    id: z.number().int().nonnegative(),
    ok: z.literal(true),
    data: z.unknown(),
  }),
  z.object({
    type: z.literal('res'),
    id: z.number().int().nonnegative(),
    ok: z.literal(false),
    error: ErrorPayloadSchema,
  }),
  z.object({ type: z.literal('ntf'), method: z.string().max(64), data: z.unknown() }),
]);

export type Envelope = z.infer<typeof EnvelopeSchema>;
export type RequestEnvelope = Extract<Envelope, { type: 'req' }>;
export type ResponseEnvelope = Extract<Envelope, { type: 'res' }>;
export type NotificationEnvelope = Extract<Envelope, { type: 'ntf' }>;

/** A frame that could not be accepted, with the v4 error to answer it with. */
export class ProtocolError extends Error {
  constructor(
    readonly payload: ErrorPayload,
    /** The request id, when the frame was a readable request (so it can be answered). */
    readonly requestId?: number,
  ) {
    super(payload.message);
    this.name = 'ProtocolError';
  }
}

function malformed(message: string, requestId?: number): ProtocolError {
  return new ProtocolError(
    { code: ErrorCode.INVALID_PARAMETER, extraCode: ProtocolErrorCode.MALFORMED_MESSAGE, message },
    requestId,
  );
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Byte length of a frame as UTF-8, without allocating a buffer. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Parses a frame's envelope (not yet its data). Throws ProtocolError. */
export function decodeFrame(text: string): Envelope {
  if (text.length > MAX_MESSAGE_BYTES || utf8Length(text) > MAX_MESSAGE_BYTES) {
    // Not parsed (that is the point of the limit), but a request id near the start lets the
    // sender learn which of its requests was refused.
    const id = /^\{[^{}]{0,200}?"id"\s*:\s*(\d{1,15})/.exec(text.slice(0, 256))?.[1];
    throw new ProtocolError(
      {
        code: ErrorCode.INVALID_PARAMETER,
        extraCode: ProtocolErrorCode.MESSAGE_TOO_LARGE,
        message: `message of ${utf8Length(text)} bytes exceeds the limit of ${MAX_MESSAGE_BYTES}`,
      },
      id === undefined ? undefined : Number(id),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed('message is not valid JSON');
  }
  const parsed = EnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    const id =
      typeof json === 'object' && json !== null && 'id' in json && typeof json.id === 'number'
        ? json.id
        : undefined;
    throw malformed(`malformed message envelope: ${describeIssues(parsed.error)}`, id);
  }
  return parsed.data;
}

type SchemaMap = Record<string, z.ZodType>;

function validateData<M extends SchemaMap>(
  schemas: M,
  method: string,
  data: unknown,
  requestId?: number,
): { [K in keyof M]: { method: K; data: z.infer<M[K]> } }[keyof M] {
  if (!Object.hasOwn(schemas, method)) {
    throw malformed(`unknown method ${JSON.stringify(method)}`, requestId);
  }
  const schema = schemas[method] as z.ZodType;
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw malformed(`invalid ${method}: ${describeIssues(parsed.error)}`, requestId);
  }
  return { method, data: parsed.data } as never;
}

const mapData = <M extends Record<string, { data: z.ZodType }>>(m: M) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.data])) as {
    [K in keyof M]: M[K]['data'];
  };
const mapResult = <M extends Record<string, { result: z.ZodType }>>(m: M) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.result])) as {
    [K in keyof M]: M[K]['result'];
  };

const clientRequestData = mapData(clientRequests);
const clientRequestResults = mapResult(clientRequests);
const serverRequestData = mapData(serverRequests);
const serverRequestResults = mapResult(serverRequests);

/** Server side: validates a request from an SDK. */
export function validateClientRequest(env: RequestEnvelope) {
  return validateData(clientRequestData, env.method, env.data, env.id);
}
/** Server side: validates a notification from an SDK. */
export function validateClientNotification(env: NotificationEnvelope) {
  return validateData(clientNotifications, env.method, env.data);
}
/** Server side: validates the SDK's answer to a server request. */
export function validateServerRequestResult<K extends keyof typeof serverRequests>(
  method: K,
  data: unknown,
): z.infer<(typeof serverRequests)[K]['result']> {
  return validateData(serverRequestResults, method, data).data as never;
}
/** SDK side: validates a request from the server. */
export function validateServerRequest(env: RequestEnvelope) {
  return validateData(serverRequestData, env.method, env.data, env.id);
}
/** SDK side: validates a notification from the server. */
export function validateServerNotification(env: NotificationEnvelope) {
  return validateData(serverNotifications, env.method, env.data);
}
/** SDK side: validates the server's answer to one of the SDK's requests. */
export function validateClientRequestResult<K extends keyof typeof clientRequests>(
  method: K,
  data: unknown,
): z.infer<(typeof clientRequests)[K]['result']> {
  return validateData(clientRequestResults, method, data).data as never;
}

export function encodeRequest(id: number, method: string, data: unknown): string {
  return JSON.stringify({ type: 'req', id, method, data });
}
export function encodeResult(id: number, data: unknown): string {
  return JSON.stringify({ type: 'res', id, ok: true, data });
}
export function encodeError(id: number, error: ErrorPayload): string {
  return JSON.stringify({ type: 'res', id, ok: false, error });
}
export function encodeNotification(method: string, data: unknown): string {
  return JSON.stringify({ type: 'ntf', method, data });
}
