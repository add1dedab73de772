// Third-party CRDs for the e2e tests: each comes from its project's Go module, pinned in
// test/e2e/modules/<name>.json; run.js downloads it and names its directory in an env
// variable. installCrds applies the chosen files and waits until the API server serves them.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import type { ControlPlane } from './cluster.ts';

/** The directory run.js put in `envVar`; a clear error when the suite was not started by run.js. */
export function crdDir(envVar: string): string {
  const dir = process.env[envVar];
  if (!dir) throw new Error(`${envVar} is not set: run the e2e suite with \`npm run test:e2e\` (test/e2e/modules/)`);
  return dir;
}

/**
 * Applies the CRDs named `crds` (metadata.name) found in `files` of the module directory in
 * `envVar`, server-side (many CRDs are too large for client-side apply's last-applied
 * annotation), and waits until each is Established. Idempotent: several test files may ask.
 */
export async function installCrds(cp: ControlPlane, envVar: string, files: string[], crds: string[]): Promise<void> {
  const dir = crdDir(envVar);
  const wanted = new Set(crds);
  const found = files
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null))
    .filter((o) => o?.kind === 'CustomResourceDefinition' && wanted.has(o.metadata?.name ?? ''));
  expect(found.map((o) => o!.metadata!.name).sort(), `CRDs in ${files.join(', ')} of ${dir}`).to.deep.equal([...wanted].sort());
  const r = await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: found.map((o) => JSON.stringify(o)).join('\n') });
  expect(r.code, r.stderr).to.equal(0);
  await waitEstablished(cp, crds);
}

/**
 * Polls until every CRD is Established. Not `kubectl wait --for=condition=Established`: on a
 * CRD created a moment ago it fails at once ("status.conditions accessor error") instead of
 * waiting, because the API server has not written any condition yet.
 */
async function waitEstablished(cp: ControlPlane, crds: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    const r = await cp.kubectl(['get', ...crds.map((n) => `crd/${n}`), '-o', 'json']);
    if (r.code === 0) {
      const list = JSON.parse(r.stdout) as { items?: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
      const items = list.items ?? [list as never];
      const pending = items.filter((c) => !c.status?.conditions?.some((k) => k.type === 'Established' && k.status === 'True')).map((c) => c.metadata.name);
      if (pending.length === 0) return;
      last = `not Established yet: ${pending.join(', ')}`;
    } else {
      last = r.stderr;
    }
    await sleep(200);
  }
  throw new Error(`CRDs not Established within 60 s: ${last}`);
}
