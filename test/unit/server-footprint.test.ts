import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coresFromCpuMax, defaultJudgeWorkers } from '../../src/server/cores.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Bare specifiers reached from `entry` through static imports (type-only imports erased;
 * `await import()` is lazy, so not followed), with the module that imports each.
 */
function staticPackages(entry: string): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) {
      const [, typeOnly, spec] = m;
      if (typeOnly || !spec || spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else if (!packages.has(spec)) packages.set(spec, file.slice(SRC.length));
    }
  };
  walk(join(SRC, entry));
  return packages;
}

describe('server footprint', () => {
  // The package's entry point loads every generated API model (+85 MiB RSS, docs/performance.md).
  it('serve reaches @kubernetes/client-node only through src/kube/client.ts, which the build bundles', () => {
    const reached = [...staticPackages('server/serve.ts')].filter(([p]) => p.startsWith('@kubernetes/client-node'));
    expect(reached.length, 'the informers need the client').to.be.greaterThan(0);
    for (const [spec, from] of reached) {
      expect(from, `${spec} imported by ${from}`).to.equal('kube/client.ts');
      expect(spec, 'a deep import, not the entry point').to.match(/^@kubernetes\/client-node\/dist\//);
    }
  });

  // With the client loaded, `check` on a 50 MB input peaked at 617 MB RSS instead of 375 MB.
  it('the CLI loads the Kubernetes client only when a command needs it (serve, check --cluster, egress from a cluster)', () => {
    const reached = [...staticPackages('cli.ts').keys()];
    expect(reached, 'the scan reads cli.ts').to.include('commander');
    expect(reached.filter((p) => p.startsWith('@kubernetes/client-node'))).to.deep.equal([]);
  });

  it('a judge worker loads no Kubernetes client, no config parser and no HTTP framework', () => {
    const reached = [...staticPackages('server/judge-worker.ts').keys()];
    expect(reached).to.include('re2js');
    for (const heavy of ['@kubernetes/client-node', 'ajv', 'yaml', 'express', 'pino', 'prom-client']) {
      expect(reached.filter((p) => p.startsWith(heavy)), heavy).to.deep.equal([]);
    }
  });
});

describe('default judge workers', () => {
  it('reads a cgroup v2 CPU limit as cores, rounded up', () => {
    expect(coresFromCpuMax('max 100000\n')).to.equal(undefined);
    expect(coresFromCpuMax('100000 100000\n')).to.equal(1);
    expect(coresFromCpuMax('50000 100000')).to.equal(1);
    expect(coresFromCpuMax('150000 100000')).to.equal(2);
    expect(coresFromCpuMax(undefined)).to.equal(undefined);
    expect(coresFromCpuMax('garbage')).to.equal(undefined);
  });

  it('is one worker on one core or under a limit of one core, two otherwise', () => {
    expect(defaultJudgeWorkers(1, undefined)).to.equal(1);
    expect(defaultJudgeWorkers(2, undefined)).to.equal(2);
    expect(defaultJudgeWorkers(16, 'max 100000')).to.equal(2);
    expect(defaultJudgeWorkers(16, '100000 100000')).to.equal(1);
    expect(defaultJudgeWorkers(16, '20000 100000')).to.equal(1);
    expect(defaultJudgeWorkers(16, '400000 100000')).to.equal(2);
  });
});
