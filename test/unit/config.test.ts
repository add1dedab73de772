import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../../src/config/config.ts';
import { compilePolicy } from '../../src/policy/judge.ts';

describe('configuration', () => {
  it('fills every default from an empty document', () => {
    expect(DEFAULT_CONFIG).to.deep.equal({
      defaultMode: 'enforce',
      exemptNamespaces: ['kube-system', 'kube-public', 'kube-node-lease', 'extguard-system'],
      clusterDomain: 'cluster.local',
      allowedHosts: [],
      internalCIDRs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
      credentials: { sensitiveNames: [], extraPatterns: [] },
      governance: {
        modeAdmins: { groups: ['system:masters', 'kubeadm:cluster-admins'], users: [] },
        declarations: { allowedTargets: [], admins: { groups: ['system:masters', 'kubeadm:cluster-admins'], users: [] } },
      },
      exceptions: [],
      rules: {},
    });
  });

  it('fills the governance defaults around a partial governance section', () => {
    const cfg = parseConfig('governance: {declarations: {allowedTargets: ["*.partner-example.com"]}}');
    expect(cfg.governance).to.deep.equal({
      modeAdmins: { groups: ['system:masters', 'kubeadm:cluster-admins'], users: [] },
      declarations: { allowedTargets: ['*.partner-example.com'], admins: { groups: ['system:masters', 'kubeadm:cluster-admins'], users: [] } },
    });
  });

  it('takes a configured admin list as the whole list: it replaces the default groups, it does not add to them', () => {
    const cfg = parseConfig('governance: {modeAdmins: {users: [ops-bot]}, declarations: {admins: {groups: [net-admins]}}}');
    expect(cfg.governance.modeAdmins).to.deep.equal({ users: ['ops-bot'], groups: [] });
    expect(cfg.governance.declarations.admins).to.deep.equal({ groups: ['net-admins'], users: [] });
  });

  it('accepts exact names, *.suffix wildcards and a trailing dot in allowedTargets', () => {
    const targets = ['db.example.com', '*.partner-example.com', 'api.example.com.'];
    expect(parseConfig(`governance: {declarations: {allowedTargets: ${JSON.stringify(targets)}}}`).governance.declarations.allowedTargets).to.deep.equal(targets);
  });

  it('accepts the example configuration', () => {
    const cfg = parseConfig(readFileSync(new URL('../../examples/config.yaml', import.meta.url), 'utf8'));
    expect(cfg.credentials.extraPatterns[0]!.name).to.equal('example-corp token');
    expect(() => compilePolicy(cfg)).not.to.throw();
  });

  const invalid: [string, string, RegExp][] = [
    ['an unknown mode', 'defaultMode: block', /defaultMode: must be one of "enforce", "warn", "audit", "off"/],
    ['an unknown key', 'defaultmode: warn', /unknown field "defaultmode"; known fields: /],
    ['a namespace that is not a DNS label', 'exemptNamespaces: [Kube_System]', /exemptNamespaces\.0: must match pattern/],
    ['a list where a string belongs', 'clusterDomain: [a]', /clusterDomain: must be string/],
    ['an extra pattern without a regex', 'credentials: {extraPatterns: [{name: x}]}', /credentials\.extraPatterns\.0: missing required field "pattern"/],
    ['an unknown key under governance', 'governance: {modeAdmin: {groups: [ops]}}', /governance: unknown field "modeAdmin"; known fields: /],
    ['an unknown key under governance.modeAdmins', 'governance: {modeAdmins: {group: [ops]}}', /governance\.modeAdmins: unknown field "group"; known fields: /],
    ['an unknown key under governance.declarations', 'governance: {declarations: {allowedHosts: [db.example.com]}}', /governance\.declarations: unknown field "allowedHosts"; known fields: /],
    ['an unknown key under governance.declarations.admins', 'governance: {declarations: {admins: {user: [bob]}}}', /governance\.declarations\.admins: unknown field "user"; known fields: /],
    ['an allowedTargets entry with a space', 'governance: {declarations: {allowedTargets: ["db.example.com api.example.com"]}}', /governance\.declarations\.allowedTargets\.0: must match pattern/],
    ['an allowedTargets entry that is a URL', 'governance: {declarations: {allowedTargets: [db.example.com, "https://api.example.com/"]}}', /governance\.declarations\.allowedTargets\.1: must match pattern/],
    ['an allowedTargets entry with a path', 'governance: {declarations: {allowedTargets: ["api.example.com/v1"]}}', /governance\.declarations\.allowedTargets\.0: must match pattern/],
    ['an empty mode admin group', 'governance: {modeAdmins: {groups: [""]}}', /governance\.modeAdmins\.groups\.0: must NOT have fewer than 1 characters/],
    ['a single group where a list belongs', 'governance: {modeAdmins: {groups: system:masters}}', /governance\.modeAdmins\.groups: must be array/],
    ['an unknown key, naming the known ones', 'governance: {modeAdmin: {groups: [ops]}}', /governance: unknown field "modeAdmin"; known fields: modeAdmins, declarations/],
    ['an exception for a governance rule, listing the exceptable rules', 'exceptions: [{namespace: shop, rules: [mode-change-forbidden], reason: r, expires: "2027-03-31"}]', /exceptions\.0\.rules\.0: must be one of "plaintext-credential", "undeclared-external-host", "unknown-external-service"/],
    ['an exception without a reason', 'exceptions: [{namespace: shop, rules: [plaintext-credential], expires: "2027-03-31"}]', /exceptions\.0: missing required field "reason"/],
    ['an exception with a blank reason', 'exceptions: [{namespace: shop, rules: [plaintext-credential], reason: "  ", expires: "2027-03-31"}]', /exceptions\.0\.reason: must match pattern/],
    ['an exception without an expiry', 'exceptions: [{namespace: shop, rules: [plaintext-credential], reason: r}]', /exceptions\.0: missing required field "expires"/],
    ['an expiry that is no calendar day', 'exceptions: [{namespace: shop, rules: [plaintext-credential], reason: r, expires: "2027-02-30"}]', /exceptions\.0\.expires: "2027-02-30" is not a calendar date/],
    ['an exception of an unknown kind', 'exceptions: [{namespace: shop, kind: deployment, rules: [plaintext-credential], reason: r, expires: "2027-03-31"}]', /exceptions\.0\.kind: must be one of "Pod", .*"Deployment"/],
    ['a maxVerdict outside deny, warn, off', 'rules: {undeclared-external-host: {maxVerdict: warning}}', /rules\.undeclared-external-host\.maxVerdict: must be one of "deny", "warn", "off"/],
    ['a rule setting for a governance rule', 'rules: {undeclarable-host: {maxVerdict: off}}', /rules: unknown field "undeclarable-host"; known fields: plaintext-credential, undeclared-external-host, unknown-external-service/],
    ['an allowedHosts wildcard over a public suffix', 'allowedHosts: ["*.com"]', /allowedHosts\.0: "\*\.com" covers a whole public suffix/],
    ['an allowedHosts wildcard over a two-label public suffix', 'allowedHosts: [api.example.com, "*.co.uk"]', /allowedHosts\.1: "\*\.co\.uk" covers a whole public suffix/],
    ['an allowedHosts wildcard over a single label', 'allowedHosts: ["*.corp"]', /allowedHosts\.0: "\*\.corp" covers every name under a single label/],
    ['an allowedTargets wildcard over a public suffix', 'governance: {declarations: {allowedTargets: ["*.io"]}}', /governance\.declarations\.allowedTargets\.0: "\*\.io" covers a whole public suffix/],
    ['not a mapping', '- a\n- b', /expected a YAML mapping/],
    ['broken YAML', 'defaultMode: [', /not valid YAML/],
  ];
  for (const [what, yaml, message] of invalid) {
    it(`refuses ${what} with a message naming the field`, () => {
      expect(() => parseConfig(yaml, 'cm.yaml')).to.throw(ConfigError, message);
    });
  }

  it('refuses a regex or CIDR that does not compile when the policy is built', () => {
    expect(() => compilePolicy(parseConfig('credentials: {extraPatterns: [{name: x, pattern: "(unclosed"}]}'))).to.throw(/x/);
    expect(() => compilePolicy(parseConfig('internalCIDRs: ["10.0.0.0/99"]'))).to.throw(/10\.0\.0\.0\/99/);
  });
});
