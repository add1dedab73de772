import { expect } from 'chai';
import { parseConfig } from '../../src/config/config.ts';
import { DEFAULT_TARGET } from '../../src/native/common.ts';
import { nativePolicies } from '../../src/native/policies.ts';
import { UNKNOWN_SERVICE_POLICY, unknownServicePolicies } from '../../src/native/unknown-service.ts';

describe('native unknown-external-service policy', () => {
  const objs = unknownServicePolicies(parseConfig('defaultMode: warn'), DEFAULT_TARGET);
  const vap = objs[0] as any;

  it('fails open, reads the namespace Declarations in every binding, and is in `extguard policies`', () => {
    expect(vap.spec.failurePolicy).to.equal('Ignore');
    const bindings = objs.slice(1) as any[];
    expect(bindings.length).to.be.greaterThan(2);
    for (const b of bindings) expect(b.spec.paramRef).to.deep.equal({ name: 'extguard', parameterNotFoundAction: 'Deny' });
    expect(nativePolicies(parseConfig('')).some((o) => o.metadata.name === UNKNOWN_SERVICE_POLICY)).to.equal(true);
  });

  it('reads extguard.io/inject of the object and of the pod template, per kind; judges Pods on CREATE only', () => {
    const requested = vap.spec.variables.find((v: any) => v.name === 'requested').expression as string;
    for (const path of ['object.?spec.?template.?metadata', 'object.?spec.?jobTemplate.?spec.?template.?metadata', 'object.?template.?metadata']) expect(requested).to.contain(path);
    expect(requested.match(/extguard\.io\/inject\\?"/g)?.length).to.be.greaterThan(3);
    expect(vap.spec.matchConditions.map((c: any) => c.name)).to.include('pod-create-only');
  });

  it('its message names the rule and the first unknown Service, never another field', () => {
    const msg = vap.spec.validations[0].messageExpression as string;
    expect(msg).to.contain('unknown-external-service').and.to.contain('variables.unknown[0]');
    expect(msg).to.not.match(/object\./);
  });
});
