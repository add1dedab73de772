import { expect } from 'chai';
import fastJsonPatch from 'fast-json-patch';
import { anotherReplicaReady, bundleTrusts, calledServices, enforced, failurePolicyPatch, handedOver, ownEndpointReady, parseFailurePolicies, FAILURE_POLICY_ANNOTATION, type Want, type WebhookConfigurationView } from '../../src/server/failure-policy.ts';
import { createCA, issueCert } from '../../src/tls/pki.ts';

const b64 = (pem: string) => Buffer.from(pem).toString('base64');
let caBundle = '';
let otherBundle = '';
let served = '';
let enforce: Want = () => undefined;

const shipped = (annotation: string | undefined, policies: Record<string, string | undefined>, bundle = caBundle): WebhookConfigurationView => ({
  metadata: annotation === undefined ? {} : { annotations: { [FAILURE_POLICY_ANNOTATION]: annotation } },
  webhooks: Object.entries(policies).map(([name, failurePolicy]) => ({
    name,
    ...(failurePolicy ? { failurePolicy } : {}),
    clientConfig: { ...(bundle ? { caBundle: bundle } : {}), service: { name: 'extguard', namespace: 'extguard-system' } },
  })),
});

before(async () => {
  const ca = await createCA('extguard-ca');
  const other = await createCA('someone-else');
  const leaf = await issueCert(ca, { commonName: 'extguard.extguard-system.svc', dnsNames: ['extguard.extguard-system.svc'], usage: 'server' });
  caBundle = b64(other.certPem + ca.certPem);
  otherBundle = b64(other.certPem);
  served = leaf.certPem;
  enforce = enforced(served);
});

/** What the API server stores after the patch (the tests of the patch run too). */
const apply = (cfg: WebhookConfigurationView, ops: unknown[]) =>
  fastJsonPatch.applyPatch(structuredClone(cfg), ops as fastJsonPatch.Operation[], true).newDocument;

describe('failure policy of the install window', () => {
  const ANNOTATION = 'validate.extguard.io=Fail, configmaps.extguard.io=Ignore,namespaces.extguard.io=Fail';

  it('reads the annotation: webhook=Fail|Ignore, comma separated, spaces allowed', () => {
    const p = parseFailurePolicies(ANNOTATION);
    expect(p.ok && [...p.targets]).to.deep.equal([['validate.extguard.io', 'Fail'], ['configmaps.extguard.io', 'Ignore'], ['namespaces.extguard.io', 'Fail']]);
  });

  for (const [bad, why] of [[undefined, 'no '], ['', 'no '], ['validate.extguard.io', 'not <webhook name>'], ['validate.extguard.io=fail', 'not <webhook name>'], ['=Fail', 'not <webhook name>'], ['a=Fail,a=Ignore', 'listed twice'], [',,', 'names no webhook'], [Array.from({ length: 65 }, (_, i) => `w${i}=Fail`).join(','), 'more than 64']] as const) {
    it(`refuses ${JSON.stringify(bad)?.slice(0, 40)} with a reason, and then changes nothing`, () => {
      const p = parseFailurePolicies(bad);
      expect(p.ok).to.equal(false);
      expect(!p.ok && p.error).to.contain(why);
      const plan = failurePolicyPatch(shipped(bad, { 'validate.extguard.io': 'Ignore' }), enforce);
      expect(plan.ops).to.deep.equal([]);
      expect(plan.error).to.be.a('string');
    });
  }

  it('once Ready: every listed webhook gets its annotated policy, unlisted ones are left alone', () => {
    const cfg = shipped(ANNOTATION, { 'validate.extguard.io': 'Ignore', 'declarations.other.io': 'Ignore', 'configmaps.extguard.io': 'Ignore', 'namespaces.extguard.io': 'Ignore' });
    const plan = failurePolicyPatch(cfg, enforce);
    expect(plan.changes).to.deep.equal([
      { webhook: 'validate.extguard.io', from: 'Ignore', to: 'Fail' },
      { webhook: 'namespaces.extguard.io', from: 'Ignore', to: 'Fail' },
    ]);
    const after = apply(cfg, plan.ops);
    expect(after.webhooks!.map((w) => w.failurePolicy)).to.deep.equal(['Fail', 'Ignore', 'Ignore', 'Fail']);
    expect(failurePolicyPatch(after, enforce).ops, 'a second round changes nothing').to.deep.equal([]);
  });

  it('an absent failurePolicy is the API default Fail: added when Ignore is wanted', () => {
    const cfg = shipped('validate.extguard.io=Fail', { 'validate.extguard.io': undefined });
    expect(failurePolicyPatch(cfg, enforce).ops).to.deep.equal([]);
    const handed = failurePolicyPatch(cfg, handedOver);
    expect(apply(cfg, handed.ops).webhooks![0]!.failurePolicy).to.equal('Ignore');
  });

  it('hand-over: every listed webhook fails open, whatever its target', () => {
    const cfg = shipped(ANNOTATION, { 'validate.extguard.io': 'Fail', 'configmaps.extguard.io': 'Ignore', 'namespaces.extguard.io': 'Fail', 'mine.example.com': 'Fail' });
    const after = apply(cfg, failurePolicyPatch(cfg, handedOver).ops);
    expect(after.webhooks!.map((w) => w.failurePolicy)).to.deep.equal(['Ignore', 'Ignore', 'Ignore', 'Fail']);
  });

  it('a list reordered since it was read makes the patch fail instead of changing the wrong entry', () => {
    const read = shipped(ANNOTATION, { 'validate.extguard.io': 'Ignore', 'configmaps.extguard.io': 'Ignore' });
    const now = shipped(ANNOTATION, { 'configmaps.extguard.io': 'Ignore', 'validate.extguard.io': 'Ignore' });
    expect(() => apply(now, failurePolicyPatch(read, enforce).ops)).to.throw();
  });

  it('holds Fail back while the caBundle does not trust the served certificate (empty, before CA injection; another CA); Ignore targets go through', () => {
    for (const bundle of ['', otherBundle, b64('not a certificate')]) {
      const cfg = shipped('validate.extguard.io=Fail,configmaps.extguard.io=Ignore', { 'validate.extguard.io': 'Ignore', 'configmaps.extguard.io': 'Fail' }, bundle);
      const plan = failurePolicyPatch(cfg, enforce);
      expect(plan.held, JSON.stringify(bundle.slice(0, 10))).to.deep.equal(['validate.extguard.io']);
      expect(plan.changes).to.deep.equal([{ webhook: 'configmaps.extguard.io', from: 'Fail', to: 'Ignore' }]);
    }
    expect(bundleTrusts(caBundle, served)).to.equal(true);
    expect(bundleTrusts(otherBundle, served)).to.equal(false);
  });

  it('finds the Services the managed webhooks call, once each', () => {
    const cfg = shipped(ANNOTATION, { 'validate.extguard.io': 'Fail', 'namespaces.extguard.io': 'Fail' });
    cfg.webhooks!.push({ name: 'other.example.com', clientConfig: { service: { name: 'other', namespace: 'elsewhere' } } });
    expect(calledServices(cfg)).to.deep.equal([{ namespace: 'extguard-system', name: 'extguard' }]);
  });

  describe('another replica Ready behind the Service', () => {
    const own = new Set(['10.0.0.5', 'fd00::5']);
    it('no: only this replica, or others not ready (terminating)', () => {
      expect(anotherReplicaReady([{ endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true } }] }], own)).to.equal(false);
      expect(anotherReplicaReady([{ endpoints: [{ addresses: ['10.0.0.6'], conditions: { ready: false } }] }, {}], own)).to.equal(false);
      expect(anotherReplicaReady([], own)).to.equal(false);
    });
    it('yes: another address ready, or with no ready condition (the API reads absent as ready)', () => {
      expect(anotherReplicaReady([{ endpoints: [{ addresses: ['10.0.0.5'] }, { addresses: ['10.0.0.6'], conditions: { ready: true } }] }], own)).to.equal(true);
      expect(anotherReplicaReady([{ endpoints: [{ addresses: ['10.0.0.7'], conditions: {} }] }], own)).to.equal(true);
    });
    it('a terminating endpoint is not ready, even with a stale ready: true', () => {
      expect(anotherReplicaReady([{ endpoints: [{ addresses: ['10.0.0.6'], conditions: { ready: true, terminating: true } }] }], own)).to.equal(false);
    });
  });

  describe('this replica Ready behind the Service (before it may fail closed)', () => {
    const own = new Set(['10.0.0.5']);
    it('only when its own address is a ready, not terminating, endpoint', () => {
      expect(ownEndpointReady([{ endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true } }] }], own)).to.equal(true);
      expect(ownEndpointReady([{ endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: false } }] }], own)).to.equal(false);
      expect(ownEndpointReady([{ endpoints: [{ addresses: ['10.0.0.6'], conditions: { ready: true } }] }], own), 'another replica only').to.equal(false);
      expect(ownEndpointReady([], own)).to.equal(false);
    });
  });
});
