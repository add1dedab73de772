// Compares what `helm template charts/extguard` renders with what `kubectl kustomize
// manifests/<variant>` renders (or several directories' renders joined, e.g. self-signed and
// monitoring for the chart with monitoring.*.enabled), object by object, allowing only the
// differences listed in EXPECTED_DIFFERENCES (each with its reason). Pure: takes the two
// renders as text.
import { isDeepStrictEqual } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

type Obj = Record<string, any>;

/** Labels Helm charts carry by convention and kustomize's base does not. */
export const HELM_LABELS: Record<string, (release: { name: string; chartVersion: string; appVersion: string }) => string> = {
  'helm.sh/chart': (r) => `extguard-${r.chartVersion}`,
  'app.kubernetes.io/managed-by': () => 'Helm',
  'app.kubernetes.io/instance': (r) => r.name,
  'app.kubernetes.io/version': (r) => r.appVersion,
};

export const CERT_MATERIAL = '<certificate material>';

/**
 * Every difference the chart may have from manifests/, and why. Each rewrites the Helm side
 * (and, for material that is random on both sides, the kustomize side) into what the other
 * side has; anything left over is drift.
 */
export interface ExpectedDifference {
  what: string;
  why: string;
  normalise(helm: Obj[], kustomize: Obj[], release: { name: string; chartVersion: string; appVersion: string }): void;
}

const isWebhookConfig = (o: Obj) => o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration';

export const EXPECTED_DIFFERENCES: ExpectedDifference[] = [
  {
    what: 'Helm\'s standard labels (helm.sh/chart, app.kubernetes.io/managed-by, instance, version) on every object\'s metadata',
    why: 'Helm and chart tooling find a release\'s objects by them; pod template labels and selectors are not touched',
    normalise(helm, _k, release) {
      for (const o of helm) {
        const labels = o.metadata?.labels ?? {};
        for (const [key, expected] of Object.entries(HELM_LABELS)) {
          // Removed only with the value the chart must give it, so a wrong value is drift.
          if (labels[key] === expected(release)) delete labels[key];
        }
      }
    },
  },
  {
    what: 'app.kubernetes.io/name and part-of on the overlay objects (the Issuers and Certificates of manifests/cert-manager, the Secret extguard-tls of manifests/self-signed)',
    why: 'the `labels` of manifests/base/kustomization.yaml only reach the base\'s objects; the chart labels every object the same way so `-l app.kubernetes.io/part-of=extguard` finds them all',
    normalise(helm, kustomize) {
      for (const o of helm) {
        if (!['Issuer', 'Certificate', 'Secret'].includes(o.kind)) continue;
        const theirs = kustomize.find((k) => k.kind === o.kind && k.metadata?.name === o.metadata?.name);
        if (!theirs || theirs.metadata?.labels !== undefined) continue;
        const labels = o.metadata?.labels ?? {};
        for (const key of ['app.kubernetes.io/name', 'app.kubernetes.io/part-of']) if (labels[key] === 'extguard') delete labels[key];
        if (Object.keys(labels).length === 0) delete o.metadata.labels;
      }
    },
  },
  {
    what: 'certificate material: the data of Secret extguard-tls and every webhook caBundle',
    why: 'random on both sides (helm genCA/genSignedCert, `extguard certs`); helm.test.ts checks separately that the chart\'s certificate verifies against its caBundle for the Service name',
    normalise(helm, kustomize) {
      for (const o of [...helm, ...kustomize]) {
        if (o.kind === 'Secret' && o.metadata?.name === 'extguard-tls') {
          for (const k of ['tls.crt', 'tls.key']) if (typeof o.data?.[k] === 'string' && o.data[k].length > 0) o.data[k] = CERT_MATERIAL;
        }
        if (isWebhookConfig(o)) {
          for (const w of o.webhooks ?? []) if (typeof w.clientConfig?.caBundle === 'string' && w.clientConfig.caBundle.length > 0) w.clientConfig.caBundle = CERT_MATERIAL;
        }
      }
    },
  },
  {
    what: 'annotations extguard.io/not-after and extguard.io/ca-sha256 on the generated Secrets',
    why: 'Sprig cannot parse a certificate: an upgrade reads these to decide whether the CA and serving certificate in the cluster are still valid and can be kept',
    normalise(helm) {
      for (const o of helm) {
        if (o.kind !== 'Secret' || !['extguard-tls', 'extguard-ca'].includes(o.metadata?.name)) continue;
        const a = o.metadata.annotations ?? {};
        if (/^\d{4}-\d{2}-\d{2}T/.test(a['extguard.io/not-after'] ?? '')) delete a['extguard.io/not-after'];
        if (o.metadata.name === 'extguard-tls' && /^[0-9a-f]{64}$/.test(a['extguard.io/ca-sha256'] ?? '')) delete a['extguard.io/ca-sha256'];
        if (Object.keys(a).length === 0) delete o.metadata.annotations;
      }
    },
  },
  {
    what: 'an extra Secret extguard-ca (the CA certificate and key) with certificates.mode=generated',
    why: 'the CA key must stay somewhere for an upgrade to re-issue the serving certificate without changing the caBundle; manifests/self-signed keeps it on the operator\'s disk (certs/ca.key) instead. The Pods do not mount it',
    normalise(helm, kustomize) {
      const i = helm.findIndex((o) => o.kind === 'Secret' && o.metadata?.name === 'extguard-ca' && o.data?.['tls.crt'] && o.data?.['tls.key']);
      if (i >= 0 && !kustomize.some((o) => o.kind === 'Secret' && o.metadata?.name === 'extguard-ca')) helm.splice(i, 1);
    },
  },
  {
    what: 'the ConfigMap\'s config.yaml is compared as parsed YAML',
    why: 'the chart renders the `config` value with toYaml: same configuration, other key order and no comments',
    normalise(helm, kustomize) {
      for (const o of [...helm, ...kustomize]) {
        if (o.kind === 'ConfigMap' && o.metadata?.name === 'extguard-config' && typeof o.data?.['config.yaml'] === 'string') {
          o.data['config.yaml'] = parse(o.data['config.yaml']);
        }
      }
    },
  },
  {
    what: 'kustomize gives the ValidatingAdmissionPolicy and its binding the namespace of the kustomization',
    why: 'its built-in schema predates them, so it does not know they are cluster-scoped; the API server drops the namespace of a cluster-scoped object, so both store the same object (the e2e suite applies the manifests and the guard works)',
    normalise(_helm, kustomize) {
      for (const o of kustomize) {
        if ((o.kind === 'ValidatingAdmissionPolicy' || o.kind === 'ValidatingAdmissionPolicyBinding') && o.metadata?.namespace) delete o.metadata.namespace;
      }
    },
  },
  {
    what: 'the dashboard ConfigMap\'s extguard.json is compared as parsed JSON',
    why: 'not a difference: the same file on both sides (helm.test.ts checks the chart\'s copy byte for byte), parsed so that drift names the dashboard\'s field instead of printing 18 kB of text twice',
    normalise(helm, kustomize) {
      for (const o of [...helm, ...kustomize]) {
        if (o.kind === 'ConfigMap' && o.metadata?.name === 'extguard-dashboard' && typeof o.data?.['extguard.json'] === 'string') {
          o.data['extguard.json'] = JSON.parse(o.data['extguard.json']);
        }
      }
    },
  },
];

export function parseRender(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`invalid YAML in a render: ${d.errors[0]!.message}`);
    return d.toJS() as Obj | null;
  }).filter((o): o is Obj => o !== null && typeof o === 'object');
}

const keyOf = (o: Obj) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** Paths where a and b differ, as readable lines. */
export function diffValues(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [`  ${path || '/'}:\n      helm:      ${JSON.stringify(a)}\n      kustomize: ${JSON.stringify(b)}`];
  const keys = [...new Set([...Object.keys(a as Obj), ...Object.keys(b as Obj)])];
  return keys.flatMap((k) => diffValues((a as Obj)[k], (b as Obj)[k], `${path}/${k}`));
}

/**
 * The drift between the two renders after the expected differences, as a readable report;
 * empty when the chart installs the same objects as the kustomize variant.
 */
export function compareRenders(helmText: string, kustomizeText: string, release: { name: string; chartVersion: string; appVersion: string }): string {
  const helm = parseRender(helmText);
  const kustomize = parseRender(kustomizeText);
  for (const d of EXPECTED_DIFFERENCES) d.normalise(helm, kustomize, release);
  const h = new Map(helm.map((o) => [keyOf(o), o]));
  const k = new Map(kustomize.map((o) => [keyOf(o), o]));
  const report: string[] = [];
  for (const key of [...new Set([...h.keys(), ...k.keys()])].sort()) {
    if (!k.has(key)) report.push(`${key}: only in the chart`);
    else if (!h.has(key)) report.push(`${key}: only in manifests/`);
    else {
      const lines = diffValues(h.get(key), k.get(key));
      if (lines.length > 0) report.push(`${key}:\n${lines.join('\n')}`);
    }
  }
  return report.join('\n');
}
