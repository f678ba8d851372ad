/**
 * Builds @parley/sdk:
 *   dist/trtc.js      classic script (IIFE): `window.TRTC` is the namespace object itself
 *   dist/trtc.esm.js  ES module: default export TRTC, plus named exports
 *   dist/index.d.ts   type definitions (tsc --emitDeclarationOnly)
 *   dist/trtc-v5.js      the TRTC Web SDK v5 API as a UMD script: global `TRTC` (the class),
 *                        or `module.exports` / an AMD module where a loader is present
 *   dist/trtc-v5.esm.js  the same as an ES module: default export TRTC, plus named exports
 *   dist/trtc-v5.d.ts    its type definitions (from src/trtc-v5.ts, by the same tsc run)
 * @parley/protocol and zod are bundled in. Needs `tsc -b packages/protocol` first.
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

const protocolDist = dirname(require.resolve('@parley/protocol'));

/**
 * The protocol does `import { z } from 'zod'` and calls `z.object(...)`. Bundled as is, the
 * whole `z` namespace is kept, every locale included (~400 kB). This plugin hands the
 * protocol a `z` holding just the members its compiled code uses (found by scanning it, so a
 * new one cannot be missed), and the rest of zod is tree-shaken.
 */
const slimZod = {
  name: 'slim-zod',
  setup(b) {
    b.onResolve({ filter: /^zod$/ }, (args) =>
      args.importer.startsWith(protocolDist) ? { path: 'zod', namespace: 'slim-zod' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'slim-zod' }, async () => {
      const names = new Set();
      for (const file of await readdir(protocolDist)) {
        if (!file.endsWith('.js')) continue;
        const code = await readFile(join(protocolDist, file), 'utf8');
        for (const m of code.matchAll(/\bz\.([A-Za-z_$][\w$]*)/g)) names.add(m[1]);
      }
      const list = [...names].sort();
      return {
        contents:
          `import { ${list.map((n) => `${n} as z_${n}`).join(', ')} } from 'zod';\n` +
          `export const z = { ${list.map((n) => `${JSON.stringify(n)}: z_${n}`).join(', ')} };\n`,
        resolveDir: protocolDist,
        loader: 'js',
      };
    });
  },
};

const common = {
  plugins: [slimZod],
  bundle: true,
  sourcemap: true,
  platform: 'browser',
  // Old enough for the browsers TRTC v4 apps still run in; Chromium gets native syntax anyway.
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

function tsc() {
  return new Promise((resolve, reject) => {
    const bin = require.resolve('typescript/bin/tsc');
    const child = spawn(
      process.execPath,
      // Not incremental: dist/ was just wiped, and a tsbuildinfo left by an earlier run (or by
      // the root `tsc -b --noEmit` typecheck) would make tsc skip the files it thinks exist.
      [
        bin,
        '-p',
        'tsconfig.json',
        '--emitDeclarationOnly',
        '--declaration',
        '--declarationMap',
        'false',
        '--composite',
        'false',
        '--incremental',
        'false',
      ],
      { cwd: root, stdio: 'inherit' },
    );
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tsc exited with ${code}`)),
    );
  });
}

/**
 * trtc-sdk-v5's trtc.js is UMD: an AMD `define`, CommonJS `module.exports`, or else the global
 * `TRTC`. The factory runs at once, while the script is being evaluated, so
 * `document.currentScript` (the server address) is still readable inside.
 */
const UMD_OPEN =
  '(function (root, factory) {' +
  " if (typeof define === 'function' && define.amd) define([], factory);" +
  " else if (typeof module === 'object' && module.exports) module.exports = factory();" +
  ' else root.TRTC = factory();' +
  "})(typeof globalThis !== 'undefined' ? globalThis : self, function () {";

await rm(dist, { recursive: true, force: true });

await Promise.all([
  build({
    ...common,
    // A CommonJS entry: with globalName, esbuild assigns `module.exports` itself to the
    // global, so `TRTC.createClient` works (an ESM entry would give `TRTC.default`).
    stdin: {
      contents: "module.exports = require('./src/TRTC.ts').default;",
      resolveDir: root,
      sourcefile: 'trtc-global.js',
      loader: 'js',
    },
    format: 'iife',
    globalName: 'TRTC',
    minify: true,
    outfile: join(dist, 'trtc.js'),
  }),
  build({
    ...common,
    entryPoints: [join(root, 'src/index.ts')],
    format: 'esm',
    outfile: join(dist, 'trtc.esm.js'),
  }),
  build({
    ...common,
    entryPoints: [join(root, 'src/trtc-v5.ts')],
    format: 'iife',
    // Local to the UMD wrapper below (not a page global): the wrapper hands it out.
    globalName: '__parleyTRTCv5',
    footer: { js: 'return __parleyTRTCv5.default;\n});' },
    banner: { js: UMD_OPEN },
    minify: true,
    outfile: join(dist, 'trtc-v5.js'),
  }),
  build({
    ...common,
    entryPoints: [join(root, 'src/trtc-v5.ts')],
    format: 'esm',
    outfile: join(dist, 'trtc-v5.esm.js'),
  }),
]);

await tsc();
console.log(
  'built dist/trtc.js, dist/trtc.esm.js, dist/index.d.ts, dist/trtc-v5.js, dist/trtc-v5.esm.js, dist/trtc-v5.d.ts',
);
