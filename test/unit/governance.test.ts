import { expect } from 'chai';
import { handleAdmission } from '../../src/admission/handler.ts';
import { decodeReview } from '../../src/admission/review.ts';
import type { CatalogSnapshot } from '../../src/catalog/snapshot.ts';
import { judge, type Judgement, type Policy, type Requester } from '../../src/policy/judge.ts';
import { denialMessage } from '../../src/policy/messages.ts';
import { clusterIPService, deployment, externalService, labelledNamespace, namespace } from '../helpers/objects.ts';
import { catalogOf, policyOf } from '../helpers/policy.ts';

type Json = Record<string, unknown>;

const MODE = 'extguard.io/mode';
// A tenant with the rights to label namespaces and create Services, but in no admin group.
const tenant: Requester = { username: 'alice', groups: ['system:authenticated', 'team-a-devs'] };
const master: Requester = { username: 'root', groups: ['system:authenticated', 'system:masters'] };

interface Req {
  object: Json;
  oldObject?: Json;
  requester?: Requester;
  subResource?: string;
}

function create(r: Req, catalog: CatalogSnapshot = catalogOf([]), policy: Policy = policyOf()): Judgement {
  return judge({ operation: 'CREATE', object: r.object, dryRun: false, ...(r.requester ? { requester: r.requester } : {}) }, catalog, policy);
}

function update(r: Req & { oldObject: Json }, catalog: CatalogSnapshot = catalogOf([]), policy: Policy = policyOf()): Judgement {
  return judge({
    operation: 'UPDATE', object: r.object, oldObject: r.oldObject, dryRun: false,
    ...(r.requester ? { requester: r.requester } : {}),
    ...(r.subResource ? { subResource: r.subResource } : {}),
  }, catalog, policy);
}

const rules = (j: Judgement): string[] => j.verdict.violations.map((v) => v.rule);
const modeLabels = (mode?: string): Record<string, string> => (mode === undefined ? {} : { [MODE]: mode });

describe('governance', () => {
  describe('mode-change-forbidden', () => {
    const changes: { what: string; before?: string; after?: string }[] = [
      { what: 'sets the label on a namespace without one', after: 'off' },
      { what: 'weakens enforce to off', before: 'enforce', after: 'off' },
      { what: 'weakens enforce to warn', before: 'enforce', after: 'warn' },
      { what: 'removes the label (back to defaultMode)', before: 'enforce' },
      // The check must not depend on the mode it guards: an `off` namespace is still governed.
      { what: 'changes off to enforce in a namespace that is off', before: 'off', after: 'enforce' },
      { what: 'removes off from a namespace that is off', before: 'off' },
      { what: 'sets a value that is not a mode', before: 'enforce', after: 'disabled' },
    ];
    for (const c of changes) {
      it(`denies a non-admin UPDATE that ${c.what}`, () => {
        const j = update(
          { object: labelledNamespace('team-a', { team: 'a', ...modeLabels(c.after) }), oldObject: labelledNamespace('team-a', { team: 'a', ...modeLabels(c.before) }), requester: tenant },
          catalogOf([labelledNamespace('team-a', { team: 'a', ...modeLabels(c.before) })]),
        );
        expect(j.verdict.allowed).to.equal(false);
        expect(j.verdict.mode).to.equal('enforce');
        expect(rules(j)).to.deep.equal(['mode-change-forbidden']);
        expect(j.subject).to.deep.equal({ apiVersion: 'v1', kind: 'Namespace', namespace: 'team-a', name: 'team-a' });
      });
    }

    it('denies it whatever defaultMode says (defaultMode: off does not switch the rule off)', () => {
      const j = update({ object: namespace('team-a', 'off'), oldObject: namespace('team-a', 'enforce'), requester: tenant }, catalogOf([]), policyOf('defaultMode: off'));
      expect(j.verdict.allowed).to.equal(false);
      expect(rules(j)).to.deep.equal(['mode-change-forbidden']);
    });

    it('denies a non-admin CREATE of a Namespace with the label, and allows one without', () => {
      for (const mode of ['off', 'warn', 'enforce']) {
        const j = create({ object: namespace('team-b', mode), requester: tenant });
        expect(j.verdict.allowed, mode).to.equal(false);
        expect(rules(j)).to.deep.equal(['mode-change-forbidden']);
      }
      const plain = create({ object: labelledNamespace('team-b', { team: 'b' }), requester: tenant });
      expect(plain.verdict.allowed).to.equal(true);
      expect(plain.verdict.violations).to.deep.equal([]);
      expect(plain.verdict.warnings).to.deep.equal([]);
    });

    it('allows a non-admin UPDATE that changes other labels only', () => {
      for (const mode of [undefined, 'off', 'enforce']) {
        const j = update({
          object: labelledNamespace('team-a', { team: 'a2', cost: 'x', ...modeLabels(mode) }),
          oldObject: labelledNamespace('team-a', { team: 'a', ...modeLabels(mode) }),
          requester: tenant,
        });
        expect(j.verdict.allowed, String(mode)).to.equal(true);
        expect(j.verdict.violations).to.deep.equal([]);
      }
    });

    it('allows system:masters by default to set, change and remove the label', () => {
      const pairs: [string | undefined, string | undefined][] = [[undefined, 'off'], ['enforce', 'off'], ['off', undefined]];
      for (const [before, after] of pairs) {
        const j = update({ object: labelledNamespace('team-a', modeLabels(after)), oldObject: labelledNamespace('team-a', modeLabels(before)), requester: master });
        expect(j.verdict.allowed, `${before} -> ${after}`).to.equal(true);
        expect(j.verdict.violations).to.deep.equal([]);
      }
      expect(create({ object: namespace('team-b', 'off'), requester: master }).verdict.allowed).to.equal(true);
    });

    // kubeadm >= 1.29 puts admin.conf in kubeadm:cluster-admins (bound to cluster-admin) and
    // keeps system:masters for the break-glass super-admin.conf: the rollout works with either.
    it('allows a kubeadm administrator (admin.conf: group kubeadm:cluster-admins) by default', () => {
      const kubeadmAdmin: Requester = { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };
      for (const [before, after] of [[undefined, 'warn'], ['warn', 'enforce'], ['enforce', 'off'], ['off', undefined]] as [string | undefined, string | undefined][]) {
        const j = update({ object: labelledNamespace('team-a', modeLabels(after)), oldObject: labelledNamespace('team-a', modeLabels(before)), requester: kubeadmAdmin });
        expect(j.verdict.allowed, `${before} -> ${after}`).to.equal(true);
      }
    });

    it('denies a managed-cluster administrator whose groups are not listed (EKS access policy: no admin group)', () => {
      const eksAdmin: Requester = { username: 'arn:aws:sts::111122223333:assumed-role/platform-admin/jane', groups: ['system:authenticated'] };
      const j = update({ object: namespace('team-a', 'warn'), oldObject: namespace('team-a', 'audit'), requester: eksAdmin });
      expect(j.verdict.allowed).to.equal(false);
      expect(rules(j)).to.deep.equal(['mode-change-forbidden']);
    });

    it('does not take a user named like an admin group for a member of it', () => {
      const j = create({ object: namespace('team-b', 'off'), requester: { username: 'system:masters', groups: ['system:authenticated'] } });
      expect(j.verdict.allowed).to.equal(false);
    });

    describe('with governance.modeAdmins configured', () => {
      const policy = policyOf('governance: {modeAdmins: {users: [ops-bot], groups: [platform-admins]}}');
      const setOff = (requester: Requester): Judgement => update({ object: namespace('team-a', 'off'), oldObject: namespace('team-a', 'enforce'), requester }, catalogOf([]), policy);

      it('allows the configured users and groups', () => {
        expect(setOff({ username: 'ops-bot', groups: [] }).verdict.allowed).to.equal(true);
        expect(setOff({ username: 'bob', groups: ['system:authenticated', 'platform-admins'] }).verdict.allowed).to.equal(true);
      });

      it('replaces the default: system:masters is no longer a mode admin', () => {
        const j = setOff(master);
        expect(j.verdict.allowed).to.equal(false);
        expect(rules(j)).to.deep.equal(['mode-change-forbidden']);
      });

      it('still denies everyone else', () => {
        expect(setOff(tenant).verdict.allowed).to.equal(false);
      });

      it('replaces the default groups even when only users are configured', () => {
        const usersOnly = policyOf('governance: {modeAdmins: {users: [ops-bot]}}');
        const j = update({ object: namespace('team-a', 'off'), oldObject: namespace('team-a', 'enforce'), requester: master }, catalogOf([]), usersOnly);
        expect(j.verdict.allowed).to.equal(false);
      });
    });

    it('allows any change when there is no requester (extguard check judges as an admin would)', () => {
      expect(update({ object: namespace('team-a', 'off'), oldObject: namespace('team-a', 'enforce') }).verdict.allowed).to.equal(true);
      expect(create({ object: namespace('team-b', 'off') }).verdict).to.deep.include({ allowed: true, violations: [] });
    });

    // Exemption is by configuration, not by label, so judging the label there costs nothing and
    // keeps the label from meaning something else once the namespace leaves exemptNamespaces.
    it('governs the label of an exempt namespace too (kube-system)', () => {
      const j = update({ object: namespace('kube-system', 'off'), oldObject: labelledNamespace('kube-system', {}), requester: tenant }, catalogOf([namespace('kube-system')]));
      expect(j.verdict.allowed).to.equal(false);
      expect(rules(j)).to.deep.equal(['mode-change-forbidden']);
    });

    // The API server's namespaces/status and namespaces/finalize strategies keep metadata
    // (PrepareForUpdate only resets spec, resp. status: pkg/registry/core/namespace/strategy.go),
    // so `kubectl replace --raw /api/v1/namespaces/X/status` can rewrite the label.
    it('denies a non-admin changing the label through namespaces/status or namespaces/finalize', () => {
      for (const subResource of ['status', 'finalize']) {
        const j = update({ object: namespace('team-a', 'off'), oldObject: namespace('team-a', 'enforce'), requester: tenant, subResource });
        expect(j.verdict.allowed, subResource).to.equal(false);
        expect(rules(j)).to.deep.equal(['mode-change-forbidden']);
      }
    });

    describe('messages', () => {
      const policy = policyOf('governance: {modeAdmins: {users: [ops-bot], groups: [platform-admins]}}');
      const j = update({
        object: labelledNamespace('team-a', { [MODE]: 'off', 'cost-center': 'cc-4711' }),
        oldObject: labelledNamespace('team-a', { [MODE]: 'enforce', 'cost-center': 'cc-4711' }),
        requester: tenant,
      }, catalogOf([]), policy);
      const message = j.verdict.violations[0]!.message;

      it('name the namespace, the label and the change', () => {
        expect(message).to.contain('Namespace team-a').and.contain(MODE).and.contain('"enforce"').and.contain('"off"');
      });

      // What a managed-cluster administrator needs to fix modeAdmins: the user name and groups
      // the API server sent (the requester's own, as `kubectl auth whoami` shows them).
      it('name the requester\'s user name and groups, the setting to change and where the docs say what to put there', () => {
        expect(message).to.contain('user "alice" (groups "team-a-devs")');
        expect(message).to.contain('governance.modeAdmins').and.contain('docs/contract.md#who-may-change-the-mode-on-your-cluster');
      });

      it('do not give away who the admins are, unrelated labels, or system:authenticated (listing it would make everyone an admin)', () => {
        for (const s of ['ops-bot', 'platform-admins', 'system:authenticated', 'cc-4711', 'cost-center']) {
          expect(message).not.to.contain(s);
          expect(j.verdict.warnings.join('\n')).not.to.contain(s);
        }
      });

      it('name a whole EKS user name (an ARN), at most ten groups, and say when there are none', () => {
        const arn = 'arn:aws:sts::111122223333:assumed-role/platform-admin-role-with-a-long-name/jane.doe@example.com';
        const many = Array.from({ length: 14 }, (_, i) => `google-group-${i}@example.com`);
        const denied = (requester: Requester) => update({ object: namespace('team-a', 'off'), oldObject: namespace('team-a', 'enforce'), requester }).verdict.violations[0]!.message;
        const m = denied({ username: arn, groups: ['system:authenticated', ...many] });
        expect(m).to.contain(`user "${arn}" (groups "google-group-0@example.com", `);
        expect(m).to.contain('"google-group-9@example.com" and 4 more)').and.not.contain('google-group-10@');
        expect(denied({ username: arn, groups: ['system:authenticated'] })).to.contain(`user "${arn}" (in no group)`);
      });

      it('give one warning line tagged with the rule', () => {
        expect(j.verdict.warnings).to.have.length(1);
        expect(j.verdict.warnings[0]).to.match(/^\[mode-change-forbidden\] /);
        expect(j.verdict.warnings[0]).to.contain(MODE);
      });

      it('make a denial that names the Namespace', () => {
        expect(denialMessage(j.subject!, j.verdict.violations)).to.match(/^extguard denied Namespace team-a: 1 violation\n1\. \[mode-change-forbidden\] /);
      });

      it('say "removes" when the label goes away', () => {
        const removed = update({ object: labelledNamespace('team-a', {}), oldObject: namespace('team-a', 'enforce'), requester: tenant });
        expect(removed.verdict.violations[0]!.message).to.match(/removes extguard\.io\/mode/);
      });
    });

    it('reaches the judge from a webhook review with the requester from userInfo', () => {
      const body = (userInfo?: Json): unknown => ({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u-1', operation: 'UPDATE', name: 'team-a',
          kind: { group: '', version: 'v1', kind: 'Namespace' },
          object: namespace('team-a', 'off'), oldObject: namespace('team-a', 'enforce'),
          ...(userInfo ? { userInfo } : {}),
        },
      });
      const answer = (userInfo?: Json) => handleAdmission('validate', decodeReview(body(userInfo)), catalogOf([]), policyOf()).review.response;
      const refused = answer({ username: 'alice', groups: ['system:authenticated'] });
      expect(refused.allowed).to.equal(false);
      expect(refused.status?.code).to.equal(403);
      expect(refused.status?.message).to.contain('Namespace team-a').and.contain('mode-change-forbidden');
      expect(answer({ username: 'root', groups: ['system:masters'] }).allowed).to.equal(true);
      // A userInfo without groups is nobody's admin, and neither is a review without userInfo:
      // only `check`, which has no requester at all, judges as an administrator.
      expect(answer({ username: 'alice' }).allowed).to.equal(false);
      expect(answer().allowed).to.equal(false);
    });
  });

  describe('invalid-declaration', () => {
    const invalid: [string, string][] = [
      ['an IPv4 address', '8.8.8.8'],
      ['the cloud metadata address', '169.254.169.254'],
      ['loopback', '127.0.0.1'],
      ['an IPv6 address', '2001:4860:4860::8888'],
      ['IPv6 loopback', '::1'],
      ['a bracketed IPv6 address', '[fd00:ec2::254]'],
      ['a decimal address', '2130706433'],
      ['a hex-dotted address', '0x7f.1'],
      ['a hex address', '0x7f000001'],
      ['an octal-dotted address', '0177.0.0.1'],
      ['a short-form address', '127.1'],
      ['localhost', 'localhost'],
      ['localhost in capitals with a trailing dot', 'LOCALHOST.'],
      ['a *.localhost name', 'api.localhost'],
      ['a single-label name', 'redis'],
      ['a *.svc name', 'redis.shop.svc'],
      ['kubernetes.default.svc', 'kubernetes.default.svc'],
      ['a *.svc.cluster.local name', 'redis.shop.svc.cluster.local'],
      ['the API server FQDN with a trailing dot', 'kubernetes.default.svc.cluster.local.'],
      ['a *.cluster.local name', 'anything.cluster.local'],
      ['the cluster domain itself', 'cluster.local'],
      ['kubernetes.default', 'kubernetes.default'],
      ['<svc>.<ns> of a namespace the catalog knows', 'ledger.payments'],
      ['<svc>.<ns> of its own namespace', 'redis.shop'],
      ['the GCP metadata server', 'metadata.google.internal'],
      ['the GCP metadata server in capitals', 'Metadata.Google.Internal.'],
      ['the Azure metadata server', 'metadata.azure.com'],
      ['the AWS metadata server', 'instance-data.ec2.internal'],
    ];
    const catalog = (mode = 'enforce'): CatalogSnapshot => catalogOf([namespace('shop', mode), namespace('payments')]);

    for (const [what, target] of invalid) {
      it(`denies declaring ${what} (${target}), even for an admin`, () => {
        const j = create({ object: externalService('x', target), requester: master }, catalog());
        expect(j.verdict.allowed).to.equal(false);
        expect(rules(j)).to.deep.equal(['invalid-declaration']);
        expect(j.verdict.violations[0]!.path).to.equal('spec.externalName');
      });
    }

    it('denies it without a requester too (extguard check)', () => {
      expect(rules(create({ object: externalService('x', '169.254.169.254') }, catalog()))).to.deep.equal(['invalid-declaration']);
    });

    it('refuses names under a custom clusterDomain', () => {
      const policy = policyOf('clusterDomain: corp.example');
      for (const target of ['redis.shop.svc.corp.example', 'anything.corp.example', 'corp.example']) {
        const j = create({ object: externalService('x', target), requester: master }, catalog(), policy);
        expect(rules(j), target).to.deep.equal(['invalid-declaration']);
      }
    });

    // CoreDNS commonly answers for cluster.local whatever the configured clusterDomain.
    it('still refuses *.svc.cluster.local under a custom clusterDomain', () => {
      const j = create({ object: externalService('x', 'kubernetes.default.svc.cluster.local'), requester: master }, catalog(), policyOf('clusterDomain: corp.example'));
      expect(rules(j)).to.deep.equal(['invalid-declaration']);
    });

    it('names the object and the target, and says why', () => {
      const j = create({ object: externalService('imds', '169.254.169.254'), requester: tenant }, catalog());
      const v = j.verdict.violations[0]!;
      expect(v.message).to.contain('Service shop/imds').and.contain('"169.254.169.254"').and.contain('IP address');
      expect(j.verdict.warnings[0]).to.match(/^\[invalid-declaration\] spec\.externalName: /);
      expect(create({ object: externalService('m', 'metadata.google.internal'), requester: tenant }, catalog()).verdict.violations[0]!.message).to.contain('metadata');
    });

    describe('is judged in the Service namespace\'s mode', () => {
      const declare = (mode: string): Judgement => create({ object: externalService('x', '169.254.169.254'), requester: master }, catalog(mode));

      it('enforce: denies, with a warning and audit annotations', () => {
        const j = declare('enforce');
        expect(j.verdict).to.deep.include({ mode: 'enforce', allowed: false });
        expect(j.verdict.warnings.some((w) => w.startsWith('[invalid-declaration]'))).to.equal(true);
        expect(j.verdict.auditAnnotations['mode']).to.equal('enforce');
      });

      it('warn: allows with a warning', () => {
        const j = declare('warn');
        expect(j.verdict).to.deep.include({ mode: 'warn', allowed: true });
        expect(rules(j)).to.deep.equal(['invalid-declaration']);
        expect(j.verdict.warnings).to.have.length(1);
        expect(j.verdict.warnings[0]).to.match(/^\[invalid-declaration\] /);
      });

      it('audit: allows silently, with audit annotations', () => {
        const j = declare('audit');
        expect(j.verdict).to.deep.include({ mode: 'audit', allowed: true, warnings: [] });
        expect(j.verdict.auditAnnotations['mode']).to.equal('audit');
        expect(JSON.parse(j.verdict.auditAnnotations['violations']!)).to.deep.equal([{ rule: 'invalid-declaration', container: '', path: 'spec.externalName' }]);
      });

      it('off: allows with no violations', () => {
        expect(declare('off').verdict).to.deep.include({ mode: 'off', allowed: true, violations: [], warnings: [] });
      });

      it('exempt namespaces: allow', () => {
        const j = create({ object: externalService('x', '169.254.169.254', { namespace: 'kube-system' }), requester: master }, catalog());
        expect(j.exempt).to.equal(true);
        expect(j.verdict).to.deep.include({ allowed: true, violations: [] });
      });

      it('defaultMode applies to an unlabelled namespace', () => {
        const j = create({ object: externalService('x', '169.254.169.254', { namespace: 'fresh' }), requester: master }, catalogOf([]), policyOf('defaultMode: warn'));
        expect(j.verdict).to.deep.include({ mode: 'warn', allowed: true });
        expect(rules(j)).to.deep.equal(['invalid-declaration']);
      });
    });

    describe('on UPDATE', () => {
      const relabel = (svc: Json, labels: Record<string, string>): Json => ({ ...svc, metadata: { ...(svc['metadata'] as Json), labels } });

      it('allows an update that leaves an old invalid externalName as it was (labels, finalizers, deletion)', () => {
        const old = externalService('legacy', '8.8.8.8');
        const j = update({ object: relabel(old, { tier: 'legacy' }), oldObject: old, requester: tenant }, catalog());
        expect(j.verdict.allowed).to.equal(true);
        expect(j.verdict.violations).to.deep.equal([]);
      });

      it('treats a change of case or a trailing dot as no change', () => {
        const j = update({ object: externalService('legacy', '8.8.8.8.'), oldObject: externalService('legacy', '8.8.8.8'), requester: tenant }, catalog());
        expect(j.verdict.allowed).to.equal(true);
      });

      it('denies changing externalName to an invalid target', () => {
        const j = update({ object: externalService('x', 'metadata.google.internal'), oldObject: externalService('x', 'api.partner-example.com'), requester: master }, catalog());
        expect(j.verdict.allowed).to.equal(false);
        expect(rules(j)).to.deep.equal(['invalid-declaration']);
      });

      it('denies turning a ClusterIP Service into an invalid ExternalName', () => {
        const j = update({ object: externalService('x', 'kubernetes.default'), oldObject: clusterIPService('x'), requester: master }, catalog());
        expect(j.verdict.allowed).to.equal(false);
        expect(rules(j)).to.deep.equal(['invalid-declaration']);
      });
    });

    it('leaves public names alone', () => {
      for (const target of ['api.partner-example.com', 'db.example.com', 'API.Partner-Example.com.']) {
        for (const requester of [tenant, master, undefined]) {
          const j = create({ object: externalService('x', target), ...(requester ? { requester } : {}) }, catalog());
          expect(j.verdict.allowed, `${target} by ${requester?.username}`).to.equal(true);
          expect(j.verdict.violations).to.deep.equal([]);
        }
      }
    });

    it('does not judge a ClusterIP Service at all', () => {
      const policy = policyOf('governance: {declarations: {allowedTargets: [db.example.com]}}');
      const j = create({ object: clusterIPService('web'), requester: tenant }, catalog(), policy);
      expect(j.verdict).to.deep.include({ allowed: true, violations: [], warnings: [], auditAnnotations: {} });
    });
  });

  describe('undeclarable-host', () => {
    const policy = policyOf([
      'governance:',
      '  declarations:',
      '    allowedTargets: ["*.partner-example.com", db.example.com]',
    ].join('\n'));
    const declare = (target: string, requester?: Requester, p: Policy = policy, catalog = catalogOf([namespace('shop', 'enforce')])): Judgement =>
      create({ object: externalService('x', target), ...(requester ? { requester } : {}) }, catalog, p);

    const cases: { target: string; allowed: boolean }[] = [
      { target: 'api.partner-example.com', allowed: true },
      { target: 'eu.api.partner-example.com', allowed: true },
      { target: 'db.example.com', allowed: true },
      { target: 'DB.Example.com.', allowed: true },
      { target: 'api.other-example.com', allowed: false },
      { target: 'partner-example.com', allowed: false },
      { target: 'evilpartner-example.com', allowed: false },
      { target: 'db.example.com.attacker-example.net', allowed: false },
      { target: 'replica.db.example.com', allowed: false },
    ];
    for (const c of cases) {
      it(`${c.allowed ? 'allows' : 'denies'} a non-admin declaring ${c.target}`, () => {
        const j = declare(c.target, tenant);
        expect(j.verdict.allowed).to.equal(c.allowed);
        expect(rules(j)).to.deep.equal(c.allowed ? [] : ['undeclarable-host']);
      });
    }

    it('allows system:masters to declare any public target', () => {
      expect(declare('api.other-example.com', master).verdict).to.deep.include({ allowed: true, violations: [] });
    });

    it('allows configured declarations.admins, and they replace the default', () => {
      const p = policyOf([
        'governance:',
        '  declarations:',
        '    allowedTargets: ["*.partner-example.com"]',
        '    admins: {users: [dns-bot], groups: [net-admins]}',
      ].join('\n'));
      expect(declare('api.other-example.com', { username: 'dns-bot', groups: [] }, p).verdict.allowed).to.equal(true);
      expect(declare('api.other-example.com', { username: 'carol', groups: ['net-admins'] }, p).verdict.allowed).to.equal(true);
      expect(rules(declare('api.other-example.com', master, p))).to.deep.equal(['undeclarable-host']);
      expect(declare('api.other-example.com', tenant, p).verdict.allowed).to.equal(false);
    });

    it('does not make mode admins declaration admins', () => {
      const p = policyOf('governance: {modeAdmins: {users: [alice]}, declarations: {allowedTargets: [db.example.com]}}');
      expect(declare('api.other-example.com', tenant, p).verdict.allowed).to.equal(false);
    });

    it('allows any target when there is no requester (extguard check)', () => {
      expect(declare('api.other-example.com').verdict).to.deep.include({ allowed: true, violations: [] });
    });

    it('lets anyone declare any public target when allowedTargets is empty', () => {
      for (const target of ['api.other-example.com', 'partner-example.com']) {
        expect(declare(target, tenant, policyOf()).verdict).to.deep.include({ allowed: true, violations: [] });
      }
    });

    it('is checked after invalid-declaration: an allowed pattern cannot admit an invalid target', () => {
      const p = policyOf('governance: {declarations: {allowedTargets: ["*.google.internal", "*.cluster.local"]}}');
      expect(rules(declare('metadata.google.internal', tenant, p))).to.deep.equal(['invalid-declaration']);
      expect(rules(declare('kubernetes.default.svc.cluster.local', tenant, p))).to.deep.equal(['invalid-declaration']);
    });

    it('names the requester and the target, and points at allowedTargets', () => {
      const j = declare('api.other-example.com', tenant);
      const v = j.verdict.violations[0]!;
      expect(v.path).to.equal('spec.externalName');
      expect(v.message).to.contain('Service shop/x').and.contain('"alice"').and.contain('"api.other-example.com"').and.contain('allowedTargets');
      expect(j.verdict.warnings[0]).to.match(/^\[undeclarable-host\] spec\.externalName: /);
    });

    it('follows the namespace mode: warn allows with a warning', () => {
      const j = declare('api.other-example.com', tenant, policy, catalogOf([namespace('shop', 'warn')]));
      expect(j.verdict).to.deep.include({ mode: 'warn', allowed: true });
      expect(j.verdict.warnings[0]).to.match(/^\[undeclarable-host\] /);
    });

    it('judges an UPDATE only when the target changes', () => {
      const old = externalService('x', 'api.other-example.com');
      const kept = update({ object: { ...old, metadata: { ...(old['metadata'] as Json), labels: { a: 'b' } } }, oldObject: old, requester: tenant }, catalogOf([]), policy);
      expect(kept.verdict.allowed).to.equal(true);
      const moved = update({ object: externalService('x', 'api.third-example.com'), oldObject: externalService('x', 'api.partner-example.com'), requester: tenant }, catalogOf([]), policy);
      expect(rules(moved)).to.deep.equal(['undeclarable-host']);
      const turned = update({ object: externalService('x', 'api.third-example.com'), oldObject: clusterIPService('x'), requester: tenant }, catalogOf([]), policy);
      expect(rules(turned)).to.deep.equal(['undeclarable-host']);
    });
  });

  describe('workloads and invalid declarations', () => {
    const dialer = (value: string): Json => deployment({ containers: [{ env: [{ name: 'UPSTREAM', value }] }] });

    it('still report a host declared only by an invalid declaration', () => {
      const j = create({ object: dialer('8.8.8.8:53') }, catalogOf([externalService('dns', '8.8.8.8')]));
      expect(j.verdict.allowed).to.equal(false);
      expect(rules(j)).to.deep.equal(['undeclared-external-host']);
      expect(j.verdict.violations[0]!.message).to.contain('"8.8.8.8"');
    });

    it('still report it when the invalid declaration sits in the shared namespace', () => {
      const j = create({ object: dialer('8.8.8.8:53') }, catalogOf([externalService('dns', '8.8.8.8', { namespace: 'shared' })]), policyOf('sharedNamespace: shared'));
      expect(rules(j)).to.deep.equal(['undeclared-external-host']);
    });

    it('trust a valid declaration of the same kind (the contrast)', () => {
      const j = create({ object: dialer('api.partner-example.com:443') }, catalogOf([externalService('p', 'api.partner-example.com')]));
      expect(j.verdict).to.deep.include({ allowed: true, violations: [] });
    });
  });
});
