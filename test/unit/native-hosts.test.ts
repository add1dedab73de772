import { expect } from 'chai';
import { parse as parseDomain } from 'tldts';
import { parseConfig } from '../../src/config/config.ts';
import { EXACT_TLDS, hostPolicies, HOST_POLICY, internalIPv4Ranges, METADATA_NAMES } from '../../src/native/hosts.ts';
import { DEFAULT_TARGET } from '../../src/native/common.ts';
import { compilePolicy } from '../../src/policy/judge.ts';
import { hostRole, LISTED_SIGNALS } from '../../src/recognize/host-names.ts';
import { catalogOf, judgeCreate } from '../helpers/policy.ts';
import { externalService, namespace, pod } from '../helpers/objects.ts';
import { modelDenies, NAMES, VALUES } from '../helpers/native-hosts.ts';

const CONFIG = 'allowedHosts: ["*.stripe.com", "API.GitHub.com"]\nsharedNamespace: shared\n';
const config = parseConfig(CONFIG, 'test');
const policy = compilePolicy(config);
const catalog = catalogOf([namespace('shop'), namespace('shared'), externalService('paypal', 'api.paypal.com', { namespace: 'shop' }), externalService('slack', 'hooks.slack.com', { namespace: 'shared' })]);
/** What serve writes into shop's Declarations for this config and catalog (desiredDeclarations, tested in native-declarations). */
const DECLARED = ['*.stripe.com', 'api.github.com', 'api.paypal.com', 'hooks.slack.com'];

describe('native undeclared-host policy', () => {
  it('is one ValidatingAdmissionPolicy with Declarations as params, and a binding per mode that reads the namespace\'s `extguard`', () => {
    const [vap, ...bindings] = hostPolicies(config, DEFAULT_TARGET);
    expect(vap!.kind).to.equal('ValidatingAdmissionPolicy');
    expect(vap!.metadata.name).to.equal(HOST_POLICY);
    expect((vap as any).spec.paramKind).to.deep.equal({ apiVersion: 'extguard.io/v1alpha1', kind: 'Declarations' });
    expect(bindings.map((b) => b.metadata.name)).to.deep.equal([`${HOST_POLICY}-enforce`, `${HOST_POLICY}-warn`, `${HOST_POLICY}-audit`]);
    for (const b of bindings) expect((b as any).spec.paramRef).to.deep.equal({ name: 'extguard', parameterNotFoundAction: 'Deny' });
  });

  it('is deterministic', () => {
    expect(JSON.stringify(hostPolicies(config, DEFAULT_TARGET))).to.equal(JSON.stringify(hostPolicies(parseConfig(CONFIG, 'again'), DEFAULT_TARGET)));
  });

  it("takes its word lists from the judge's name tables, and the cluster domain from the config", () => {
    const cel = JSON.stringify(hostPolicies(parseConfig('clusterDomain: corp.example.com\n', 'test'), DEFAULT_TARGET)[0]);
    for (const w of [...LISTED_SIGNALS.words, ...LISTED_SIGNALS.names, ...LISTED_SIGNALS.nameEnds]) expect(cel, w).to.contain(`'${w}'`);
    expect(cel).to.contain("'.corp.example.com'");
    expect(LISTED_SIGNALS.words).to.include.members(['allowed', 'public', 'listen', 'image']);
  });

  it('reads a name only when the judge cannot make it `listed` (every 1-3 word name of the signal words and host words)', () => {
    const vocabulary = [...new Set([...LISTED_SIGNALS.words, ...LISTED_SIGNALS.names.flatMap((n) => n.split('_')), 'url', 'host', 'api', 'db', 'endpoint', 'proxy', 'no', 'name', 'server'])];
    let read = 0;
    const names = vocabulary.flatMap((a) => [a, ...vocabulary.flatMap((b) => [`${a}_${b}`, `${a}_${b}_url`])]);
    for (const lower of names) {
      const name = lower.toUpperCase();
      if (!modelDenies(name, 'https://a.b.com/', [])) continue;
      read++;
      expect(hostRole(name), name).to.not.equal('listed');
    }
    expect(read).to.be.greaterThan(100);
  });

  it('judges only TLDs whose public-suffix rules stop at the TLD, as the judge reads them', () => {
    expect(EXACT_TLDS).to.deep.equal(['com', 'net', 'org']);
    for (const tld of EXACT_TLDS) {
      for (const second of ['co', 'com', 'gov', 'ac', 'edu', 's3', 'compute', 'amazonaws', 'blogspot', 'github', 'herokuapp', 'k12', 'nom', 'uk', 'us', 'cloud']) {
        const r = parseDomain(`x.${second}.${tld}`, { allowPrivateDomains: false });
        expect(r.isIcann, `x.${second}.${tld}`).to.equal(true);
        expect(r.domain, `x.${second}.${tld}`).to.equal(`${second}.${tld}`);
      }
    }
  });

  it('denies nothing the judge admits: every env variable the model denies, the judge denies as undeclared-external-host', () => {
    let denied = 0;
    let admitted = 0;
    for (const name of NAMES) {
      for (const value of VALUES) {
        if (!modelDenies(name, value, DECLARED)) { admitted++; continue; }
        denied++;
        const j = judgeCreate(pod({ namespace: 'shop', containers: [{ env: [{ name, value }] }] }), catalog, policy);
        expect(j.verdict.allowed, `${name}=${value}`).to.equal(false);
        expect(j.verdict.violations.map((v) => v.rule), `${name}=${value}`).to.include('undeclared-external-host');
      }
    }
    // The subset is not empty, and it is a subset.
    expect(denied).to.be.greaterThan(50);
    expect(admitted).to.be.greaterThan(denied);
  });

  it('declared hosts (allowedHosts patterns, own and shared ExternalNames) are admitted by the model, as by the judge', () => {
    for (const value of ['https://api.stripe.com/v1', 'https://api.paypal.com/', 'http://hooks.slack.com:8080/services/x', 'https://api.github.com/']) {
      expect(modelDenies('API_URL', value, DECLARED), value).to.equal(false);
      expect(judgeCreate(pod({ namespace: 'shop', containers: [{ env: [{ name: 'API_URL', value }] }] }), catalog, policy).verdict.allowed, value).to.equal(true);
    }
    expect(modelDenies('API_URL', 'https://files.evil.net/x', DECLARED)).to.equal(true);
  });

  it('reads IPv4 addresses against internalCIDRs and the ranges the judge always holds internal, and metadata services by name or address', () => {
    const custom = parseConfig('internalCIDRs: [11.0.0.0/8]\n', 'test');
    const customPolicy = compilePolicy(custom);
    const internal = internalIPv4Ranges(custom);
    expect(internal).to.include.members(['11.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16']).and.not.include('10.0.0.0/8');
    const cases: Array<[string, boolean]> = [
      ['http://52.94.236.248/', true], ['http://11.2.3.4/', false], ['http://10.0.0.1/', true], ['http://127.0.0.1:9090/', false],
      ['http://169.254.169.254/latest/meta-data/', true], ['http://169.254.1.1/', false], ['http://metadata.google.internal/computeMetadata/v1/', true],
      ['http://metadata/computeMetadata/v1/', true], ['http://010.0.0.1/', false], ['http://0x7f000001/', false],
    ];
    for (const [value, denied] of cases) {
      expect(modelDenies('API_URL', value, [], 'cluster.local', internal), value).to.equal(denied);
      const j = judgeCreate(pod({ namespace: 'shop', containers: [{ env: [{ name: 'API_URL', value }] }] }), catalog, customPolicy);
      if (denied) expect(j.verdict.allowed, value).to.equal(false);
    }
    // Declared by address or by name, the judge and the model admit.
    expect(modelDenies('API_URL', 'http://52.94.236.248/', ['52.94.236.248'], 'cluster.local', internal)).to.equal(false);
    expect(modelDenies('API_URL', 'http://169.254.169.254/', ['169.254.169.254'], 'cluster.local', internal)).to.equal(false);
  });

  it("uses CEL's IP library only where stored policies may (Kubernetes 1.31 and later); below, only metadata services' addresses", () => {
    const at = (minor: number) => JSON.stringify(hostPolicies(config, { minor })[0]);
    expect(at(31)).to.contain('isIP(').and.contain('cidr(r)').and.contain("'192.168.0.0/16'");
    expect(at(30)).to.not.contain('isIP(').and.not.contain('cidr(');
    expect(at(30)).to.match(/169\\+\.254\\+\.169\\+\.254/);
    expect(METADATA_NAMES).to.include.members(['169.254.169.254', 'metadata.google.internal', 'metadata']);
  });
});
