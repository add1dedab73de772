import { expect } from 'chai';
import { decodeReview, ReviewError } from '../../src/admission/review.ts';
import { ConfigError, parseConfig } from '../../src/config/config.ts';
import { judge, type Judgement, type Requester } from '../../src/policy/judge.ts';
import { deployment } from '../helpers/objects.ts';
import { catalogOf, policyOf } from '../helpers/policy.ts';

type Json = Record<string, unknown>;

const TENANT: Requester = { username: 'alice', groups: ['tenants', 'system:authenticated'] };
const ADMIN: Requester = { username: 'root', groups: ['system:masters', 'system:authenticated'] };

const namespace = (name: string, labels: Record<string, string> = {}): Json => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const service = (name: string, ns: string, spec: Json): Json => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec });
const externalName = (host: string, ns = 'shop', name = 'ext'): Json => service(name, ns, { type: 'ExternalName', externalName: host });

const catalog = catalogOf([
  namespace('shop'), namespace('loose', { 'extguard.io/mode': 'warn' }), namespace('quiet', { 'extguard.io/mode': 'audit' }),
  namespace('dark', { 'extguard.io/mode': 'off' }), namespace('payments'),
]);

function run(op: 'CREATE' | 'UPDATE', object: Json, oldObject?: Json, requester?: Requester, config = ''): Judgement {
  return judge({ operation: op, object, ...(oldObject ? { oldObject } : {}), dryRun: false, ...(requester ? { requester } : {}) }, catalog, policyOf(config));
}
const rulesOf = (j: Judgement): string[] => j.verdict.violations.map((v) => v.rule);

describe('governance: mode-change-forbidden', () => {
  const before = namespace('team', { 'extguard.io/mode': 'enforce', team: 'a' });
  const cases: { what: string; op: 'CREATE' | 'UPDATE'; now: Json; old?: Json; denied: boolean }[] = [
    { what: 'switching it off', op: 'UPDATE', now: namespace('team', { 'extguard.io/mode': 'off', team: 'a' }), old: before, denied: true },
    { what: 'enforce to warn', op: 'UPDATE', now: namespace('team', { 'extguard.io/mode': 'warn', team: 'a' }), old: before, denied: true },
    { what: 'removing the label', op: 'UPDATE', now: namespace('team', { team: 'a' }), old: before, denied: true },
    { what: 'leaving off behind (a namespace already off is still guarded)', op: 'UPDATE', now: namespace('team', {}), old: namespace('team', { 'extguard.io/mode': 'off' }), denied: true },
    { what: 'creating a namespace with the label', op: 'CREATE', now: namespace('new', { 'extguard.io/mode': 'off' }), denied: true },
    { what: 'creating a namespace without it', op: 'CREATE', now: namespace('new', { team: 'a' }), denied: false },
    { what: 'changing another label', op: 'UPDATE', now: namespace('team', { 'extguard.io/mode': 'enforce', team: 'b' }), old: before, denied: false },
  ];
  for (const c of cases) {
    it(`${c.denied ? 'denies' : 'allows'} a tenant ${c.what}`, () => {
      const j = run(c.op, c.now, c.old, TENANT);
      expect(j.verdict.allowed).to.equal(!c.denied);
      expect(rulesOf(j)).to.deep.equal(c.denied ? ['mode-change-forbidden'] : []);
      if (c.denied) {
        expect(j.verdict.warnings[0]).to.match(/^\[mode-change-forbidden\] metadata\.labels\["extguard\.io\/mode"\]: /);
        expect(j.verdict.violations[0]!.message).to.match(/^Namespace (team|new): user "alice" /);
      }
    });
  }

  it('is enforced whatever the mode says: the label cannot switch off its own check', () => {
    const j = run('UPDATE', namespace('dark', {}), namespace('dark', { 'extguard.io/mode': 'off' }), TENANT, 'defaultMode: audit\nexemptNamespaces: [dark]\n');
    expect(j.verdict.allowed).to.equal(false);
  });

  it('allows admins: system:masters by default, or the configured users and groups, which replace the default', () => {
    const now = namespace('team', { 'extguard.io/mode': 'off' });
    expect(run('UPDATE', now, before, ADMIN).verdict.allowed).to.equal(true);
    const config = 'governance:\n  modeAdmins: { users: [alice] }\n';
    expect(run('UPDATE', now, before, TENANT, config).verdict.allowed).to.equal(true);
    expect(run('UPDATE', now, before, ADMIN, config).verdict.allowed, 'system:masters is no longer listed').to.equal(false);
    expect(run('UPDATE', now, before, TENANT, 'governance:\n  modeAdmins: { groups: [tenants] }\n').verdict.allowed).to.equal(true);
  });

  it('judges without a requester (extguard check) as an admin would', () => {
    expect(run('UPDATE', namespace('team', { 'extguard.io/mode': 'off' }), before).verdict.allowed).to.equal(true);
  });
});

describe('governance: invalid-declaration', () => {
  const refused = [
    '169.254.169.254', '203.0.113.9', '2001:db8::1', '2130706433', '0x7f.1', 'localhost', 'api.localhost', 'redis',
    'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'db.shop.svc', 'x.cluster.local',
    'api.payments', 'metadata.google.internal', 'metadata.azure.com', 'instance-data.ec2.internal', 'Metadata.Google.Internal.',
  ];
  for (const host of refused) {
    it(`refuses ${host} for everyone`, () => {
      for (const who of [TENANT, ADMIN, undefined]) {
        const j = run('CREATE', externalName(host), undefined, who);
        expect(rulesOf(j), String(who?.username)).to.deep.equal(['invalid-declaration']);
        expect(j.verdict.allowed).to.equal(false);
      }
    });
  }

  it('follows the clusterDomain setting', () => {
    expect(rulesOf(run('CREATE', externalName('api.corp.example'), undefined, TENANT, 'clusterDomain: corp.example\n'))).to.deep.equal(['invalid-declaration']);
  });

  it('accepts public names, and ignores Services that are not ExternalName', () => {
    expect(rulesOf(run('CREATE', externalName('db.partner-example.com'), undefined, TENANT))).to.deep.equal([]);
    expect(rulesOf(run('CREATE', service('web', 'shop', { ports: [{ port: 80 }] }), undefined, TENANT))).to.deep.equal([]);
  });

  it('follows the Service namespace mode', () => {
    const bad = (ns: string) => run('CREATE', externalName('169.254.169.254', ns), undefined, TENANT).verdict;
    expect([bad('loose').allowed, bad('loose').warnings.length]).to.deep.equal([true, 1]);
    expect([bad('quiet').allowed, bad('quiet').warnings.length, Object.keys(bad('quiet').auditAnnotations)]).to.deep.equal([true, 0, ['mode', 'violations']]);
    expect(bad('dark')).to.include({ allowed: true }).and.to.have.property('violations').that.is.empty;
    expect(bad('kube-system').allowed).to.equal(true);
  });

  it('judges only a new target: an old declaration can still be updated; turning a Service into one is judged', () => {
    const old = externalName('169.254.169.254');
    const labelled = { ...old, metadata: { name: 'ext', namespace: 'shop', labels: { a: 'b' } } };
    expect(run('UPDATE', labelled, old, TENANT).verdict.allowed).to.equal(true);
    expect(rulesOf(run('UPDATE', externalName('localhost'), service('ext', 'shop', { ports: [{ port: 80 }] }), TENANT))).to.deep.equal(['invalid-declaration']);
    expect(rulesOf(run('UPDATE', externalName('localhost'), externalName('db.partner-example.com'), TENANT))).to.deep.equal(['invalid-declaration']);
  });

  it('does not let an invalid declaration declare a host to the workload rule', () => {
    const c = catalogOf([externalName('8.8.4.4'), externalName('api.partner-example.com', 'shop', 'ok')]);
    const obj = deployment({ namespace: 'shop', containers: [{ args: ['--dns=8.8.4.4:53', '--api=https://api.partner-example.com'] }] });
    const j = judge({ operation: 'CREATE', object: obj, dryRun: false }, c, policyOf());
    expect(j.verdict.violations.map((v) => v.path)).to.deep.equal(['spec.template.spec.containers[0].args[0]']);
  });
});

describe('governance: undeclarable-host', () => {
  const config = 'governance:\n  declarations:\n    allowedTargets: ["*.partner-example.com", db.example.com]\n';
  const cases: [string, Requester | undefined, boolean][] = [
    ['api.partner-example.com', TENANT, true],
    ['db.example.com', TENANT, true],
    ['DB.Example.com.', TENANT, true],
    ['api.other-example.com', TENANT, false],
    ['partner-example.com', TENANT, false],
    ['api.other-example.com', ADMIN, true],
    ['api.other-example.com', undefined, true],
  ];
  for (const [host, who, ok] of cases) {
    it(`${ok ? 'lets' : 'stops'} ${who?.username ?? 'no requester'} declaring ${host}`, () => {
      const j = run('CREATE', externalName(host), undefined, who, config);
      expect(rulesOf(j)).to.deep.equal(ok ? [] : ['undeclarable-host']);
      if (!ok) expect(j.verdict.violations[0]!.message).to.contain('allowedTargets');
    });
  }

  it('judges a retarget, not an unchanged target, and honours configured admins', () => {
    expect(rulesOf(run('UPDATE', externalName('api.other-example.com'), externalName('api.partner-example.com'), TENANT, config))).to.deep.equal(['undeclarable-host']);
    expect(rulesOf(run('UPDATE', externalName('api.other-example.com'), externalName('api.other-example.com'), TENANT, config))).to.deep.equal([]);
    const admins = `${config}    admins: { users: [alice] }\n`;
    expect(rulesOf(run('CREATE', externalName('api.other-example.com'), undefined, TENANT, admins))).to.deep.equal([]);
  });

  it('lets anyone declare any public target while allowedTargets is empty', () => {
    expect(rulesOf(run('CREATE', externalName('api.other-example.com'), undefined, TENANT))).to.deep.equal([]);
  });
});

describe('governance configuration and requester', () => {
  it('refuses unknown keys and malformed targets, naming the path', () => {
    expect(() => parseConfig('governance:\n  modeAdmin: {}\n')).to.throw(ConfigError, /governance: must NOT have additional properties "modeAdmin"/);
    expect(() => parseConfig('governance:\n  declarations:\n    allowedTargets: ["evil.com/path"]\n')).to.throw(ConfigError, /governance\.declarations\.allowedTargets\.0/);
    expect(() => parseConfig('governance:\n  modeAdmins: { groups: [""] }\n')).to.throw(ConfigError, /governance\.modeAdmins\.groups\.0/);
  });

  it('reads userInfo from the review, and refuses a malformed one', () => {
    const review = (userInfo: unknown) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE', userInfo } });
    expect(decodeReview(review({ username: 'alice', groups: ['a'] })).userInfo).to.deep.equal({ username: 'alice', groups: ['a'] });
    expect(() => decodeReview(review({ username: 7 }))).to.throw(ReviewError, /userInfo\.username/);
    expect(() => decodeReview(review({ username: 'a', groups: 'admins' }))).to.throw(ReviewError, /userInfo\.groups/);
  });
});
