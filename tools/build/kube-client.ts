// Second step of `npm run build`, after tsc: replaces dist/kube/client.js (tsc's copy of
// src/kube/client.ts, deep imports into @kubernetes/client-node) with one esbuild bundle of
// just the exports it names, so `serve` does not load the package's generated API.
//
// Why a bundle and not the deep imports alone: dist/config.js (KubeConfig) imports
// dist/gen/index.js, which re-exports every generated model and API class; only tree-shaking
// drops them. Measured on Node 24: importing the package 121 MiB RSS, this bundle 79 MiB,
// Node alone 42 MiB. Why esbuild: it tree-shakes ES modules and bundles the CommonJS
// dependencies (undici, js-yaml, ...) in one pass, is a single pinned devDependency with no
// dependencies of its own but its platform binary (an npm package), and takes a few seconds.
//
// The bundle is self-contained (its dependencies inside it), so it does not depend on how
// npm laid out node_modules; a createRequire banner lets the bundled CommonJS code require
// Node's built-in modules from an ES module.
//
//   node tools/build/kube-client.ts        (run by `npm run build`)

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'dist/kube/client.js');

if (!existsSync(OUT)) throw new Error(`${OUT} is missing: tsc runs first (npm run build)`);

const result = await build({
  entryPoints: [join(ROOT, 'src/kube/client.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  outfile: OUT,
  allowOverwrite: true,
  legalComments: 'eof',
  banner: { js: "import { createRequire as __extguardCreateRequire } from 'node:module'; const require = __extguardCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});
// tsc's source map describes the file this bundle replaced.
rmSync(`${OUT}.map`, { force: true });
const output = Object.values(result.metafile.outputs)[0]!;
const models = Object.entries(output.inputs).filter(([f, i]) => f.includes('client-node/dist/gen/models/') && i.bytesInOutput > 0).length;
process.stdout.write(`dist/kube/client.js: ${(output.bytes / 1024).toFixed(0)} KiB, code from ${models} generated model modules\n`);
