// What every exported object shares: its name, its labels, and how a set of them is written.

import { KUBECTL_YAML } from '../objects/yaml-out.ts';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> } };

/** One policy per namespace has this name, so a re-run replaces it rather than adding another. */
export const EGRESS_NAME = 'extguard-egress';

/** The label on every object extguard writes (egress policies, policy reports). */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';

export function managedLabels(): Record<string, string> {
  return { [MANAGED_BY]: 'extguard' };
}

/** An IP literal as a one-address CIDR (/32 or /128), for Cilium's toCIDR and a NetworkPolicy's ipBlock. */
export function hostCidr(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/**
 * A metadata.name (DNS subdomain, at most 253) for a per-host object: readable when it fits,
 * cut and suffixed with a hash of the whole name otherwise, so it stays unique and stable.
 */
export function subdomainName(prefix: string, text: string): string {
  const name = `${prefix}${text}`;
  if (name.length <= 253) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  let cut = name.slice(0, 253 - 11);
  // A label may not end in "-", nor the name in "."; a loop, not /[-.]+$/ (quadratic on a run of dashes).
  while (cut.endsWith('-') || cut.endsWith('.')) cut = cut.slice(0, -1);
  return `${cut}-${hash}`;
}

/**
 * Multi-document YAML, `#` comment lines first. No time stamp and no map key sorted by
 * chance: the same inputs give the same bytes, so a GitOps repository only changes when
 * the declarations do.
 */
export function toYaml(objects: readonly KubeObject[], comments: readonly string[]): string {
  const head = comments.map((c) => (c === '' ? '#' : `# ${c}`)).join('\n');
  const docs = objects.map((o) => stringify(o, KUBECTL_YAML));
  return [head ? `${head}\n` : '', docs.join('---\n')].join(docs.length && head ? '---\n' : '');
}
