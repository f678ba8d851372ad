/**
 * TRTC v5 type compatibility: TypeScript written against the types of the `trtc-sdk-v5`
 * 5.17.1 package (`import TRTC from 'trtc-sdk-v5'`) compiles unchanged against Parley's
 * (dist/trtc-v5.d.ts).
 *
 * - app.ts, a v5 application using every method and event, compiles against THEIR types (so
 *   it is valid v5 code) and against OURS;
 * - conformance.ts checks every name their index.d.ts exports against ours;
 * - the negative controls fail with exactly the errors they mark;
 * - nothing is left out: every exported name is in conformance.ts, every method, static and
 *   event of their TRTC in app.ts, and every static exists on our TRTC at run time.
 *
 * OUR declarations are emitted from packages/sdk/src for this run into a private directory
 * (as e2e/types/types.test.ts does for v4), so the check always sees the current source;
 * the tsconfig.*.json files point at packages/sdk/dist for running tsc by hand after a build.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { TRTC as OurTRTC } from '../../../packages/sdk/src/v5/TRTC.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const DIST = join(ROOT, 'packages/sdk/dist');
const THEIRS_DTS = join(ROOT, 'node_modules/trtc-sdk-v5/index.d.ts');
const COMPILE_TIMEOUT_MS = 120_000;

interface Diagnostic {
  file: string;
  line: number;
  code: string;
}

interface TscResult {
  code: number;
  output: string;
  diagnostics: Diagnostic[];
}

function tsc(args: string[]): Promise<TscResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), COMPILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const diagnostics = [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): /gm)].map(
        (m) => ({ file: resolve(ROOT, m[1] ?? ''), line: Number(m[2]), code: m[3] ?? '' }),
      );
      resolvePromise({ code: code ?? 1, output, diagnostics });
    });
  });
}

const compile = (project: string): Promise<TscResult> =>
  tsc(['-p', project, '--pretty', 'false', '--noErrorTruncation']);

/** Under node_modules so that the emitted .d.ts files resolve @parley/protocol as dist's do. */
const OURS = join(ROOT, 'node_modules/.cache', `parley-sdk-v5-types-${process.pid}-${Date.now()}`);

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
    throw new Error(`emitting the SDK's declarations failed:\n${result.output}`);
  }
})();

afterAll(() => rmSync(OURS, { recursive: true, force: true }));

/** A copy of e2e/types/v5/<name> with packages/sdk/dist replaced by this run's declarations. */
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
  const project = join(OURS, `v5-${name}`);
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
for (const promise of Object.values(run)) promise.catch(() => undefined);

function expectClean(result: TscResult, what: string): void {
  expect(result.code, `${what} should compile; tsc says:\n${result.output}`).toBe(0);
}

/** The `// expect-error TSxxxx` markers: each covers the lines up to the next blank line. */
function expectExactlyMarked(result: TscResult, files: string[]): void {
  const expected = files.flatMap((name) => {
    const file = join(HERE, name);
    const lines = readFileSync(file, 'utf8').split('\n');
    return lines.flatMap((line, index) => {
      const m = /^\s*\/\/ expect-error (TS\d+)/.exec(line);
      if (!m) return [];
      let end = index + 1;
      while (end < lines.length && (lines[end] ?? '').trim() !== '') end++;
      return [{ file, from: index + 2, to: end, code: m[1] ?? '' }];
    });
  });
  const covers = (m: (typeof expected)[number], d: Diagnostic): boolean =>
    m.file === d.file && m.code === d.code && d.line >= m.from && d.line <= m.to;
  expect(result.code, result.output).not.toBe(0);
  expect(
    result.diagnostics.filter((d) => !expected.some((m) => covers(m, d))),
    `errors nobody marked:\n${result.output}`,
  ).toEqual([]);
  expect(
    expected.filter((m) => !result.diagnostics.some((d) => covers(m, d))),
    `marked errors tsc did not report:\n${result.output}`,
  ).toEqual([]);
  expect(result.diagnostics.length, result.output).toBe(expected.length);
}

describe('TRTC v5 application code compiles against Parley', () => {
  it(
    'the sample is valid code for their types (trtc-sdk-v5 5.17.1)',
    async () => expectClean(await run.theirs, 'app.ts against theirs'),
    COMPILE_TIMEOUT_MS,
  );

  it(
    'the same sample compiles unchanged against ours (dist/trtc-v5.d.ts)',
    async () => expectClean(await run.ours, 'app.ts against ours'),
    COMPILE_TIMEOUT_MS,
  );

  it(
    'every name their index.d.ts exports has a compatible counterpart in ours (conformance.ts)',
    async () => expectClean(await run.conformance, 'conformance.ts'),
    COMPILE_TIMEOUT_MS,
  );
});

describe('negative controls: the checks can fail', () => {
  it(
    'not-v5 calls fail against their types, with exactly the marked errors',
    async () => expectExactlyMarked(await run.theirsNegative, ['negative.ts']),
    COMPILE_TIMEOUT_MS,
  );

  it(
    'the same calls fail against ours, and the conformance checks report each incompatibility',
    async () =>
      expectExactlyMarked(await run.oursNegative, ['negative.ts', 'negative-conformance.ts']),
    COMPILE_TIMEOUT_MS,
  );
});

// ---- nothing left out --------------------------------------------------------------------------

const theirs = ts.createSourceFile(
  THEIRS_DTS,
  readFileSync(THEIRS_DTS, 'utf8'),
  ts.ScriptTarget.Latest,
  true,
);
const read = (name: string): string => readFileSync(join(HERE, name), 'utf8');

const isExported = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** Every name their index.d.ts exports (declarations and `export { ... }` lists). */
function exportedNames(file: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const s of file.statements) {
    if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) {
      names.push(...s.exportClause.elements.map((e) => e.name.text));
    } else if (ts.isVariableStatement(s) && isExported(s)) {
      names.push(...s.declarationList.declarations.map((d) => d.name.getText(file)));
    } else if (
      (ts.isInterfaceDeclaration(s) ||
        ts.isTypeAliasDeclaration(s) ||
        ts.isClassDeclaration(s) ||
        ts.isEnumDeclaration(s)) &&
      isExported(s) &&
      s.name
    ) {
      names.push(s.name.text);
    }
  }
  return [...new Set(names)];
}

const theirClass = theirs.statements.find(
  (s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === 'TRTC',
);
const isStatic = (m: ts.ClassElement): boolean =>
  (ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : []).some(
    (x) => x.kind === ts.SyntaxKind.StaticKeyword,
  );
const memberNames = (staticOnes: boolean): string[] => [
  ...new Set(
    (theirClass?.members ?? [])
      .filter((m) => m.name !== undefined && isStatic(m) === staticOnes)
      .map((m) => m.name?.getText(theirs) ?? ''),
  ),
];
const theirEvents = (() => {
  const event = theirs.statements
    .filter(ts.isVariableStatement)
    .flatMap((s) => s.declarationList.declarations)
    .find((d) => d.name.getText(theirs) === 'TRTCEvent');
  return event?.type && ts.isTypeLiteralNode(event.type)
    ? event.type.members.map((m) => m.name?.getText(theirs) ?? '')
    : [];
})();

describe('nothing of the v5 types is left out', () => {
  it('every name their index.d.ts exports is checked by conformance.ts', () => {
    const names = exportedNames(theirs);
    expect(names.length).toBeGreaterThan(90);
    const text = read('conformance.ts');
    expect(names.filter((n) => !new RegExp(`\\bTheirs\\.${n}\\b`).test(text))).toEqual([]);
  });

  it('the sample calls every method and static of their TRTC and listens to every event', () => {
    const text = read('app.ts');
    const instance = memberNames(false);
    const statics = memberNames(true);
    expect(instance.length).toBeGreaterThan(25);
    expect(theirEvents.length).toBeGreaterThan(25);
    const missing = [
      ...instance.filter((m) => !new RegExp(`trtc\\.${m}\\b`).test(text)).map((m) => `trtc.${m}`),
      ...statics.filter((m) => !new RegExp(`TRTC\\.${m}\\b`).test(text)).map((m) => `TRTC.${m}`),
      ...theirEvents.filter(
        (e) => !text.includes(`TRTC.EVENT.${e})`) && !text.includes(`TRTC.EVENT.${e},`),
      ),
    ];
    expect(missing).toEqual([]);
  });

  it('every static of their TRTC exists on ours at run time', () => {
    const ours = OurTRTC as unknown as Record<string, unknown>;
    expect(memberNames(true).filter((name) => ours[name] === undefined)).toEqual([]);
  });
});
