// The native policies shipped with the kustomize base and the chart: generated from the config
// each ships (tools/native/shipped.ts), so neither binds a policy stricter than its own webhook.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { stringify as toYaml } from 'yaml';
import { parseConfig } from '../../src/config/config.ts';
import { baseConfigText, chartConfig, MODES, shippedFiles } from '../../tools/native/shipped.ts';

describe('shipped native policies', () => {
  const files = shippedFiles();

  it('every shipped file is what `npm run native-policies` prints (regenerate with it)', () => {
    for (const [path, content] of files) expect(readFileSync(path, 'utf8'), path).to.equal(content);
    expect([...files.keys()].filter((p) => p.includes('policies-'))).to.have.length(MODES.length);
  });

  it("the kustomize base's policies bind as its own config: audit by default, its exempt namespaces skipped", () => {
    const config = parseConfig(baseConfigText(), 'base');
    expect(config.defaultMode).to.equal('audit');
    const bindings = parseAllDocuments(files.get('manifests/native/policies.yaml')!).map((d) => d.toJS()).filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    const credential = bindings.filter((b) => b.spec.policyName === 'extguard-native-plaintext-credential');
    // No Deny binding for unlabelled namespaces: the enforce binding requires the label.
    const enforce = credential.find((b) => b.metadata.name.endsWith('-enforce'))!;
    expect(enforce.spec.matchResources.namespaceSelector.matchExpressions).to.deep.include({ key: 'extguard.io/mode', operator: 'Exists' });
    expect(credential.map((b) => b.metadata.name)).to.include('extguard-native-plaintext-credential-audit-default');
    const workloadBindings = bindings.filter((b) => b.spec.matchResources?.namespaceSelector);
    expect(workloadBindings.length).to.be.greaterThan(8);
    for (const b of workloadBindings) {
      const names = b.spec.matchResources.namespaceSelector.matchExpressions.filter((e: any) => e.key === 'kubernetes.io/metadata.name').flatMap((e: any) => e.values);
      for (const ns of config.exemptNamespaces) expect(names, `${b.metadata.name} skips ${ns}`).to.include(ns);
    }
  });

  it("the chart's default config is the base's (so both install paths judge alike), and config.json is it without defaultMode", () => {
    expect(parseConfig(toYaml(chartConfig()), 'chart')).to.deep.equal(parseConfig(baseConfigText(), 'base'));
    const json = JSON.parse(files.get('charts/extguard/files/native/config.json')!);
    expect(json).to.not.have.property('defaultMode');
    expect(json.exemptNamespaces).to.include('extguard-system');
  });
});
