// Builders for the Kubernetes objects tests feed to the judge and the webhook.

type Json = Record<string, unknown>;

export interface ContainerSpec {
  name?: string;
  env?: Json[];
  command?: string[];
  args?: string[];
}

function container(c: ContainerSpec, i: number): Json {
  const out: Json = { name: c.name ?? (i === 0 ? 'app' : `c${i}`), image: 'registry.example.com/team/app:1.0' };
  if (c.env) out['env'] = c.env;
  if (c.command) out['command'] = c.command;
  if (c.args) out['args'] = c.args;
  return out;
}

export function podSpec(containers: ContainerSpec[], initContainers: ContainerSpec[] = []): Json {
  const spec: Json = { containers: containers.map(container) };
  if (initContainers.length) spec['initContainers'] = initContainers.map((c, i) => container({ name: c.name ?? `init${i}`, ...c }, i + 1));
  return spec;
}

export function pod(opts: { name?: string; namespace?: string; annotations?: Record<string, string>; containers: ContainerSpec[]; initContainers?: ContainerSpec[] }): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: opts.name ?? 'p', namespace: opts.namespace ?? 'shop', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: podSpec(opts.containers, opts.initContainers),
  };
}

export function deployment(opts: { name?: string; namespace?: string; annotations?: Record<string, string>; templateAnnotations?: Record<string, string>; containers: ContainerSpec[]; initContainers?: ContainerSpec[] }): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: opts.name ?? 'web', namespace: opts.namespace ?? 'shop', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, ...(opts.templateAnnotations ? { annotations: opts.templateAnnotations } : {}) },
        spec: podSpec(opts.containers, opts.initContainers),
      },
    },
  };
}

export function cronJob(opts: { name?: string; namespace?: string; annotations?: Record<string, string>; containers: ContainerSpec[] }): Json {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: opts.name ?? 'nightly', namespace: opts.namespace ?? 'shop', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', ...podSpec(opts.containers) } } } },
    },
  };
}

export function externalService(name: string, externalName: string, opts: { namespace?: string; annotations?: Record<string, string>; ports?: number[] } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.namespace ?? 'shop', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: { type: 'ExternalName', externalName, ...(opts.ports ? { ports: opts.ports.map((port) => ({ port })) } : {}) },
  };
}

export function namespace(name: string, mode?: string): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(mode ? { labels: { 'extguard.io/mode': mode } } : {}) } };
}

/** A Namespace with arbitrary labels, for the mode-label governance rule. */
export function labelledNamespace(name: string, labels: Record<string, string>): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/** A plain ClusterIP Service: declares nothing. */
export function clusterIPService(name: string, opts: { namespace?: string; labels?: Record<string, string> } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.namespace ?? 'shop', ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: { type: 'ClusterIP', ports: [{ port: 80 }] },
  };
}

/** A fake secret built at run time, so the test file itself holds no credential-shaped literal. */
export const FAKE_PASSWORD = ['s3cr', 'et-', 'Passw0rd', '!x'].join('');

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `n` characters that read as random (as a real token's body does) but are the same on every
 * run: a placeholder such as `xxxx…` or a counting sequence is not a token any more.
 */
export function fakeRandom(n: number, alphabet = ALNUM, seed = 7): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet[Math.floor((x / 2147483648) * alphabet.length)];
  }
  return out;
}
