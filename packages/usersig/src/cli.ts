#!/usr/bin/env node
/**
 * parley-usersig: generate and check UserSigs and privateMapKeys from the command line.
 * Exit codes: 0 success, 1 verification failed, 2 usage error.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { genPrivateMapKey } from './privateMapKey.js';
import { genUserSig, verifyUserSig } from './userSig.js';

export const USAGE = `Usage: parley-usersig <command> [options]

Commands:
  gen         --sdkappid N --key K --userid U [--expire S]
              Print a UserSig (default lifetime 15552000 s = 180 days).
  verify      --sdkappid N --key K --userid U --sig S
              Print the verification result as JSON; exit 1 if the UserSig is not valid.
  privmapkey  --sdkappid N --key K --userid U --roomid R [--privilege P] [--expire S]
              Print a privateMapKey. An all-digit --roomid is a numeric room; anything else,
              or --strroomid R, a string room. --privilege defaults to 255 (all).

Options:
  -h, --help  Show this help.

Exit codes: 0 success, 1 verification failed, 2 usage error.
`;

const HINT = 'Run parley-usersig --help for usage.\n';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

class UsageError extends Error {}

function integer(name: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined) throw new UsageError(`missing --${name}`);
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return Number(value);
}

function text(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`missing --${name}`);
  return value;
}

function jsonResult(result: object): string {
  return JSON.stringify(
    result,
    (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
    2,
  );
}

/** Runs the CLI with arguments (without node and script) and returns the exit code. */
export function main(argv: string[], io: CliIo): number {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        sdkappid: { type: 'string' },
        key: { type: 'string' },
        userid: { type: 'string' },
        expire: { type: 'string' },
        sig: { type: 'string' },
        roomid: { type: 'string' },
        strroomid: { type: 'string' },
        privilege: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr(`parley-usersig: ${err instanceof Error ? err.message : String(err)}\n${HINT}`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  try {
    const [command, ...extra] = positionals;
    if (command === undefined) throw new UsageError('missing command');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const U32 = 0xffffffff;
    const common = () => ({
      sdkAppId: integer('sdkappid', values.sdkappid, 1, U32),
      key: text('key', values.key),
      userId: text('userid', values.userid),
    });
    const expire = () =>
      values.expire === undefined
        ? undefined
        : integer('expire', values.expire, 0, Number.MAX_SAFE_INTEGER);
    switch (command) {
      case 'gen': {
        io.stdout(`${genUserSig({ ...common(), expire: expire() })}\n`);
        return 0;
      }
      case 'verify': {
        const result = verifyUserSig({ ...common(), userSig: text('sig', values.sig) });
        io.stdout(`${jsonResult(result)}\n`);
        return result.ok ? 0 : 1;
      }
      case 'privmapkey': {
        const base = common();
        let roomId: number | string;
        if (values.roomid !== undefined && values.strroomid !== undefined) {
          throw new UsageError('give either --roomid or --strroomid, not both');
        } else if (values.strroomid !== undefined) {
          roomId = text('strroomid', values.strroomid);
        } else {
          const room = text('roomid', values.roomid);
          roomId = /^\d+$/.test(room) ? integer('roomid', room, 1, U32) : room;
        }
        const privilege =
          values.privilege === undefined ? 255 : integer('privilege', values.privilege, 0, U32);
        io.stdout(`${genPrivateMapKey({ ...base, roomId, privilege, expire: expire() })}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof RangeError || err instanceof TypeError)) {
      throw err;
    }
    io.stderr(`parley-usersig: ${err.message}\n${HINT}`);
    return 2;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  });
}
