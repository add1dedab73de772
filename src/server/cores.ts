// How many judge workers a replica gets by default: two (one can judge while the other is
// replaced or busy with a large review), but one where the replica has a single core. There a
// second worker cannot run at the same time as the first, so it only costs memory (about
// 16 MiB of RSS, bench/idle.js) and a second young generation to collect.
//
// The cores: os.availableParallelism() (the CPUs this process may run on, e.g. under taskset),
// capped by a cgroup v2 CPU limit (cpu.max, which is what a container's resources.limits.cpu
// becomes), rounded up: a limit of 1500m is two cores of time.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const MAX_DEFAULT_JUDGE_WORKERS = 2;

/** The cores a cgroup v2 `cpu.max` ("<quota> <period>" or "max <period>") allows, or undefined for no limit or an unreadable file. */
export function coresFromCpuMax(text: string | undefined): number | undefined {
  const m = /^(\d+|max)\s+(\d+)\s*$/.exec(text ?? '');
  if (!m || m[1] === 'max') return undefined;
  const quota = Number(m[1]);
  const period = Number(m[2]);
  if (!(quota > 0) || !(period > 0)) return undefined;
  return Math.max(1, Math.ceil(quota / period));
}

export function defaultJudgeWorkers(parallelism: number, cpuMax: string | undefined): number {
  const limited = coresFromCpuMax(cpuMax);
  const cores = Math.max(1, Math.min(parallelism, limited ?? parallelism));
  return Math.min(MAX_DEFAULT_JUDGE_WORKERS, cores);
}

function readCpuMax(): string | undefined {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return undefined; // not Linux, cgroup v1, or not mounted: no limit known
  }
}

/** The default for this process: see the top of this file. */
export function judgeWorkersForThisMachine(): number {
  return defaultJudgeWorkers(availableParallelism(), readCpuMax());
}
