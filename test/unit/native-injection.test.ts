// Shape and determinism of the native injection policies, and the Declarations facts they read:
// built from the webhook's own code, they must give the webhook's variables. (Behaviour in the
// API server: test/e2e/native-injection.test.ts.)

import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { catalogFromDocuments, type ManifestDocument } from '../../src/catalog/files.ts';
import { mutateManifests } from '../../src/cli/report.ts';
import { DEFAULT_CONFIG, parseConfig } from '../../src/config/config.ts';
import { policyOf } from '../helpers/policy.ts';
import { WORKLOAD_RULES } from '../../src/native/common.ts';
import { declaredServices, injectionPolicies, type DeclaredService } from '../../src/native/injection.ts';
import { INJECT, INJECT_CONTAINERS } from '../../src/policy/annotations.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const docs = (objects: Obj[]): ManifestDocument[] => objects.map((object, i) => ({ source: `test#${i}`, object }));
const svc = (namespace: string, name: string, spec: Obj, annotations: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, annotations }, spec });

describe('native injection policies', () => {
  const objects = injectionPolicies(DEFAULT_CONFIG, { minor: 36 });
  const policies = objects.filter((o) => o.kind === 'MutatingAdmissionPolicy') as Obj[];
  const bindings = objects.filter((o) => o.kind === 'MutatingAdmissionPolicyBinding') as Obj[];

  it('is one JSONPatch MutatingAdmissionPolicy and one binding per pod-spec location, v1 for 1.36, v1beta1 for 1.34-1.35, none before', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(['pod', 'template', 'cronjob', 'podtemplate'].flatMap((s) => [
      `MutatingAdmissionPolicy/extguard-inject-${s}`, `MutatingAdmissionPolicyBinding/extguard-inject-${s}`,
    ]));
    expect(new Set(objects.map((o) => o.apiVersion))).to.deep.equal(new Set(['admissionregistration.k8s.io/v1']));
    expect(new Set(injectionPolicies(DEFAULT_CONFIG, { minor: 35 }).map((o) => o.apiVersion))).to.deep.equal(new Set(['admissionregistration.k8s.io/v1beta1']));
    expect(injectionPolicies(DEFAULT_CONFIG, { minor: 33 })).to.deep.equal([]);
    for (const p of policies) {
      expect(p.spec.mutations).to.have.length(1);
      expect(p.spec.mutations[0].patchType).to.equal('JSONPatch');
      // An expression error or a cost-limit hit must never deny: the webhook, when up, does the rest.
      expect(p.spec.failurePolicy).to.equal('Ignore');
      expect(p.spec.paramKind).to.deep.equal({ apiVersion: 'extguard.io/v1alpha1', kind: 'Declarations' });
    }
  });

  it('covers exactly the nine kinds of the webhook, Pods on CREATE only', () => {
    const covered = policies.flatMap((p) => p.spec.matchConstraints.resourceRules.flatMap((r: Obj) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}:${r.operations.join('+')}`)));
    const expected = WORKLOAD_RULES.flatMap((r) => r.resources.map((res) => `${r.apiGroups[0]}/${res}:${res === 'pods' ? 'CREATE' : 'CREATE+UPDATE'}`));
    expect([...covered].sort()).to.deep.equal([...expected].sort());
  });

  it('reads the annotation names from the judge\'s table and adds each variable on its own (no list of Object initialisers)', () => {
    for (const p of policies) {
      const vars = Object.fromEntries(p.spec.variables.map((v: Obj) => [v.name, v.expression]));
      expect(vars.requested).to.contain(JSON.stringify(INJECT));
      expect(vars.containerNames).to.contain(JSON.stringify(INJECT_CONTAINERS));
      const patch: string = p.spec.mutations[0].jsonPatch.expression;
      expect(patch).to.contain("+ '/-', value: v.secret == ''");
      expect(patch).to.contain('value: []');
      expect(patch).not.to.match(/value: \[\s*Object\./);
    }
  });

  it('binds where the webhook mutates: never mode off nor exempt namespaces nor those its entry skips (cert-manager too); a defaultMode off needs the label', () => {
    for (const b of bindings) {
      expect(b.spec.paramRef).to.deep.equal({ name: 'extguard', parameterNotFoundAction: 'Allow' });
      expect(b.spec.matchResources.namespaceSelector.matchExpressions).to.deep.equal([
        { key: 'extguard.io/mode', operator: 'NotIn', values: ['off'] },
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...DEFAULT_CONFIG.exemptNamespaces].sort() },
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['cert-manager', 'extguard-system', 'kube-system'] },
      ]);
    }
    const off = injectionPolicies(parseConfig('defaultMode: "off"\nexemptNamespaces: []\n'), { minor: 36 }).find((o) => o.kind === 'MutatingAdmissionPolicyBinding') as Obj;
    expect(off.spec.matchResources.namespaceSelector.matchExpressions).to.deep.equal([
      { key: 'extguard.io/mode', operator: 'NotIn', values: ['off'] },
      { key: 'extguard.io/mode', operator: 'Exists' },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['cert-manager', 'extguard-system', 'kube-system'] },
    ]);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(injectionPolicies(DEFAULT_CONFIG, { minor: 36 }))).to.equal(JSON.stringify(objects));
  });
});

describe('native injection: Declarations services', () => {
  const services = [
    svc('shop', 'db', { type: 'ExternalName', externalName: 'db.example.com', ports: [{ port: 5432 }, { port: 5433 }] }, { 'extguard.io/env-prefix': 'DB', 'extguard.io/secret': 'db-creds' }),
    svc('shop', 'api', { type: 'ExternalName', externalName: 'api.example.com.' }, { 'extguard.io/host': 'external-name', 'extguard.io/secret': 'k', 'extguard.io/secret-keys': 'token=TOKEN, broken' }),
    svc('shop', 'cache', { type: 'ExternalName', externalName: 'cache.example.com' }, { 'extguard.io/env-prefix': 'not valid' }),
    // Shadows the shared one but is not ExternalName: the webhook reports it, so it is left out.
    svc('shop', 'internal', { type: 'ClusterIP', ports: [{ port: 80 }] }),
    svc('common', 'internal', { type: 'ExternalName', externalName: 'internal.example.com' }),
    svc('common', 'ledger', { type: 'ExternalName', externalName: 'ledger.example.com', ports: [{ port: 443 }] }),
    svc('common', 'cache', { type: 'ExternalName', externalName: 'other-cache.example.com' }),
    svc('elsewhere', 'mail', { type: 'ExternalName', externalName: 'mail.example.com' }),
  ];

  it('lists, sorted, the ExternalName Services the webhook would find from the namespace, resolved for it', () => {
    expect(declaredServices('shop', catalogFromDocuments(docs(services)), 'common')).to.deep.equal([
      { name: 'api', prefix: 'API', host: 'api.example.com', secret: 'k', keys: [{ key: 'token', suffix: 'TOKEN' }] },
      { name: 'cache', prefix: 'CACHE', host: 'cache' },
      { name: 'db', prefix: 'DB', host: 'db', port: 5432, secret: 'db-creds', keys: [{ key: 'username', suffix: 'USER' }, { key: 'password', suffix: 'PASSWORD' }] },
      { name: 'ledger', prefix: 'LEDGER', host: 'ledger.common.svc', port: 443 },
    ] satisfies DeclaredService[]);
    expect(declaredServices('shop', catalogFromDocuments(docs(services))).map((s) => s.name)).to.deep.equal(['api', 'cache', 'db']);
  });

  it('gives, applied as the policy applies it, exactly the variables `extguard mutate` gives', () => {
    const declared = declaredServices('shop', catalogFromDocuments(docs(services)), 'common');
    const names = ['ledger', 'db', 'api', 'cache', 'db'];
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', annotations: { [INJECT]: names.join(', ') } }, spec: { containers: [{ name: 'app', image: 'x' }] } };
    const policy = policyOf('sharedNamespace: common');
    const out = parseAllDocuments(mutateManifests(docs([pod]), docs(services), policy).yaml)[0]!.toJS() as Obj;
    // The CEL of the policy, in TypeScript: each named service's variables, first definition of a name wins.
    const model: Obj[] = [];
    for (const n of names) {
      const s = declared.find((d) => d.name === n)!;
      const vars: Obj[] = [{ name: `${s.prefix}_HOST`, value: s.host }];
      if (s.port !== undefined) vars.push({ name: `${s.prefix}_PORT`, value: String(s.port) });
      if (s.secret !== undefined) for (const k of s.keys ?? []) vars.push({ name: `${s.prefix}_${k.suffix}`, valueFrom: { secretKeyRef: { name: s.secret, key: k.key } } });
      for (const v of vars) if (!model.some((m) => m.name === v.name)) model.push(v);
    }
    expect(out.spec.containers[0].env).to.deep.equal(model);
    expect(model.length).to.equal(9);
  });
});
