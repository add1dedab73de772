import { expect } from 'chai';
import { configSchema, EXCEPTABLE_RULES, parseConfig } from '../../src/config/config.ts';
import { RULES } from '../../src/policy/types.ts';
import { handleAdmission, summarize } from '../../src/admission/handler.ts';
import { compilePolicy, judge } from '../../src/policy/judge.ts';
import { globSource, isExpired } from '../../src/policy/exceptions.ts';
import { checkManifests } from '../../src/cli/report.ts';
import { catalogOf, policyOf } from '../helpers/policy.ts';

const SECRET = 'hunter2-not-a-real-one';

function deployment(name: string, namespace = 'shop', extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace, ...extra },
    spec: { selector: {}, template: { spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'DB_PASSWORD', value: SECRET }, { name: 'API', value: 'https://api.stripe.com/v1' }] }] } } },
  };
}

function pod(name: string, metadata: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', ...metadata }, spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'DB_PASSWORD', value: SECRET }] }] } };
}

const exception = (fields: string) => `exceptions:\n  - {namespace: shop, rules: [plaintext-credential], reason: "moving to External Secrets, OPS-123", expires: "2027-03-31", ${fields}}\n`;
const ON = new Date('2027-03-31T23:59:59Z');
const AFTER = new Date('2027-04-01T00:00:00Z');

describe('exceptions and rule settings', () => {
  const catalog = catalogOf([]);
  const run = (object: unknown, yaml: string, now: Date | null = ON) => judge({ operation: 'CREATE', object, dryRun: false, ...(now ? { now } : {}) }, catalog, policyOf(yaml));

  it('an excepted violation is admitted with a warning naming the exception, its reason and expiry, and an audit annotation; never the value', () => {
    const j = run(deployment('reports'), exception('kind: Deployment, name: reports'));
    expect(j.verdict.violations.map((v) => v.rule)).to.deep.equal(['undeclared-external-host']);
    const warning = j.verdict.warnings.find((w) => w.startsWith('excepted by'));
    expect(warning).to.contain('#0 shop/Deployment/reports').and.contain('OPS-123').and.contain('2027-03-31').and.contain('[plaintext-credential]');
    const audit = JSON.parse(j.verdict.auditAnnotations['exceptions']!);
    expect(audit).to.deep.equal([{ exception: '#0 shop/Deployment/reports', expires: '2027-03-31', rule: 'plaintext-credential', container: 'app', path: 'spec.template.spec.containers[0].env[0].value' }]);
    expect(JSON.stringify(j.verdict)).to.not.contain(SECRET);
    expect(j.exceptions).to.deep.equal({ applied: [0], expired: [] });
  });

  it('with every violation excepted, an enforce namespace admits the object', () => {
    const yaml = exception('name: "rep*"').replace('rules: [plaintext-credential]', 'rules: [plaintext-credential, undeclared-external-host]');
    const j = run(deployment('reports'), yaml);
    expect(j.verdict.allowed).to.equal(true);
    expect(j.verdict.violations).to.deep.equal([]);
    expect(j.verdict.warnings.filter((w) => w.startsWith('excepted by'))).to.have.length(2);
  });

  it('applies through the last day of expires (UTC) and not a millisecond after; then it says the exception expired', () => {
    expect(isExpired({ expires: '2027-03-31' }, ON)).to.equal(false);
    expect(isExpired({ expires: '2027-03-31' }, AFTER)).to.equal(true);
    const j = run(pod('legacy'), exception('name: legacy'), AFTER);
    expect(j.verdict.allowed).to.equal(false);
    expect(j.verdict.violations.map((v) => v.rule)).to.deep.equal(['plaintext-credential']);
    expect(j.verdict.warnings[0]).to.match(/^exception #0 shop\/\*\/legacy expired on 2027-03-31/);
    expect(j.exceptions).to.deep.equal({ applied: [], expired: [0] });
  });

  it('without a date the judge applies no exception (it reads no clock)', () => {
    expect(run(pod('legacy'), exception('name: legacy'), null).verdict.allowed).to.equal(false);
  });

  it('selects by namespace, kind and name glob; anything else is judged as before', () => {
    const yaml = exception('kind: Deployment, name: "report?-*"');
    expect(run(deployment('reports-eu'), yaml).verdict.violations.map((v) => v.rule)).to.not.include('plaintext-credential');
    expect(run(deployment('reports'), yaml).verdict.violations.map((v) => v.rule)).to.include('plaintext-credential');
    expect(run(deployment('reports-eu', 'billing'), yaml).verdict.violations.map((v) => v.rule)).to.include('plaintext-credential');
    expect(run(pod('reports-eu'), yaml).verdict.allowed, 'kind Deployment does not select a Pod of the same name').to.equal(false);
    // A dot in the glob is a dot, not any character.
    expect(run(deployment('aXb'), exception('name: "a.b"')).verdict.violations.map((v) => v.rule)).to.include('plaintext-credential');
  });

  it("a Deployment's exception covers the ReplicaSets and Pods its controller creates, and a CronJob's its Jobs' Pods", () => {
    const yaml = exception('kind: Deployment, name: reports');
    const rsPod = pod('reports-6d4cf56db6-x7k2p', { labels: { 'pod-template-hash': '6d4cf56db6' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'reports-6d4cf56db6', uid: 'u', controller: true }] });
    expect(run(rsPod, yaml).verdict.allowed).to.equal(true);
    // Not a controller reference, or a ReplicaSet whose name is no hash away from the Deployment: judged.
    const notController = pod('p', { labels: { 'pod-template-hash': '6d4cf56db6' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'reports-6d4cf56db6', uid: 'u' }] });
    expect(run(notController, yaml).verdict.allowed).to.equal(false);
    const cronPod = pod('nightly-29000000-abcde', { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'nightly-29000000', uid: 'u', controller: true }] });
    expect(run(cronPod, exception('kind: CronJob, name: nightly')).verdict.allowed).to.equal(true);
  });

  it('the schema offers exactly the exceptable rules, and each is a rule the judge emits', () => {
    const schema = configSchema as any;
    expect(schema.properties.exceptions.items.properties.rules.items.enum).to.deep.equal([...EXCEPTABLE_RULES]);
    expect(Object.keys(schema.properties.rules.properties)).to.deep.equal([...EXCEPTABLE_RULES]);
    for (const r of EXCEPTABLE_RULES) expect(RULES).to.include(r);
    expect(RULES.filter((r) => !(EXCEPTABLE_RULES as readonly string[]).includes(r)).sort()).to.deep.equal(['invalid-declaration', 'mode-change-forbidden', 'undeclarable-host']);
  });

  it('governance rules are not exceptable: the config refuses them, and the judge keeps them', () => {
    expect(() => parseConfig('exceptions: [{namespace: shop, rules: [invalid-declaration], reason: r, expires: "2099-01-01"}]')).to.throw(/must be one of/);
  });

  it('maxVerdict warn turns a rule into warnings in enforce; off removes it; deny is the default', () => {
    const warn = run(deployment('a'), 'rules: {undeclared-external-host: {maxVerdict: warn}, plaintext-credential: {maxVerdict: warn}}');
    expect(warn.verdict.allowed).to.equal(true);
    expect(warn.verdict.violations).to.deep.equal([]);
    expect(warn.verdict.warnings.some((w) => w.startsWith('rules.undeclared-external-host.maxVerdict is warn: [undeclared-external-host]'))).to.equal(true);
    const off = run(deployment('a'), 'rules: {undeclared-external-host: {maxVerdict: off}}');
    expect(off.verdict.violations.map((v) => v.rule)).to.deep.equal(['plaintext-credential']);
    expect(off.verdict.warnings.join('\n')).to.not.contain('undeclared-external-host');
    expect(run(deployment('a'), 'rules: {undeclared-external-host: {maxVerdict: deny}}').verdict.violations).to.have.length(2);
  });

  it('the webhook answer carries the warning and the audit annotation, and its summary names the exception for the metric', () => {
    const policy = compilePolicy(parseConfig(exception('kind: Deployment, name: reports')));
    const request = { uid: 'u', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, namespace: 'shop', name: 'reports', operation: 'CREATE', object: deployment('reports'), userInfo: { username: 'tenant', groups: [] } };
    const handled = handleAdmission('validate', request, catalog, policy, ON);
    const response = handled.review.response as { allowed: boolean; warnings?: string[]; auditAnnotations?: Record<string, string> };
    expect(response.auditAnnotations?.['exceptions']).to.contain('#0 shop/Deployment/reports');
    expect(response.warnings?.some((w) => w.startsWith('excepted by #0'))).to.equal(true);
    expect(summarize(handled, policy)?.exceptions).to.deep.equal(['#0 shop/Deployment/reports']);
    expect(summarize(handleAdmission('validate', request, catalog, policy, AFTER), policy)?.exceptions).to.equal(undefined);
  });

  it('check lists used, unused and expired exceptions', () => {
    const yaml = [
      'exceptions:',
      '  - {namespace: shop, kind: Deployment, name: reports, rules: [plaintext-credential], reason: r0, expires: "2027-03-31"}',
      '  - {namespace: billing, rules: [plaintext-credential], reason: r1, expires: "2027-03-31"}',
      '  - {namespace: shop, name: legacy, rules: [plaintext-credential], reason: r2, expires: "2027-03-30"}',
    ].join('\n');
    const docs = [deployment('reports'), pod('legacy')].map((object, i) => ({ source: `m#${i}`, object }));
    const { report } = checkManifests(docs, [], policyOf(yaml), false, {}, ON);
    expect(report.exceptions?.used.map((x) => [x.label, x.objects])).to.deep.equal([['#0 shop/Deployment/reports', 1]]);
    expect(report.exceptions?.unused.map((x) => x.label)).to.deep.equal(['#1 billing/*/*']);
    expect(report.exceptions?.expired.map((x) => [x.label, x.objects])).to.deep.equal([['#2 shop/*/legacy', 1]]);
    expect(report.summary.denied).to.equal(2);
    expect(checkManifests(docs, [], policyOf(''), false, {}, ON).report.exceptions, 'no exceptions configured: no field').to.equal(undefined);
  });

  it('a glob is anchored and every other character literal', () => {
    const re = (g: string) => new RegExp(globSource(g));
    expect(re('reports').test('reports-x')).to.equal(false);
    expect(re('rep*').test('reports-x')).to.equal(true);
    expect(re('a.b').test('axb')).to.equal(false);
    expect(re('a?c').test('abc')).to.equal(true);
  });
});
