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
