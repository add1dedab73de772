// Human text for violations. Inputs are locations and kinds, never credential values:
// the rules hand over where a secret is, not what it is.

import { describeObject, type WorkloadView } from '../objects/workload.ts';
import { trimEndChars } from '../recognize/scan.ts';
import { METADATA_HOSTS, type ShownHost } from './hosts.ts';
import { CONFIGMAP_LISTED, describeFinding, type ConfigMapFinding } from './configmaps.ts';
import type { CredentialFinding, HostFinding, Violation } from './types.ts';

type ObjectRef = Pick<WorkloadView, 'kind' | 'namespace' | 'name'>;

/** A violation with the one-line warning that stands for it. */
export interface Judged {
  violation: Violation;
  warning: string;
}

/** Who holds a finding: a container, or the pod spec itself (hostAliases, volumes...). */
const holder = (container: string): string => (container ? `container "${container}"` : 'the pod spec');

/**
 * A violation whose message and warning are written when first read. A crafted object can
 * hold 50,000 hosts, and only the first few messages are ever shown (a denial lists
 * DENIAL_LISTED; warnings fit 4096 runes): building every snippet up front exhausts a judge
 * worker's heap. JSON.stringify and object spread read the getter like a property.
 */
function lazyJudged(rule: Violation['rule'], container: string, path: string, message: () => string, reason: () => string): Judged {
  let text: string | undefined;
  const violation: Violation = { rule, container, path, get message() { return (text ??= message()); } } as Violation;
  return { violation, get warning() { return warningLine(violation, reason()); } };
}

/** The one-line form used for AdmissionResponse warnings: rule, where, short reason. */
export function warningLine(v: Pick<Violation, 'rule' | 'container' | 'path'>, reason: string): string {
  const where = v.container ? `container "${v.container}" ${v.path}` : v.path;
  return `[${v.rule}] ${where}: ${reason}`;
}

export function credentialViolation(obj: ObjectRef, container: string, f: CredentialFinding): Judged {
  const violation: Violation = {
    rule: 'plaintext-credential',
    container,
    path: f.path,
    message: f.fromConfigMap
      ? `${describeObject(obj)}: ${holder(container)} reads a credential from a ConfigMap at ${f.path} (${f.what}); ` +
        'anyone who may read ConfigMaps in the namespace can read it. Fix: move it into a Secret and use env[].valueFrom.secretKeyRef.'
      : `${describeObject(obj)}: ${holder(container)} has a plaintext credential at ${f.path} (${f.what}). ` +
        'Fix: keep it in a Secret and reference it with env[].valueFrom.secretKeyRef, ' +
        'or declare the endpoint as an ExternalName Service with extguard.io/secret and annotate the workload with extguard.io/inject.',
  };
  return { violation, warning: warningLine(violation, `plaintext credential (${f.what}); move it to a Secret and use secretKeyRef`) };
}

/**
 * A credential kept in a ConfigMap's data: which key, which grammar and line, never the value.
 * The fix keeps the file whole: a Secret mounts the same way (volumes[].secret), and a single
 * value is read with secretKeyRef.
 */
export function configMapViolation(obj: ObjectRef, f: ConfigMapFinding): Judged {
  const where = describeFinding(f);
  const violation: Violation = {
    rule: 'plaintext-credential',
    container: '',
    path: f.path,
    message: `${describeObject(obj)}: ${where} holds a plaintext credential (${f.what}); anyone who may read ConfigMaps in the namespace can read it. ` +
      'Fix: move it into a Secret and mount that Secret where the ConfigMap was mounted (volumes[].secret), or read the value with env[].valueFrom.secretKeyRef; ' +
      'in the file, refer to it the way its program reads the environment or a file (e.g. ${env:NAME}).',
  };
  return { violation, warning: warningLine(violation, `plaintext credential (${f.what}) in ${where}; move it to a Secret`) };
}

/** The last violation of a ConfigMap with more than CONFIGMAP_LISTED credentials: how many more. */
export function unlistedConfigMapViolations(obj: ObjectRef, count: number): Judged {
  const violation: Violation = {
    rule: 'plaintext-credential', container: '', path: 'data',
    message: `${describeObject(obj)}: ${count} more plaintext credential(s) not listed (a ConfigMap is listed up to ${CONFIGMAP_LISTED}). Fix those, then check again.`,
  };
  return { violation, warning: `[plaintext-credential] ${count} more credential(s) in the ConfigMap's data not listed` };
}

/** A DNS-1035 label for a Service named after a host: api.stripe.com -> api-stripe-com. */
export function serviceNameFor(host: string): string {
  let name = trimEndChars(host.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, ''), '-');
  if (name.length > 63) name = trimEndChars(name.slice(0, 63), '-');
  return name || 'external-endpoint';
}

const isIp = (host: string): boolean => /^[0-9.]+$/.test(host) || host.includes(':');

export function externalNameSnippet(namespace: string, host: ShownHost, port?: number): string {
  return [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${serviceNameFor(host)}`,
    `  namespace: ${namespace}`,
    'spec:',
    '  type: ExternalName',
    `  externalName: ${host}`,
    ...(port ? ['  ports:', `  - port: ${port}`] : []),
  ].join('\n');
}

/**
 * An undeclared host, named. The host comes only as a ShownHost (hosts.ts `shownHost`): the
 * finding's own `host` is never read here, so a host from a credential place cannot be printed.
 */
export function hostViolation(obj: ObjectRef, container: string, f: Omit<HostFinding, 'host'>, host: ShownHost): Judged {
  if (f.under) {
    const pattern = `*.${host}`;
    return lazyJudged('undeclared-external-host', container, f.path,
      () => `${describeObject(obj)}: ${holder(container)} reaches an undeclared external host under "${host}" at ${f.path}; ` +
        'its leading labels come from a value that is not in the object (a variable or a placeholder), so no single ExternalName Service declares it. ' +
        `Fix: write the full host name and declare it, or, if every host under ${host} is acceptable, add "${pattern}" to allowedHosts in the extguard configuration.`,
      () => `undeclared external host "${pattern}" (built at run time); declare the full name or allow ${pattern}`);
  }
  const message = (): string => {
    const head = `${describeObject(obj)}: ${holder(container)} reaches undeclared external host "${host}" at ${f.path}.`;
    return METADATA_HOSTS.has(host)
      ? `${head} It is a cloud metadata service, which hands out the node's and the cloud account's credentials. ` +
        `Fix: remove it; if this workload must reach it, a cluster administrator can add "${host}" to allowedHosts in the extguard configuration.`
      : isIp(host)
      ? `${head} Fix: reach it through a DNS name declared by an ExternalName Service, ` +
        'or, if the address is inside your network, add its range to internalCIDRs in the extguard configuration.'
      : `${head} Fix: declare it with an ExternalName Service in this namespace; the workload may keep using the host name, so TLS still verifies it (or inject the Service's settings with extguard.io/inject):\n${externalNameSnippet(obj.namespace, host, f.port)}`;
  };
  return lazyJudged('undeclared-external-host', container, f.path, message, () => `undeclared external host "${host}"; declare it with an ExternalName Service`);
}

/**
 * An undeclared host found in a value that holds a credential, sits under a credential's name,
 * or flows into one: the host is not shown, since a password may look like a host name, an
 * address or a URL (`DB_PASSWORD=summer2024.io`). The violation still stands.
 */
export function hiddenHostViolation(obj: ObjectRef, container: string, path: string): Judged {
  const violation: Violation = {
    rule: 'undeclared-external-host',
    container,
    path,
    message: `${describeObject(obj)}: ${holder(container)} reaches an undeclared external host at ${path}; ` +
      'the host is not shown because that value holds a credential or is used as one. ' +
      'Fix: move the credential into a Secret and declare the host with an ExternalName Service (the workload may keep using the host name).',
  };
  return { violation, warning: warningLine(violation, 'undeclared external host (not shown: the value holds a credential); declare it with an ExternalName Service') };
}

/**
 * A word that only looks like an external host, in no position that says it is one: not
 * judged, so never a denial. The warning names no host: a shape cannot tell a host from a
 * password, a key or a file name, and a credential must never be echoed.
 */
export function shapeWarning(container: string, paths: readonly string[]): string {
  const more = paths.length > 1 ? ` (and ${paths.length - 1} more: ${paths.slice(1, 4).join(', ')}${paths.length > 4 ? ', …' : ''})` : '';
  const where = `${container ? `container "${container}" ` : ''}${paths[0]}${more}`;
  const what = paths.length > 1
    ? 'look like external hosts, but nothing in their positions says the workload connects to them'
    : 'looks like an external host, but nothing in its position says the workload connects to it';
  return `[undeclared-external-host] ${where}: ${what}; not judged. ` +
    'If it does, declare the host with an ExternalName Service (extguard egress enforces declarations at run time).';
}

/**
 * Violations spelled out in a denial. The rest are counted, not listed: a denial is read by a
 * person in a terminal, and a response with thousands of messages costs the API server and
 * etcd's event size more than it tells anyone. `extguard check` lists them all.
 */
export const DENIAL_LISTED = 20;

/** The denial text: the first DENIAL_LISTED violations with their fixes, and how many more. */
export function denialMessage(obj: ObjectRef, violations: readonly Violation[]): string {
  const n = violations.length;
  const listed = violations.slice(0, DENIAL_LISTED).map((v, i) => `${i + 1}. [${v.rule}] ${v.message}`);
  if (n > DENIAL_LISTED) listed.push(`... and ${n - DENIAL_LISTED} more violation(s); run "extguard check" on the manifest for the full list`);
  return `extguard denied ${describeObject(obj)}: ${n} violation${n === 1 ? '' : 's'}\n` + listed.join('\n');
}
