/**
 * Applications: the sdkAppIds this server serves, each with its UserSig key, server API
 * credentials, event callback target, room-permission requirement and limits. They come from
 * the PARLEY_CONFIG file (JSON or YAML) or, for one application, from environment variables.
 * Every bad field is reported by its path, so an operator can fix the file from the message.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export interface ApiCredential {
  secretId: string;
  secretKey: string;
}

export interface CallbackTarget {
  url: string;
  /** Tencent's callback key (`Sign` header); unsigned when absent. */
  key?: string;
}

export interface AppLimits {
  /** Concurrent rooms of the app; further rooms refuse the join. */
  maxRooms?: number;
  /** Participants per room; a join above it is refused. */
  maxUsersPerRoom?: number;
}

export interface AppConfig {
  sdkAppId: number;
  secretKey: string;
  apiCredentials: ApiCredential[];
  callback?: CallbackTarget;
  /** Every join must carry a privateMapKey granting room entry (TRTC "advanced permission"). */
  requireRoomPermission: boolean;
  limits: AppLimits;
  /**
   * Where `startPublishCDNStream()` without a url (and a mix with nowhere else to go) pushes:
   * an rtmp:// or rtmps:// URL in which `{streamId}` is replaced.
   */
  cdnUrlTemplate?: string;
  /**
   * Hosts (`host` or `host:port`; `*` for any public host) a client's or API caller's RTMP
   * URL may name. Unset: only the host of cdnUrlTemplate. Loopback, private and link-local
   * addresses are refused unless listed by name.
   */
  cdnAllowedHosts?: string[];
}

export interface ConfigFile {
  apps: AppConfig[];
  adminToken?: string;
}

const url = z
  .string()
  .max(2083, 'must be at most 2083 characters (Tencent console limit)')
  .refine((s) => /^https?:\/\/[^\s]+$/.test(s) && URL.canParse(s), 'must be an http(s) URL');

const appSchema = z.strictObject({
  sdkAppId: z.number().int().min(1).max(0xffffffff),
  secretKey: z.string().min(1, 'must not be empty'),
  apiCredentials: z
    .array(
      z.strictObject({
        secretId: z.string().min(1, 'must not be empty').max(128),
        secretKey: z.string().min(8, 'must be at least 8 characters').max(256),
      }),
    )
    .default([]),
  callback: z
    .strictObject({
      url,
      key: z
        .string()
        .regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1-32 letters or digits (Tencent console rule)')
        .optional(),
    })
    .optional(),
  requireRoomPermission: z.boolean().default(false),
  cdnUrlTemplate: z
    .string()
    .max(2048)
    .regex(
      /^rtmps?:\/\/[^\s"'\\!]+$/,
      'must be an rtmp:// or rtmps:// URL without spaces or quotes',
    )
    .refine((s) => s.includes('{streamId}'), 'must contain {streamId}')
    .optional(),
  cdnAllowedHosts: z
    .array(
      z
        .string()
        .max(300)
        .regex(
          /^(\*|[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?)$/,
          'must be a host, host:port or *',
        ),
    )
    .max(100)
    .optional(),
  limits: z
    .strictObject({
      maxRooms: z.number().int().min(1).optional(),
      maxUsersPerRoom: z.number().int().min(1).optional(),
    })
    .default({}),
});

const fileSchema = z
  .strictObject({
    adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
    apps: z.array(appSchema).min(1, 'must list at least one application'),
  })
  .superRefine((file, ctx) => {
    const seenApps = new Set<number>();
    const seenIds = new Set<string>();
    file.apps.forEach((app, i) => {
      if (seenApps.has(app.sdkAppId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['apps', i, 'sdkAppId'],
          message: `${app.sdkAppId} is listed twice`,
        });
      }
      seenApps.add(app.sdkAppId);
      app.apiCredentials.forEach((cred, j) => {
        if (seenIds.has(cred.secretId)) {
          ctx.addIssue({
            code: 'custom',
            path: ['apps', i, 'apiCredentials', j, 'secretId'],
            message: 'is used by another credential (SecretIds must be unique)',
          });
        }
        seenIds.add(cred.secretId);
      });
    });
  });

/** `apps[0].callback.url` from a zod path. */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : (i ? '.' : '') + String(p)))
    .join('');
}

/** Validates a parsed config document; throws an Error listing every bad field. */
export function parseConfigFile(document: unknown, source = 'config'): ConfigFile {
  const result = fileSchema.safeParse(document);
  if (result.success) {
    const { adminToken, apps } = result.data;
    return {
      ...(adminToken !== undefined ? { adminToken } : {}),
      apps: apps.map((app) => ({
        sdkAppId: app.sdkAppId,
        secretKey: app.secretKey,
        apiCredentials: app.apiCredentials,
        ...(app.callback
          ? {
              callback: {
                url: app.callback.url,
                ...(app.callback.key !== undefined ? { key: app.callback.key } : {}),
              },
            }
          : {}),
        requireRoomPermission: app.requireRoomPermission,
        ...(app.cdnUrlTemplate !== undefined ? { cdnUrlTemplate: app.cdnUrlTemplate } : {}),
        ...(app.cdnAllowedHosts !== undefined ? { cdnAllowedHosts: app.cdnAllowedHosts } : {}),
        limits: {
          ...(app.limits.maxRooms !== undefined ? { maxRooms: app.limits.maxRooms } : {}),
          ...(app.limits.maxUsersPerRoom !== undefined
            ? { maxUsersPerRoom: app.limits.maxUsersPerRoom }
            : {}),
        },
      })),
    };
  }
  const lines = result.error.issues.map(
    (issue) => `  ${pathText(issue.path) || '(top level)'}: ${issue.message}`,
  );
  throw new Error(`${source} is not valid:\n${lines.join('\n')}`);
}

/** Reads PARLEY_CONFIG: `.json` as JSON, anything else as YAML (a superset of JSON). */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(`${path} does not parse: ${(error as Error).message}`);
  }
  return parseConfigFile(document, path);
}
