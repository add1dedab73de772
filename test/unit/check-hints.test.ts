// What `check` tells a user whose declaration sits among the inputs, and what the host rule's fix says.
import { expect } from 'chai';
import { checkManifests } from '../../src/cli/report.ts';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { compilePolicy } from '../../src/policy/judge.ts';

const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'stripe', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'api.stripe.com' } };
const deployment = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'pay', namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'pay' } }, template: { metadata: { labels: { app: 'pay' } }, spec: { containers: [{ name: 'app', image: 'app:1', env: [{ name: 'STRIPE_URL', value: 'https://api.stripe.com/v1' }] }] } } },
};
const docs = [service, deployment].map((object, i) => ({ object, source: `in.yaml#${i}`, file: 'in.yaml', line: 1 + i * 5 }));

describe('check: an untrusted declaration and the host fix', () => {
  it('a denial an ExternalName Service among the inputs would lift says to pass it with --declarations or --trust-inputs', () => {
    const run = checkManifests(docs, [], compilePolicy(DEFAULT_CONFIG));
    const pay = run.report.results.find((r) => r.name === 'pay')!;
    expect(pay.allowed).to.equal(false);
    expect(pay.warnings.join('\n')).to.contain('declares "api.stripe.com"').and.contain('--declarations').and.contain('--trust-inputs');
    // Trusted, it is declared: no denial, no hint.
    const trusted = checkManifests(docs, [], compilePolicy(DEFAULT_CONFIG), true).report.results.find((r) => r.name === 'pay')!;
    expect(trusted.allowed).to.equal(true);
    expect(trusted.warnings.join('\n')).to.not.contain('--declarations');
  });

  it("the fix keeps the host name (TLS verifies it): it never tells to dial the Service's name instead", () => {
    const pay = checkManifests([docs[1]!], [], compilePolicy(DEFAULT_CONFIG)).report.results[0]!;
    const message = pay.violations.find((v) => v.rule === 'undeclared-external-host')!.message;
    expect(message).to.contain('may keep using the host name').and.not.contain('instead of the host');
    expect(pay.warnings.join('\n')).to.not.contain('--declarations');
  });
});
