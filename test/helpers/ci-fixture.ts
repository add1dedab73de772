// A user's repository as CI checks it out: a good and a bad manifest and a GitHub workflow
// (YAML that is not a Kubernetes object), committed in a fresh git repository.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The credential planted in bad.yaml: no output may repeat it. */
export const PLANTED = 'Summer2024-reports!';

const deployment = (name: string, env: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: app
          image: registry.example/${name}:1.0.0
          env:
            - name: DB_PASSWORD
${env}
`;

export const FIXTURE_FILES: Record<string, string> = {
  'deploy/good.yaml': deployment('web', '              valueFrom: { secretKeyRef: { name: web-db, key: password } }'),
  'deploy/bad.yaml': deployment('reports', `              value: ${PLANTED}`),
  '.github/workflows/ci.yaml': 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo test\n',
};

/** The line of bad.yaml that holds the credential (1-based). */
export const BAD_LINE = FIXTURE_FILES['deploy/bad.yaml']!.split('\n').findIndex((l) => l.includes('value:')) + 1;

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();
}

/** A fresh git repository holding `files` (FIXTURE_FILES by default), committed. */
export function fixtureRepo(files: Record<string, string> = FIXTURE_FILES): string {
  const dir = mkdtempSync(join(tmpdir(), 'extguard-fixture-'));
  git(dir, 'init', '--quiet', '--initial-branch=main');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'fixture');
  return dir;
}
