import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { canonical, desiredDeclarations } from '../../src/catalog/declarations-sync.ts';
import { buildSnapshot } from '../../src/catalog/snapshot.ts';
import { parseConfig } from '../../src/config/config.ts';
import { DEFAULT_TARGET } from '../../src/native/common.ts';
import { declarationObjects, declarationsCrd, DECLARATIONS_GROUP, DECLARATIONS_KIND, DECLARATIONS_NAME, DECLARATIONS_PLURAL, DECLARATIONS_VERSION } from '../../src/native/declarations.ts';
import { DECLARATIONS } from '../../src/native/injection.ts';
import { nativePolicies } from '../../src/native/policies.ts';
import { catalogOf } from '../helpers/policy.ts';
import { clusterIPService, externalService, namespace } from '../helpers/objects.ts';

const config = parseConfig('allowedHosts: ["*.Stripe.com.", "api.github.com"]\nsharedNamespace: shared\nexemptNamespaces: [kube-system]\n', 'test');

describe('native Declarations', () => {
  it('`extguard policies` prints the CRD first (manifests/native/policies.yaml ships it), and the same Declarations names as the injection policies read', () => {
    const shipped = parseAllDocuments(readFileSync(new URL('../../manifests/native/policies.yaml', import.meta.url), 'utf8')).map((d) => d.toJS());
    expect(shipped[0]).to.deep.equal(declarationsCrd());
    expect(nativePolicies(config, { namespace: 'ops' })[0]).to.deep.equal(declarationsCrd());
    expect([DECLARATIONS.group, DECLARATIONS.version, DECLARATIONS.kind, DECLARATIONS.plural, DECLARATIONS.name]).to.deep.equal([DECLARATIONS_GROUP, DECLARATIONS_VERSION, DECLARATIONS_KIND, DECLARATIONS_PLURAL, DECLARATIONS_NAME]);
  });

  it("lets only extguard's ServiceAccount (of the namespace it runs in) write Declarations", () => {
    const [, vap, binding] = declarationObjects(config, { target: DEFAULT_TARGET, namespace: 'ops' });
    expect(JSON.stringify((vap as any).spec.validations)).to.contain("request.userInfo.username == 'system:serviceaccount:ops:extguard'");
    expect((vap as any).spec.matchConstraints.resourceRules[0].operations).to.deep.equal(['CREATE', 'UPDATE', 'DELETE']);
    expect((binding as any).spec).to.deep.equal({ policyName: vap!.metadata.name, validationActions: ['Deny'] });
  });

  describe('what serve writes', () => {
    const objects = [
      namespace('shop'), namespace('shared'), namespace('quiet', 'off'), namespace('kube-system'), namespace('typo', 'Enforce'),
      externalService('paypal', 'API.PayPal.com.', { namespace: 'shop', ports: [443], annotations: { 'extguard.io/secret': 'paypal-creds' } }),
      externalService('slack', 'hooks.slack.com', { namespace: 'shared', annotations: { 'extguard.io/env-prefix': 'CHAT' } }),
      externalService('maps', 'maps.googleapis.com', { namespace: 'shared' }),
      // shop's own ClusterIP Service named maps shadows the shared one for injection (but not its host).
      clusterIPService('maps', { namespace: 'shop' }),
      externalService('orphan', 'x.example.org', { namespace: 'gone' }),
    ];
    const desired = desiredDeclarations(catalogOf(objects), config);

    it('one per judged namespace: not exempt, not off, an unknown mode is enforce', () => {
      expect([...desired.keys()]).to.deep.equal(['shared', 'shop', 'typo']);
    });

    it("hosts: allowedHosts (normalised), the namespace's and the shared namespace's ExternalName targets, sorted", () => {
      expect(desired.get('shop')!.hosts).to.deep.equal(['*.stripe.com', 'api.github.com', 'api.paypal.com', 'hooks.slack.com', 'maps.googleapis.com']);
      expect(desired.get('typo')!.hosts).to.deep.equal(['*.stripe.com', 'api.github.com', 'hooks.slack.com', 'maps.googleapis.com']);
    });

    it('services: as injection resolves them from the namespace (own first, shared by its .svc name)', () => {
      expect(desired.get('shop')!.services).to.deep.equal([
        { name: 'paypal', prefix: 'PAYPAL', host: 'paypal', port: 443, secret: 'paypal-creds', keys: [{ key: 'username', suffix: 'USER' }, { key: 'password', suffix: 'PASSWORD' }] },
        { name: 'slack', prefix: 'CHAT', host: 'slack.shared.svc' },
      ]);
      expect(desired.get('shared')!.services.map((s) => s.host)).to.deep.equal(['maps', 'slack']);
    });

    it('is the same whatever order the catalog lists things in (two replicas write the same bytes)', () => {
      const records = catalogOf(objects).records();
      const reversed = buildSnapshot([...records.services].reverse(), [...records.namespaces].reverse());
      const again = desiredDeclarations(reversed, config);
      expect([...again].map(([ns, spec]) => ns + canonical(spec))).to.deep.equal([...desired].map(([ns, spec]) => ns + canonical(spec)));
    });
  });

  it('canonical JSON sorts object keys at every depth, keeps list order', () => {
    expect(canonical({ b: 1, a: [{ d: 1, c: 2 }, 0] })).to.equal('{"a":[{"c":2,"d":1},0],"b":1}');
  });
});
