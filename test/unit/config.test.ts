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
        modeAdmins: { groups: ['system:masters'], users: [] },
        declarations: { allowedTargets: [], admins: { groups: ['system:masters'], users: [] } },
      },
    });
  });

  it('accepts the example configuration', () => {
    const cfg = parseConfig(readFileSync(new URL('../../examples/config.yaml', import.meta.url), 'utf8'));
    expect(cfg.credentials.extraPatterns[0]!.name).to.equal('example-corp token');
    expect(() => compilePolicy(cfg)).not.to.throw();
  });

  const invalid: [string, string, RegExp][] = [
    ['an unknown mode', 'defaultMode: block', /defaultMode: must be equal to one of the allowed values/],
    ['an unknown key', 'defaultmode: warn', /must NOT have additional properties "defaultmode"/],
    ['a namespace that is not a DNS label', 'exemptNamespaces: [Kube_System]', /exemptNamespaces\.0: must match pattern/],
    ['a list where a string belongs', 'clusterDomain: [a]', /clusterDomain: must be string/],
    ['an extra pattern without a regex', 'credentials: {extraPatterns: [{name: x}]}', /credentials\.extraPatterns\.0: must have required property 'pattern'/],
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
