// The native policies shipped with the manifests and the chart, generated from the config each
// of them ships, so that no install path binds a policy stricter than its own webhook (the
// default schema config enforces; the shipped configs audit, and exempt kube-public and others).
//
//   npm run native-policies      rewrites manifests/native/policies.yaml and charts/extguard/files/native/
//
// test/unit/native-shipped.test.ts fails when a file drifts from what this prints.

import { KUBECTL_YAML } from '../../src/objects/yaml-out.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { parseConfig } from '../../src/config/config.ts';
import { nativePolicies } from '../../src/native/policies.ts';

const ROOT = join(fileURLToPath(import.meta.url), '../../..');
export const MODES = ['audit', 'enforce', 'off', 'warn'] as const;

const render = (configText: string, source: string): string =>
  nativePolicies(parseConfig(configText, source), { target: { minor: 36 }, namespace: 'extguard-system' })
    .map((obj) => toYaml(obj, KUBECTL_YAML))
    .join('---\n');

/** The config text the kustomize base ships (its ConfigMap's config.yaml). */
export function baseConfigText(): string {
  const cm = parseYaml(readFileSync(join(ROOT, 'manifests/base/config.yaml'), 'utf8')) as { data: Record<string, string> };
  return cm.data['config.yaml']!;
}

/** The chart's default `config` value. */
export function chartConfig(): Record<string, unknown> {
  return (parseYaml(readFileSync(join(ROOT, 'charts/extguard/values.yaml'), 'utf8')) as { config: Record<string, unknown> }).config;
}

/** Every shipped file, path to content. */
export function shippedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('manifests/native/policies.yaml', render(baseConfigText(), 'manifests/base/config.yaml'));
  const chart = chartConfig();
  for (const mode of MODES) files.set(`charts/extguard/files/native/policies-${mode}.yaml`, render(toYaml({ ...chart, defaultMode: mode }), 'charts/extguard/values.yaml'));
  // What the chart compares `.Values.config` (without defaultMode) with before it renders them.
  const { defaultMode: _mode, ...rest } = chart;
  files.set('charts/extguard/files/native/config.json', `${JSON.stringify(rest, null, 2)}\n`);
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [path, content] of shippedFiles()) writeFileSync(join(ROOT, path), content);
}
