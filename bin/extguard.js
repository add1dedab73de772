#!/usr/bin/env node
// Launcher. The CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`)
// and needs Node 24. The project brings Node 24 as its `node` devDependency, so the Node that
// starts this file may be older (the machine's, e.g. 20 when `npx extguard` or
// `./bin/extguard.js` runs outside an npm script): then this file starts the CLI again under
// the bundled Node 24. Keep this file runnable by old Node versions: no newer syntax or APIs.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NEEDED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major >= NEEDED_MAJOR) {
  await import('../dist/cli.js');
} else {
  // `npm ci` installs the `node` package's binary here; the PATH lookup that npm scripts get
  // is not available when this file is run directly.
  const bundled = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'node', 'bin', 'node');
  // The variable stops a loop if the bundled binary were itself older than 24.
  if (process.env.EXTGUARD_REEXEC === '1' || !existsSync(bundled)) {
    process.stderr.write(
      `extguard needs Node.js ${NEEDED_MAJOR} or newer; this is ${process.version}. ` +
      'Run `npm ci` in the extguard directory (it brings Node 24), or run extguard with Node 24.\n',
    );
    process.exit(2);
  }
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, EXTGUARD_REEXEC: '1' },
  });
  child.on('error', (err) => {
    process.stderr.write(`extguard: cannot start ${bundled}: ${err.message}\n`);
    process.exit(2);
  });
  // `serve` shuts down cleanly on SIGTERM/SIGINT: pass them on instead of dying first.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exit(code ?? 1);
    }
  });
}
