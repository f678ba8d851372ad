/**
 * TRTC v4 type compatibility: TypeScript written against the types of the `trtc-js-sdk`
 * 4.15.22 package (`import TRTC from 'trtc-js-sdk'`) and of `@types/trtc-js-sdk` 4.8.0 (the
 * global `TRTC` namespace) compiles unchanged against Parley's.
 *
 * - app-default.ts and app-global.ts, realistic v4 application code, compile against THEIR
 *   types (so they are valid v4 code) and against OURS;
 * - conformance-*.ts check every member of their types against ours;
 * - the negative controls fail with exactly the errors they mark;
 * - nothing of their types is left out: every exported name, method and event is covered by
 *   the conformance files and the samples, every v4 method, event and error code is in
 *   docs/api-compatibility.md
 *   and the doc's statuses agree with what the SDK has at run time.
 *
 * OUR declarations are emitted from packages/sdk/src for this run (as the build emits
 * dist/*.d.ts) into a private directory, so a concurrent build cannot interfere and the
 * check always sees the current source. tsconfig.ours*.json point at packages/sdk/dist for
 * running tsc by hand after `npm run build`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '../../packages/sdk/src/client/Client.js';
import { LocalStream } from '../../packages/sdk/src/stream/LocalStream.js';
import { RemoteStream } from '../../packages/sdk/src/stream/RemoteStream.js';
import TRTCObject from '../../packages/sdk/src/TRTC.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const DIST = join(ROOT, 'packages/sdk/dist');
const THEIRS_DTS = join(ROOT, 'node_modules/trtc-js-sdk/index.d.ts');
const TYPES_DTS = join(ROOT, 'node_modules/@types/trtc-js-sdk/index.d.ts');
const DOC = join(ROOT, 'docs/api-compatibility.md');

const COMPILE_TIMEOUT_MS = 120_000;

interface TscResult {
  code: number;
  output: string;
  diagnostics: Diagnostic[];
}

interface Diagnostic {
  file: string;
  line: number;
  code: string;
  text: string;
}

function tsc(args: string[]): Promise<TscResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const diagnostics: Diagnostic[] = [];
      for (const m of output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)) {
        diagnostics.push({
          file: resolve(ROOT, m[1] ?? ''),
          line: Number(m[2]),
          code: m[3] ?? '',
          text: m[4] ?? '',
        });
      }
      resolvePromise({ code: code ?? 1, output, diagnostics });
    });
  });
}

/** Compiles a project; on failure the assertion message is tsc's full output. */
async function compile(project: string): Promise<TscResult> {
  return tsc(['-p', project, '--pretty', 'false', '--noErrorTruncation']);
}

function expectClean(result: TscResult, what: string): void {
  expect(result.code, `${what} should compile; tsc says:\n${result.output}`).toBe(0);
}

// ---- our declarations, emitted for this run --------------------------------------------------

/** Under node_modules so that the emitted .d.ts files resolve @parley/protocol as dist's do. */
const OURS = join(ROOT, 'node_modules/.cache', `parley-sdk-types-${process.pid}-${Date.now()}`);

const emitted: Promise<void> = (async () => {
  mkdirSync(OURS, { recursive: true });
  const result = await tsc([
    '-p',
    join(ROOT, 'packages/sdk/tsconfig.json'),
    '--emitDeclarationOnly',
    '--declaration',
    '--declarationMap',
    'false',
    '--composite',
    'false',
    '--incremental',
    'false',
    '--outDir',
    OURS,
    '--pretty',
    'false',
  ]);
  if (result.code !== 0) {
    throw new Error(
      `emitting the SDK's declarations failed (run npm run build):\n${result.output}`,
    );
  }
})();

afterAll(() => rmSync(OURS, { recursive: true, force: true }));

/** A copy of e2e/types/<name> with packages/sdk/dist replaced by this run's declarations. */
function oursProject(name: string): string {
  const config = JSON.parse(readFileSync(join(HERE, name), 'utf8')) as {
    compilerOptions?: { paths?: Record<string, string[]> };
    files: string[];
  };
  const toOurs = (path: string): string => {
    const absolute = resolve(HERE, path);
    return absolute.startsWith(DIST) ? join(OURS, absolute.slice(DIST.length)) : absolute;
  };
  const paths = Object.fromEntries(
    Object.entries(config.compilerOptions?.paths ?? {}).map(([k, v]) => [k, v.map(toOurs)]),
  );
  const project = join(OURS, name);
  writeFileSync(
    project,
    JSON.stringify({
      extends: join(HERE, name),
      compilerOptions: { paths },
      files: config.files.map(toOurs),
    }),
  );
  return project;
}

const run = {
  theirs: compile(join(HERE, 'tsconfig.theirs.json')),
  theirsNegative: compile(join(HERE, 'tsconfig.theirs-negative.json')),
  ours: emitted.then(() => compile(oursProject('tsconfig.ours.json'))),
  conformance: emitted.then(() => compile(oursProject('tsconfig.conformance.json'))),
  oursNegative: emitted.then(() => compile(oursProject('tsconfig.ours-negative.json'))),
};
// Reported by the tests that await them; not unhandled meanwhile.
for (const promise of Object.values(run)) promise.catch(() => undefined);

// ---- reading their declarations ----------------------------------------------------------------

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
}

const isExported = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** Names of the exported interfaces, type aliases and namespaces. */
function exportedTypeNames(file: ts.SourceFile): string[] {
  return file.statements
    .filter(
      (s): s is ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.ModuleDeclaration =>
        (ts.isInterfaceDeclaration(s) ||
          ts.isTypeAliasDeclaration(s) ||
          ts.isModuleDeclaration(s)) &&
        isExported(s),
    )
    .map((s) => s.name.getText(file));
}

function memberNames(file: ts.SourceFile, interfaceName: string): string[] {
  const node = file.statements.find(
    (s): s is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(s) && s.name.text === interfaceName,
  );
  if (!node) throw new Error(`no interface ${interfaceName} in ${file.fileName}`);
  return [...new Set(node.members.map((m) => m.name?.getText(file).replace(/^'|'$/g, '') ?? ''))];
}

/** Functions and constants of a namespace body or a file's top level (exported ones). */
function valueNames(
  statements: readonly ts.Statement[],
  file: ts.SourceFile,
  all: boolean,
): string[] {
  const names: string[] = [];
  for (const s of statements) {
    if (!all && !isExported(s)) continue;
    if (ts.isFunctionDeclaration(s) && s.name) names.push(s.name.text);
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) names.push(d.name.getText(file));
    }
    if (ts.isModuleDeclaration(s) && s.body && ts.isModuleBlock(s.body)) {
      const inner = valueNames(s.body.statements, file, true).filter((n) => n !== 'LogLevel');
      names.push(...inner.map((n) => `${s.name.getText(file)}.${n}`));
    }
  }
  return names;
}

const theirs = parse(THEIRS_DTS);
const types48 = parse(TYPES_DTS);
const namespace415 = theirs.statements.find(
  (s): s is ts.ModuleDeclaration => ts.isModuleDeclaration(s) && s.name.getText(theirs) === 'TRTC',
);

interface Surface {
  functions: string[];
  methods: Record<'Client' | 'Stream' | 'LocalStream' | 'RemoteStream', string[]>;
  clientEvents: string[];
  streamEvents: string[];
}

function surface(file: ts.SourceFile, functions: string[]): Surface {
  return {
    functions,
    methods: {
      Client: memberNames(file, 'Client'),
      Stream: memberNames(file, 'Stream'),
      LocalStream: memberNames(file, 'LocalStream'),
      RemoteStream: memberNames(file, 'RemoteStream'),
    },
    clientEvents: memberNames(file, 'ClientEventMap'),
    streamEvents: memberNames(file, 'StreamEventMap'),
  };
}

const surfaces = {
  'trtc-js-sdk 4.15.22': surface(
    theirs,
    namespace415 && namespace415.body && ts.isModuleBlock(namespace415.body)
      ? valueNames(namespace415.body.statements, theirs, true)
      : [],
  ),
  '@types/trtc-js-sdk 4.8.0': surface(types48, valueNames(types48.statements, types48, false)),
};
const errorCodes = memberNames(theirs, 'ErrorCode');

const read = (name: string): string => readFileSync(join(HERE, name), 'utf8');

// ---- the compilations ------------------------------------------------------------------------

describe('TRTC v4 application code compiles against Parley', () => {
  it(
    'the samples are valid code for their types (trtc-js-sdk 4.15.22, @types/trtc-js-sdk 4.8.0)',
    async () => expectClean(await run.theirs, 'app-default.ts and app-global.ts against theirs'),
    COMPILE_TIMEOUT_MS,
  );

  it(
    'the same samples compile unchanged against ours (dist/index.d.ts, dist/global.d.ts)',
    async () => expectClean(await run.ours, 'app-default.ts and app-global.ts against ours'),
    COMPILE_TIMEOUT_MS,
  );

  it(
    'every member of their types has a compatible counterpart in ours (conformance-*.ts)',
    async () => expectClean(await run.conformance, 'conformance-default.ts and -global.ts'),
    COMPILE_TIMEOUT_MS,
  );
});

/** The `// expect-error TSxxxx` markers: each covers the lines up to the next blank line. */
interface Marker {
  file: string;
  from: number;
  to: number;
  code: string;
}

function markers(files: string[]): Marker[] {
  const found: Marker[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      const m = /^\s*\/\/ expect-error (TS\d+)/.exec(line);
      if (!m) return;
      let end = index + 1;
      while (end < lines.length && (lines[end] ?? '').trim() !== '') end++;
      found.push({ file, from: index + 2, to: end, code: m[1] ?? '' });
    });
  }
  return found;
}

function expectExactlyMarked(result: TscResult, files: string[]): void {
  const expected = markers(files.map((f) => join(HERE, f)));
  const unexpected = result.diagnostics.filter(
    (d) =>
      !expected.some(
        (m) => m.file === d.file && m.code === d.code && d.line >= m.from && d.line <= m.to,
      ),
  );
  const missing = expected.filter(
    (m) =>
      !result.diagnostics.some(
        (d) => m.file === d.file && m.code === d.code && d.line >= m.from && d.line <= m.to,
      ),
  );
  expect(result.code, result.output).not.toBe(0);
  expect(unexpected, `errors nobody marked:\n${result.output}`).toEqual([]);
  expect(missing, `marked errors tsc did not report:\n${result.output}`).toEqual([]);
  expect(result.diagnostics.length, result.output).toBe(expected.length);
}

describe('negative controls: the checks can fail', () => {
  it(
    'not-v4 calls fail against their types, with exactly the marked errors',
    async () =>
      expectExactlyMarked(await run.theirsNegative, ['negative-default.ts', 'negative-global.ts']),
    COMPILE_TIMEOUT_MS,
  );

  it(
    'the same calls fail against ours, and the conformance checks report each incompatibility',
    async () =>
      expectExactlyMarked(await run.oursNegative, [
        'negative-default.ts',
        'negative-global.ts',
        'negative-conformance.ts',
      ]),
    COMPILE_TIMEOUT_MS,
  );
});

// ---- nothing left out ------------------------------------------------------------------------

describe('nothing of the v4 types is left out', () => {
  it('every name their index.d.ts files export is checked by a conformance file', () => {
    const unchecked = (file: ts.SourceFile, conformance: string): string[] => {
      const text = read(conformance);
      return exportedTypeNames(file).filter((n) => !new RegExp(`\\bTheirs\\.${n}\\b`).test(text));
    };
    expect(unchecked(theirs, 'conformance-default.ts')).toEqual([]);
    expect(unchecked(types48, 'conformance-global.ts')).toEqual([]);
  });

  it('the samples call every function and method and listen to every event of their types', () => {
    const samples = {
      'trtc-js-sdk 4.15.22': 'app-default.ts',
      '@types/trtc-js-sdk 4.8.0': 'app-global.ts',
    };
    for (const [name, s] of Object.entries(surfaces)) {
      const text = read(samples[name as keyof typeof samples]);
      const used = (member: string): boolean =>
        new RegExp(`\\.${member.split('.').pop() ?? ''}\\b`).test(text);
      const missing = [
        ...s.functions.filter((f) => !used(f)).map((f) => `TRTC.${f}`),
        ...Object.entries(s.methods).flatMap(([cls, methods]) =>
          methods.filter((m) => !used(m)).map((m) => `${cls}.${m}`),
        ),
        ...[...s.clientEvents, ...s.streamEvents].filter((e) => !text.includes(`'${e}'`)),
      ];
      expect(missing, `not used in ${samples[name as keyof typeof samples]}`).toEqual([]);
    }
  });

  it('docs/api-compatibility.md gives a status for every v4 function, method, event and error code', () => {
    const doc = readFileSync(DOC, 'utf8');
    const mentioned = (text: string): boolean => doc.includes('`' + text);
    const missing: string[] = [];
    for (const s of Object.values(surfaces)) {
      for (const f of s.functions) if (!mentioned(`TRTC.${f}`)) missing.push(`TRTC.${f}`);
      for (const [cls, methods] of Object.entries(s.methods)) {
        for (const m of methods) if (!mentioned(`${cls}.${m}`)) missing.push(`${cls}.${m}`);
      }
      for (const e of [...s.clientEvents, ...s.streamEvents]) {
        if (!mentioned(`${e}\``)) missing.push(e);
      }
    }
    for (const code of errorCodes) if (!mentioned(`${code}\``)) missing.push(code);
    expect([...new Set(missing)]).toEqual([]);
  });
});

// ---- declared types vs the run time --------------------------------------------------------------

/** The prototypes an app's objects have; a `Stream` method must be on both kinds. */
const prototypes: Record<string, object[]> = {
  Client: [Client.prototype],
  Stream: [LocalStream.prototype, RemoteStream.prototype],
  LocalStream: [LocalStream.prototype],
  RemoteStream: [RemoteStream.prototype],
};

function implemented(cls: string, method: string): boolean {
  if (cls === 'TRTC') {
    let value: unknown = TRTCObject;
    for (const part of method.split('.')) value = (value as Record<string, unknown>)?.[part];
    return value !== undefined;
  }
  const protos = prototypes[cls];
  if (!protos) throw new Error(`unknown class ${cls}`);
  return protos.every((p) => typeof (p as Record<string, unknown>)[method] === 'function');
}

describe('the declarations and the doc agree with the run time', () => {
  it("the doc's summary counts its tables' rows", () => {
    const doc = readFileSync(DOC, 'utf8');
    const counted: string[] = [];
    for (const section of doc.split(/^## /m).slice(1)) {
      const title = section.slice(0, section.indexOf('\n'));
      const statuses = [
        ...section.matchAll(/^\| `[^\n]*?\|\s*(supported|differs|not yet)\s*\|/gm),
      ].map((m) => m[1]);
      if (statuses.length === 0) continue;
      const n = (status: string): number => statuses.filter((s) => s === status).length;
      counted.push(`| ${title} | ${n('supported')} | ${n('differs')} | ${n('not yet')} |`);
    }
    const summary = [...doc.matchAll(/^\| ([\w ]+?) +\| +(\d+) \| +(\d+) \| +(\d+) \|$/gm)].map(
      ([, area, a, b, c]) => `| ${area} | ${a} | ${b} | ${c} |`,
    );
    expect(summary).toEqual(counted);
  });

  it("the doc's methods all exist at run time ('not yet' ones refuse with NOT_SUPPORTED)", () => {
    const rows = [
      ...readFileSync(DOC, 'utf8').matchAll(
        /^\| `(TRTC|Client|Stream|LocalStream|RemoteStream)\.([\w.]+)\(.*?\|\s*(supported|differs|not yet)/gm,
      ),
    ];
    expect(rows.length).toBeGreaterThan(50);
    const wrong = rows
      .filter(([, cls = '', method = '']) => !implemented(cls, method))
      .map(([, cls, method, status]) => `${cls}.${method}: doc says ${status}`);
    expect(wrong).toEqual([]);
  });
});
