import { expect } from 'chai';
import { parseConfig } from '../../src/config/config.ts';
import { nativePolicies } from '../../src/native/policies.ts';

describe('native policies, together', () => {
  // The webhook entries never send kube-system, extguard-system nor cert-manager (webhooks.yaml);
  // a native policy acting there would be stricter than the webhook, whatever exemptNamespaces says.
  it('no workload or Service policy, nor injection binding, acts in a namespace the webhook entries skip', () => {
    const objs = nativePolicies(parseConfig('exemptNamespaces: []'));
    const skipped = ['cert-manager', 'extguard-system', 'kube-system'];
    const excludes = (sel: any) => (sel?.matchExpressions ?? []).some((e: any) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn' && skipped.every((n) => e.values.includes(n)));
    const judging = objs.filter((o: any) => o.kind === 'ValidatingAdmissionPolicy' && o.spec.matchConstraints.resourceRules.some((r: any) => r.resources.some((x: string) => ['pods', 'deployments', 'cronjobs', 'services'].includes(x))));
    expect(judging.map((o) => o.metadata.name).sort()).to.include.members(['extguard-native-plaintext-credential', 'extguard-native-undeclared-host', 'extguard-native-unknown-service']);
    for (const o of judging as any[]) expect(excludes(o.spec.matchConstraints.namespaceSelector), o.metadata.name).to.equal(true);
    const injection = objs.filter((o) => o.kind === 'MutatingAdmissionPolicyBinding') as any[];
    expect(injection.length).to.be.greaterThan(0);
    for (const b of injection) expect(excludes(b.spec.matchResources.namespaceSelector), b.metadata.name).to.equal(true);
  });
});

describe('native policies, with exceptions and rule settings', () => {
  const config = parseConfig([
    'exceptions:',
    '  - {namespace: shop, kind: Deployment, name: "rep*", rules: [plaintext-credential], reason: r, expires: "2027-03-31"}',
    '  - {namespace: billing, rules: [plaintext-credential, undeclared-external-host], reason: r, expires: "2020-01-01"}',
    'rules:',
    '  undeclared-external-host: {maxVerdict: warn}',
    '  unknown-external-service: {maxVerdict: "off"}',
  ].join('\n'));
  const objs = nativePolicies(config) as any[];
  const vap = (name: string) => objs.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === name);
  const bindings = (name: string) => objs.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.spec.policyName === name);

  it('each exception naming a rule becomes one not-excepted matchCondition of its policy, expired or not (CEL has no clock)', () => {
    const cred = vap('extguard-native-plaintext-credential').spec.matchConditions.find((c: any) => c.name === 'not-excepted');
    expect(cred.expression).to.equal(
      '!((request.namespace == "shop" && ((request.kind.kind == "Deployment" && object.metadata.?name.orValue(\'\').matches("^rep.*$")) || ' +
        'object.metadata.?ownerReferences.orValue([]).exists(r, r.?controller.orValue(false) == true && r.kind in ["Deployment", "ReplicaSet"] && r.name.matches("^rep.*(-[a-z0-9]+)?$")))) || ' +
        '(request.namespace == "billing" && ((true) || object.metadata.?ownerReferences.orValue([]).exists(r, r.?controller.orValue(false) == true))))',
    );
    const host = vap('extguard-native-undeclared-host').spec.matchConditions.find((c: any) => c.name === 'not-excepted');
    expect(host.expression).to.contain('"billing"').and.not.contain('"shop"');
  });

  it('maxVerdict warn binds the rule Warn where it bound Deny; off leaves its policy out', () => {
    const host = bindings('extguard-native-undeclared-host');
    expect(host.length).to.be.greaterThan(0);
    for (const b of host) expect(b.spec.validationActions).to.not.include('Deny');
    expect(host.find((b) => b.metadata.name.endsWith('-enforce')).spec.validationActions).to.deep.equal(['Warn']);
    expect(vap('extguard-native-unknown-service')).to.equal(undefined);
    expect(bindings('extguard-native-unknown-service')).to.deep.equal([]);
    expect(bindings('extguard-native-plaintext-credential').find((b) => b.metadata.name.endsWith('-enforce')).spec.validationActions).to.deep.equal(['Deny']);
  });

  it('without exceptions or rule settings the policies are the default ones', () => {
    expect(nativePolicies(parseConfig('rules: {plaintext-credential: {maxVerdict: deny}}'))).to.deep.equal(nativePolicies(parseConfig('')));
  });
});
