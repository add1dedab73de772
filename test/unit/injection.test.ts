import { expect } from 'chai';
import fastJsonPatch from 'fast-json-patch';
import { defaultEnvPrefix, parseSecretKeys } from '../../src/policy/injection.ts';
import { cronJob, deployment, externalService, pod } from '../helpers/objects.ts';
import { catalogOf, judgeCreate, policyOf } from '../helpers/policy.ts';

const db = externalService('external-db', 'my-database.example.com', {
  ports: [5432, 6432],
  annotations: { 'extguard.io/secret': 'db-credentials' },
});
const payments = externalService('payments-api', 'api.payments.example.com.', {
  ports: [443],
  annotations: { 'extguard.io/env-prefix': 'PAY', 'extguard.io/host': 'external-name', 'extguard.io/secret': 'pay', 'extguard.io/secret-keys': 'token=API_KEY' },
});
const clusterIp = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'internal', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } };
const catalog = catalogOf([db, payments, clusterIp]);

function mutated(obj: Record<string, unknown>, cat = catalog, policy = policyOf()) {
  const j = judgeCreate(obj, cat, policy);
  const after = fastJsonPatch.applyPatch(structuredClone(obj), j.verdict.patch as fastJsonPatch.Operation[], true, false).newDocument;
  return { j, after: after as any };
}

const DB_ENV = [
  { name: 'EXTERNAL_DB_HOST', value: 'external-db' },
  { name: 'EXTERNAL_DB_PORT', value: '5432' },
  { name: 'EXTERNAL_DB_USER', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'username' } } },
  { name: 'EXTERNAL_DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
];

describe('injection', () => {
  it('derives the default prefix from the Service name', () => {
    expect(defaultEnvPrefix('external-db')).to.equal('EXTERNAL_DB');
    expect(defaultEnvPrefix('a.b-c')).to.equal('A_B_C');
  });

  it('parses secret key mappings and reports malformed pairs', () => {
    expect(parseSecretKeys('username=USER, password=PASSWORD')).to.deep.equal({ pairs: [{ key: 'username', suffix: 'USER' }, { key: 'password', suffix: 'PASSWORD' }], bad: [] });
    expect(parseSecretKeys('=X,token,ok=OK,bad=lower-case!').bad).to.deep.equal(['=X', 'token', 'bad=lower-case!']);
  });

  it('appends host, first port and secretKeyRef credentials to a Pod', () => {
    const { j, after } = mutated(pod({ annotations: { 'extguard.io/inject': 'external-db' }, containers: [{}] }));
    expect(j.verdict.violations).to.deep.equal([]);
    expect(after.spec.containers[0].env).to.deep.equal(DB_ENV);
  });

  it('appends after the variables a container already has (an empty list included), with add operations only', () => {
    const own = { name: 'LOG_LEVEL', value: 'info' };
    for (const env of [[], [own]]) {
      const { j, after } = mutated(pod({ annotations: { 'extguard.io/inject': 'external-db' }, containers: [{ env }] }));
      expect(after.spec.containers[0].env).to.deep.equal([...env, ...DB_ENV]);
      expect(j.verdict.patch.map((op) => op.op)).to.deep.equal(DB_ENV.map(() => 'add'));
      expect(j.verdict.patch.map((op) => op.path)).to.deep.equal(DB_ENV.map((_, i) => `/spec/containers/0/env/${env.length + i}`));
    }
  });

  it('uses the externalName (trailing dot removed), the env-prefix and custom keys when the Service asks', () => {
    const { after } = mutated(pod({ annotations: { 'extguard.io/inject': 'payments-api' }, containers: [{}] }));
    expect(after.spec.containers[0].env).to.deep.equal([
      { name: 'PAY_HOST', value: 'api.payments.example.com' },
      { name: 'PAY_PORT', value: '443' },
      { name: 'PAY_API_KEY', valueFrom: { secretKeyRef: { name: 'pay', key: 'token' } } },
    ]);
  });

  it('injects only host when the Service declares no port and no secret', () => {
    const cat = catalogOf([externalService('api', 'api.example.com')]);
    const { after } = mutated(pod({ annotations: { 'extguard.io/inject': 'api' }, containers: [{}] }), cat);
    expect(after.spec.containers[0].env).to.deep.equal([{ name: 'API_HOST', value: 'api' }]);
  });

  it('appends after existing variables without reordering them', () => {
    const { after } = mutated(pod({ annotations: { 'extguard.io/inject': 'external-db' }, containers: [{ env: [{ name: 'Z', value: '1' }, { name: 'A', value: '2' }] }] }));
    expect(after.spec.containers[0].env.map((e: any) => e.name)).to.deep.equal(['Z', 'A', ...DB_ENV.map((e) => e.name)]);
  });

  it('never overwrites a variable the container defines, and says so in a warning', () => {
    const { j, after } = mutated(pod({ annotations: { 'extguard.io/inject': 'external-db' }, containers: [{ env: [{ name: 'EXTERNAL_DB_HOST', value: 'other' }] }] }));
    expect(after.spec.containers[0].env[0]).to.deep.equal({ name: 'EXTERNAL_DB_HOST', value: 'other' });
    expect(after.spec.containers[0].env).to.have.length(4);
    expect(j.verdict.warnings.join('\n')).to.match(/container "app" already defines EXTERNAL_DB_HOST; extguard did not overwrite it/);
  });

  it('is idempotent: the mutated object yields no patch and no warning', () => {
    const obj = deployment({ annotations: { 'extguard.io/inject': 'external-db, payments-api' }, containers: [{}, { name: 'sidecar' }] });
    const { after } = mutated(obj);
    const again = judgeCreate(after, catalog);
    expect(again.verdict.patch).to.deep.equal([]);
    expect(again.verdict.warnings).to.deep.equal([]);
  });

  it('injects into every container by default but not into initContainers', () => {
    const { after } = mutated(deployment({ annotations: { 'extguard.io/inject': 'external-db' }, containers: [{}, { name: 'sidecar' }], initContainers: [{ name: 'migrate' }] }));
    expect(after.spec.template.spec.containers[1].env).to.have.length(4);
    expect(after.spec.template.spec.initContainers[0].env).to.equal(undefined);
  });

  it('narrows to extguard.io/inject-containers, which may name an initContainer, and warns about unknown names', () => {
    const obj = deployment({
      templateAnnotations: { 'extguard.io/inject': 'external-db', 'extguard.io/inject-containers': 'migrate, ghost' },
      containers: [{}], initContainers: [{ name: 'migrate' }],
    });
    const { j, after } = mutated(obj);
    expect(after.spec.template.spec.containers[0].env).to.equal(undefined);
    expect(after.spec.template.spec.initContainers[0].env).to.have.length(4);
    expect(j.verdict.warnings.join('\n')).to.match(/names container "ghost", which does not exist/);
  });

  it('reads the annotation from a CronJob and patches through the job template', () => {
    const { j, after } = mutated(cronJob({ annotations: { 'extguard.io/inject': 'external-db' }, containers: [{}] }));
    expect(j.verdict.patch[0]!.path).to.equal('/spec/jobTemplate/spec/template/spec/containers/0/env');
    expect(after.spec.jobTemplate.spec.template.spec.containers[0].env).to.deep.equal(DB_ENV);
  });

  const unknown: [string, string, RegExp][] = [
    ['a missing Service', 'nope', /Service "nope", which does not exist in namespace shop/],
    ['a ClusterIP Service', 'internal', /Service "internal", which is a ClusterIP Service, not ExternalName/],
  ];
  for (const [what, name, message] of unknown) {
    it(`reports ${what} as unknown-external-service and still injects the others`, () => {
      const { j, after } = mutated(pod({ annotations: { 'extguard.io/inject': `${name},external-db` }, containers: [{}] }));
      expect(j.verdict.violations).to.have.length(1);
      const v = j.verdict.violations[0]!;
      expect(v).to.include({ rule: 'unknown-external-service', container: '', path: 'metadata.annotations["extguard.io/inject"]' });
      expect(v.message).to.match(message);
      expect(j.verdict.allowed).to.equal(false);
      expect(after.spec.containers[0].env).to.have.length(4);
    });
  }

  it('finds a Service in the shared namespace and points the host at it', () => {
    const cat = catalogOf([externalService('crm', 'crm.example.com', { namespace: 'external' })]);
    const { j, after } = mutated(pod({ annotations: { 'extguard.io/inject': 'crm' }, containers: [{}] }), cat, policyOf('sharedNamespace: external'));
    expect(j.verdict.violations).to.deep.equal([]);
    expect(after.spec.containers[0].env).to.deep.equal([{ name: 'CRM_HOST', value: 'crm.external.svc' }]);
  });

  it('does not inject in an off namespace', () => {
    const cat = catalogOf([db, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'extguard.io/mode': 'off' } } }]);
    expect(judgeCreate(pod({ annotations: { 'extguard.io/inject': 'external-db' }, containers: [{}] }), cat).verdict.patch).to.deep.equal([]);
  });
});
