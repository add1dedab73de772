import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/config.ts';
import { DEFAULT_TARGET } from '../../src/native/common.ts';
import { DECLARATION_POLICY, governancePolicies, memberExpression, MODE_POLICY } from '../../src/native/governance.ts';

describe('native governance policies', () => {
  it('the mode policy binds once, Deny, every namespace whatever its mode (off would switch off its own check)', () => {
    const objs = governancePolicies(parseConfig(''), DEFAULT_TARGET);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal([`ValidatingAdmissionPolicy/${MODE_POLICY}`, `ValidatingAdmissionPolicyBinding/${MODE_POLICY}`]);
    expect((objs[1] as any).spec).to.deep.equal({ policyName: MODE_POLICY, validationActions: ['Deny'] });
  });

  it('skips the same requesters as the webhook entry: the default modeAdmins groups of manifests/base/webhooks.yaml', () => {
    const objs = governancePolicies(parseConfig(''), DEFAULT_TARGET);
    const cond = (objs[0] as any).spec.matchConditions.find((c: any) => c.name === 'not-mode-admin').expression as string;
    const shipped = /name: not-mode-admin\n\s+expression: '(.*)'/.exec(readFileSync(new URL('../../manifests/base/webhooks.yaml', import.meta.url), 'utf8'))![1]!;
    const groups = (e: string) => JSON.parse(/\[(.*?)\]/.exec(e)![0]!.replaceAll("'", '"')).sort();
    expect(groups(cond)).to.deep.equal(groups(shipped));
  });

  it('users and groups both count; names are CEL string literals, quotes and backslashes escaped', () => {
    expect(memberExpression({ users: ['a"b'], groups: ['g\\1'] })).to.equal('request.userInfo.username in ["a\\"b"] || (has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ["g\\\\1"]))');
    expect(memberExpression({ users: [], groups: [] })).to.equal('false');
  });

  it('no declaration policy without allowedTargets (anyone may declare anything then); with them, bindings per mode', () => {
    expect(governancePolicies(parseConfig(''), DEFAULT_TARGET).some((o) => o.metadata.name === DECLARATION_POLICY)).to.equal(false);
    const objs = governancePolicies(parseConfig('governance: {declarations: {allowedTargets: ["*.Example.com.", "db.example.org"]}}'), DEFAULT_TARGET);
    const vap = objs.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === DECLARATION_POLICY) as any;
    const expr = vap.spec.validations[0].expression as string;
    expect(expr).to.contain('variables.target in ["db.example.org"]').and.to.contain('[".example.com"].exists(');
    expect(objs.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && (o as any).spec.policyName === DECLARATION_POLICY).length).to.be.greaterThan(1);
  });

  it('is deterministic', () => {
    const cfg = parseConfig('governance: {modeAdmins: {groups: [b, a], users: [z, y]}, declarations: {allowedTargets: [x.com, "*.y.com"]}}');
    expect(JSON.stringify(governancePolicies(cfg, DEFAULT_TARGET))).to.equal(JSON.stringify(governancePolicies(structuredClone(cfg), DEFAULT_TARGET)));
  });
});
