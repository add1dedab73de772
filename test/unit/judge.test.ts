import { expect } from 'chai';
import { judge, MAX_LISTED } from '../../src/policy/judge.ts';
import { denialMessage } from '../../src/policy/messages.ts';
import { fitWarnings, ITEM_RUNES, TOTAL_RUNES } from '../../src/policy/warnings.ts';
import { deployment, externalService, FAKE_PASSWORD, namespace, pod } from '../helpers/objects.ts';
import { catalogOf, judgeCreate, policyOf } from '../helpers/policy.ts';

const leaky = (ns = 'shop') => deployment({
  namespace: ns,
  containers: [{ env: [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'DB_PASSWORD', value: FAKE_PASSWORD }, { name: 'API_URL', value: 'https://api.partner-example.com/v2' }] }],
});

describe('judge', () => {
  describe('modes', () => {
    const table: { mode: string; allowed: boolean; warns: boolean; audit: boolean }[] = [
      { mode: 'enforce', allowed: false, warns: true, audit: true },
      { mode: 'warn', allowed: true, warns: true, audit: true },
      { mode: 'audit', allowed: true, warns: false, audit: true },
    ];
    for (const t of table) {
      it(`${t.mode}: ${t.allowed ? 'allows' : 'denies'}, ${t.warns ? 'with' : 'without'} warnings, with audit annotations`, () => {
        const j = judgeCreate(leaky(), catalogOf([namespace('shop', t.mode)]));
        expect(j.verdict.mode).to.equal(t.mode);
        expect(j.verdict.allowed).to.equal(t.allowed);
        expect(j.verdict.violations.map((v) => v.rule)).to.deep.equal(['plaintext-credential', 'undeclared-external-host']);
        expect(j.verdict.warnings.length > 0).to.equal(t.warns);
        expect(Object.keys(j.verdict.auditAnnotations)).to.deep.equal(['mode', 'violations']);
      });
    }

    it('off: allows and judges nothing', () => {
      const j = judgeCreate(leaky(), catalogOf([namespace('shop', 'off')]));
      expect(j.verdict).to.deep.include({ mode: 'off', allowed: true, violations: [], warnings: [], patch: [] });
    });

    it('unlabelled namespaces get defaultMode', () => {
      expect(judgeCreate(leaky('other'), catalogOf([]), policyOf('defaultMode: warn')).verdict.mode).to.equal('warn');
      expect(judgeCreate(leaky('other'), catalogOf([])).verdict.mode).to.equal('enforce');
    });

    it('an unknown mode label (a typo) means enforce, whatever defaultMode says, and says so', () => {
      for (const label of ['block', 'Enforce', 'of']) {
        const j = judgeCreate(leaky(), catalogOf([namespace('shop', label)]), policyOf('defaultMode: audit'));
        expect(j.verdict.mode, label).to.equal('enforce');
        expect(j.verdict.allowed).to.equal(false);
        expect(j.verdict.warnings[0]).to.contain(`extguard.io/mode="${label}", which is not one of enforce, warn, audit, off; judging in enforce`);
      }
    });

    it('exempt namespaces are never judged, whatever their label', () => {
      const j = judgeCreate(leaky('kube-system'), catalogOf([namespace('kube-system', 'enforce')]));
      expect(j.exempt).to.equal(true);
      expect(j.verdict.allowed).to.equal(true);
      expect(j.verdict.violations).to.deep.equal([]);
    });

    it('enforce lists every violation as a warning too', () => {
      const j = judgeCreate(leaky(), catalogOf([]));
      expect(j.verdict.warnings).to.have.length(2);
      expect(j.verdict.warnings[0]).to.match(/^\[plaintext-credential\] container "app" spec\.template\.spec\.containers\[0\]\.env\[1\]\.value: /);
      expect(j.verdict.warnings[1]).to.match(/^\[undeclared-external-host\] .*"api\.partner-example\.com"/);
    });
  });

  it('gives a dry-run request exactly the verdict of a real one', () => {
    const cat = catalogOf([]);
    const p = policyOf();
    const real = judge({ operation: 'CREATE', object: leaky(), dryRun: false }, cat, p);
    const dry = judge({ operation: 'CREATE', object: leaky(), dryRun: true }, cat, p);
    expect(dry.verdict).to.deep.equal(real.verdict);
  });

  it('judges workload UPDATEs, Pod UPDATEs only when containers change (they are immutable), not DELETEs or subresources', () => {
    const cat = catalogOf([]);
    const p = policyOf();
    expect(judge({ operation: 'UPDATE', object: leaky(), oldObject: leaky(), dryRun: false }, cat, p).verdict.allowed).to.equal(false);
    const leakyPod = pod({ containers: [{ env: [{ name: 'DB_PASSWORD', value: FAKE_PASSWORD }] }] });
    const cleanPod = pod({ containers: [{ env: [{ name: 'DB_HOST', value: 'db' }] }] });
    expect(judge({ operation: 'CREATE', object: leakyPod, dryRun: false }, cat, p).verdict.allowed).to.equal(false);
    expect(judge({ operation: 'UPDATE', object: leakyPod, oldObject: leakyPod, dryRun: false }, cat, p).verdict.allowed).to.equal(true);
    expect(judge({ operation: 'UPDATE', object: leakyPod, oldObject: cleanPod, dryRun: false }, cat, p).verdict.allowed).to.equal(false);
    expect(judge({ operation: 'DELETE', object: null, dryRun: false }, cat, p).verdict.allowed).to.equal(true);
    expect(judge({ operation: 'UPDATE', object: leaky(), subResource: 'status', dryRun: false }, cat, p).verdict.allowed).to.equal(true);
  });

  it('lets an object being deleted through so its finalizers can run, unless the UPDATE changes its containers', () => {
    const deleting = (o: Record<string, unknown>) => { (o['metadata'] as Record<string, unknown>)['deletionTimestamp'] = '2026-01-01T00:00:00Z'; return o; };
    const obj = deleting(leaky());
    expect(judge({ operation: 'UPDATE', object: obj, oldObject: deleting(leaky()), dryRun: false }, catalogOf([]), policyOf()).verdict.allowed).to.equal(true);
    // The Kyverno-advisory shape: a finalizer holds the object, and an UPDATE swaps its containers.
    const before = deleting(deployment({ containers: [{ env: [{ name: 'DB_HOST', value: 'db' }] }] }));
    const swapped = judge({ operation: 'UPDATE', object: obj, oldObject: before, dryRun: false }, catalogOf([]), policyOf());
    expect(swapped.verdict.allowed).to.equal(false);
    expect(swapped.verdict.violations.map((v) => v.rule)).to.include('plaintext-credential');
  });

  describe('declared hosts', () => {
    const usesHost = (host: string, ns = 'shop') => deployment({ namespace: ns, containers: [{ env: [{ name: 'API_URL', value: `https://${host}/v1` }] }] });
    const cases: { what: string; host: string; objects: Record<string, unknown>[]; config?: string; declared: boolean }[] = [
      { what: 'an ExternalName in the same namespace', host: 'api.partner-example.com', objects: [externalService('p', 'api.partner-example.com')], declared: true },
      { what: 'an ExternalName compared case-insensitively with a trailing dot', host: 'API.Partner-Example.com', objects: [externalService('p', 'api.partner-example.com.')], declared: true },
      { what: 'an ExternalName in another namespace', host: 'api.partner-example.com', objects: [externalService('p', 'api.partner-example.com', { namespace: 'other' })], declared: false },
      { what: 'an ExternalName in the shared namespace', host: 'api.partner-example.com', objects: [externalService('p', 'api.partner-example.com', { namespace: 'shared' })], config: 'sharedNamespace: shared', declared: true },
      { what: 'an exact allowedHosts entry', host: 'api.partner-example.com', objects: [], config: 'allowedHosts: [api.partner-example.com]', declared: true },
      { what: 'a *.suffix allowedHosts entry', host: 'eu.api.partner-example.com', objects: [], config: 'allowedHosts: ["*.partner-example.com"]', declared: true },
      { what: 'nothing', host: 'api.partner-example.com', objects: [], declared: false },
    ];
    for (const c of cases) {
      it(`a host declared by ${c.what} is ${c.declared ? 'allowed' : 'denied'}`, () => {
        const j = judgeCreate(usesHost(c.host), catalogOf(c.objects), policyOf(c.config ?? ''));
        expect(j.verdict.allowed).to.equal(c.declared);
      });
    }
  });

  describe('messages', () => {
    it('name the object, container, path and the fix, with a ready-to-apply ExternalName Service', () => {
      const j = judgeCreate(deployment({ containers: [{ name: 'api', args: ['--upstream=https://api.partner-example.com:8443/x'] }] }), catalogOf([]));
      const m = j.verdict.violations[0]!.message;
      expect(m).to.contain('Deployment shop/web').and.contain('container "api"').and.contain('spec.template.spec.containers[0].args[0]');
      expect(m).to.contain('kind: Service').and.contain('type: ExternalName').and.contain('externalName: api.partner-example.com').and.contain('port: 8443').and.contain('namespace: shop');
    });

    it('never contain the credential: not in violations, warnings, audit annotations or patch', () => {
      for (const mode of ['enforce', 'warn', 'audit']) {
        const j = judgeCreate(deployment({
          annotations: { 'extguard.io/inject': 'external-db' },
          containers: [{
            env: [{ name: 'DB_PASSWORD', value: FAKE_PASSWORD }, { name: 'DSN', value: `postgres://app:${FAKE_PASSWORD}@db.partner-example.com:5432/app` }],
            command: ['sh', '-c', `mysql -uroot -p${FAKE_PASSWORD} shop`],
          }],
        }), catalogOf([namespace('shop', mode), externalService('external-db', 'db.example.com', { annotations: { 'extguard.io/secret': 's' } })]));
        expect(j.verdict.violations.filter((v) => v.rule === 'plaintext-credential')).to.have.length(3);
        expect(JSON.stringify(j.verdict)).not.to.contain(FAKE_PASSWORD);
        expect(JSON.stringify(j.verdict)).not.to.contain(FAKE_PASSWORD.slice(0, 8));
      }
    });
  });

  describe('warning budget', () => {
    it('keeps short lists whole and single-line', () => {
      expect(fitWarnings(['a\nb', 'c', 'c'])).to.deep.equal(['a b', 'c']);
    });

    it('cuts a long list to the API server budget and says how many were left out', () => {
      const many = Array.from({ length: 100 }, (_, i) => `[plaintext-credential] container "app" spec.containers[0].env[${i}].value: ${'x'.repeat(300)}`);
      const fitted = fitWarnings(many);
      const total = fitted.reduce((n, w) => n + [...w].length, 0);
      expect(total).to.be.at.most(TOTAL_RUNES);
      expect(fitted.every((w) => [...w].length <= ITEM_RUNES)).to.equal(true);
      expect(fitted.at(-1)).to.match(/^extguard: \d+ more warning\(s\) not shown/);
      const shown = fitted.length - 1;
      expect(fitted.at(-1)).to.contain(`${100 - shown} more`);
    });
  });

  describe('objects with thousands of violations', () => {
    const many = deployment({ namespace: 'shop', containers: [{ env: Array.from({ length: 3000 }, (_, i) => ({ name: `DB_PASSWORD_${i}`, value: `${FAKE_PASSWORD}${i}` })) }] });
    const j = judgeCreate(many, catalogOf([namespace('shop', 'enforce')]));

    it('still list every violation in the verdict (extguard check shows them all)', () => {
      expect(j.verdict.violations).to.have.length(3000);
    });

    it('keep the audit annotation under 8 KiB, valid JSON, with a count of what it left out', () => {
      const value = j.verdict.auditAnnotations['violations']!;
      expect(value.length).to.be.at.most(8 * 1024);
      const items = JSON.parse(value) as { truncated?: number }[];
      const last = items.at(-1)!;
      expect(items.length - 1 + last.truncated!).to.equal(3000);
    });

    it('spell out the first 20 in the denial and count the rest', () => {
      const message = denialMessage(j.workload!, j.verdict.violations);
      expect(message).to.match(/^extguard denied Deployment shop\/\S+: 3000 violations\n/);
      expect(message.split('\n').filter((l) => /^\d+\. \[/.test(l))).to.have.length(20);
      expect(message).to.include('... and 2980 more violation(s)');
    });
  });

  it('lists an object up to MAX_LISTED violations and counts the rest in one last violation', () => {
    const args = Array.from({ length: MAX_LISTED + 50 }, (_, i) => `https://h${i}.partner-example.com/`);
    const { verdict } = judgeCreate(pod({ containers: [{ command: ['curl', ...args] }] }), catalogOf([namespace('shop')]));
    expect(verdict.allowed).to.equal(false);
    expect(verdict.violations).to.have.length(MAX_LISTED + 1);
    expect(verdict.violations.at(-1)!.message).to.match(/50 more violation\(s\) not listed/);
    // Warnings fit the API server's budget and say how many were left out.
    expect(verdict.warnings.at(-1)).to.match(/more warning\(s\) not shown/);
  });
});
