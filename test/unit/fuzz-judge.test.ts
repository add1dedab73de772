// Property-based tests of the pure judge: whatever object the API server hands over, the judge
// answers with a well-formed Verdict or a ShapeError, pollutes no prototype, leaves its input
// alone, and never repeats a credential it found. Seed and run count: test/helpers/fuzz.ts.

import { expect } from 'chai';
import fc from 'fast-check';
import { ShapeError } from '../../src/objects/workload.ts';
import { judge, type Judgement, type Policy } from '../../src/policy/judge.ts';
import { MODES, type Verdict } from '../../src/policy/types.ts';
import {
  credential, echoes, fuzzParams, hostShapedCredentials, junk, MARK, NAMESPACES, plantedContainer, prototypePollution,
  SENSITIVE_ENV_NAMES, workloadText, containerText, type JsonText,
} from '../helpers/fuzz.ts';
import { externalService, namespace } from '../helpers/objects.ts';
import { catalogOf, policyOf } from '../helpers/policy.ts';

const catalog = catalogOf([
  namespace('shop', 'enforce'), namespace('staging', 'warn'), namespace('legacy', 'audit'), namespace('offns', 'off'), namespace('badlabel', 'block'),
  externalService('external-db', 'my-database.example.com', { ports: [5432], annotations: { 'extguard.io/env-prefix': 'DB', 'extguard.io/secret': 'db-credentials' } }),
  externalService('payments-api', 'api.payments.example.com', { ports: [443], annotations: { 'extguard.io/host': 'external-name', 'extguard.io/secret': 'payments-api-key', 'extguard.io/secret-keys': 'token=API_KEY,bad' } }),
  externalService('shared-db', 'shared.example.net', { namespace: 'external-services' }),
]);

const policies: Policy[] = [
  policyOf(),
  policyOf([
    'defaultMode: warn',
    'sharedNamespace: external-services',
    'allowedHosts: ["api.github.com", "*.example.org", "93.184.216.9"]',
    'credentials:',
    '  sensitiveNames: [pin]',
    '  extraPatterns: [{ name: acme token, pattern: "acme_[A-Za-z0-9]{32}" }]',
  ].join('\n')),
  policyOf('defaultMode: audit\n'),
];

const RULES = ['plaintext-credential', 'undeclared-external-host', 'unknown-external-service'];
const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

/** The documented Verdict shape, checked field by field (a JSON schema in code). */
function expectVerdict(v: Verdict): void {
  expect(v).to.be.an('object');
  expect(Object.keys(v).sort()).to.deep.equal(['allowed', 'auditAnnotations', 'mode', 'patch', 'violations', 'warnings']);
  expect(MODES).to.include(v.mode);
  expect(v.allowed).to.be.a('boolean');
  expect(v.violations).to.be.an('array');
  for (const x of v.violations) {
    expect(Object.keys(x).sort()).to.deep.equal(['container', 'message', 'path', 'rule']);
    expect(RULES).to.include(x.rule);
    expect(x.container).to.be.a('string');
    expect(x.path).to.be.a('string');
    expect(x.message).to.be.a('string').and.not.equal('');
  }
  expect(v.warnings).to.be.an('array');
  for (const w of v.warnings) expect(w).to.be.a('string');
  expect(v.patch).to.be.an('array');
  for (const op of v.patch) {
    expect(OPS).to.include(op.op);
    expect(op.path).to.be.a('string').and.match(/^\//);
  }
  expect(Object.getPrototypeOf(v.auditAnnotations)).to.equal(Object.prototype);
  for (const [k, a] of Object.entries(v.auditAnnotations)) {
    expect(k).to.be.a('string');
    expect(a).to.be.a('string');
  }
  if (v.mode === 'enforce') expect(v.allowed).to.equal(v.violations.length === 0);
  else expect(v.allowed).to.equal(true);
}

interface Request {
  operation: string;
  namespace?: string;
  subResource?: string;
  dryRun: boolean;
  policy: number;
}

const request: fc.Arbitrary<Request> = fc.record({
  operation: fc.oneof({ arbitrary: fc.constant('CREATE'), weight: 8 }, { arbitrary: fc.constantFrom('UPDATE', 'DELETE', 'CONNECT', 'create', ''), weight: 2 }),
  namespace: fc.option(fc.constantFrom(...NAMESPACES, ''), { nil: undefined }),
  subResource: fc.option(fc.constantFrom('status', 'scale', ''), { freq: 10, nil: undefined }),
  dryRun: fc.boolean(),
  policy: fc.nat(policies.length - 1),
}, { requiredKeys: ['operation', 'dryRun', 'policy'] });

/** judge() on the parsed text: the Judgement, or the ShapeError it threw. Anything else fails. */
function judgeText(text: JsonText, r: Request): Judgement | ShapeError {
  const object: unknown = JSON.parse(text);
  let out: Judgement | ShapeError | undefined;
  let thrown: unknown;
  try {
    out = judge({ operation: r.operation, object, ...(r.namespace !== undefined ? { namespace: r.namespace } : {}), ...(r.subResource !== undefined ? { subResource: r.subResource } : {}), dryRun: r.dryRun }, catalog, policies[r.policy]!);
  } catch (err) {
    if (err instanceof ShapeError) out = err;
    else thrown = err;
  }
  // Checked (and cleaned up) before anything else, so one polluting run cannot fail the next.
  const leaked = ({} as Record<string, unknown>)['polluted'];
  expect(prototypePollution(), 'judge polluted built-in prototypes').to.deep.equal([]);
  expect(leaked, 'judge polluted Object.prototype').to.equal(undefined);
  if (out === undefined) throw new Error(`judge threw ${(thrown as Error)?.name}: ${(thrown as Error)?.message}`, { cause: thrown });
  // The judge works on a read-only view: the caller's object is the one the API server stores.
  expect(JSON.stringify(object), 'judge changed its input').to.equal(JSON.stringify(JSON.parse(text)));
  if (out instanceof ShapeError) expect(out.message).to.be.a('string').and.not.equal('');
  else {
    expect(out.exempt).to.be.a('boolean');
    expectVerdict(out.verdict);
  }
  return out;
}

/** Planted text with the credential in place, or undefined when the template already holds it. */
function plant(template: JsonText, secret: string): JsonText {
  fc.pre(!echoes(template, secret)); // the template is random: make sure only the plant can carry it
  return template.split(MARK).join(secret);
}

describe('judge properties (fast-check)', function () {
  // Generating and judging a few hundred objects; no timing is asserted.
  this.timeout(120_000);

  it('returns a well-formed Verdict or throws ShapeError for any covered-kind manifest, without pollution or mutation', () => {
    fc.assert(fc.property(workloadText(), request, (text, r) => { judgeText(text, r); }), fuzzParams(400));
  });

  it('does the same for any JSON value, including ones that claim a covered kind', () => {
    const claimed = fc.tuple(fc.constantFrom('["v1","Pod"]', '["apps/v1","Deployment"]', '["batch/v1","CronJob"]', '["batch/v1","Job"]'), junk, junk)
      .map(([kv, spec, meta]) => { const [a, k] = JSON.parse(kv) as string[]; return `{"apiVersion":${JSON.stringify(a)},"kind":${JSON.stringify(k)},"metadata":${meta},"spec":${spec}}`; });
    const anything = fc.oneof(junk, fc.json(), claimed);
    fc.assert(fc.property(anything, request, (text, r) => { judgeText(text, r); }), fuzzParams(400));
  });

  it('never echoes a credential: not in messages, warnings, audit annotations nor the patch', () => {
    let reported = 0;
    let judged = 0;
    fc.assert(fc.property(workloadText(plantedContainer), credential, request, (template, secret, r) => {
      const out = judgeText(plant(template, secret), r);
      if (out instanceof ShapeError) {
        expect(echoes(out.message, secret), `ShapeError echoes the credential: ${out.message}`).to.equal(false);
        return;
      }
      // Runs where the rules ran at all: a covered kind, judged (not off, exempt, deleted or a Pod UPDATE).
      const ruled = out.workload && out.verdict.mode !== 'off' && !out.workload.deleting && r.operation === 'CREATE';
      if (ruled) judged++;
      if (ruled && out.verdict.violations.some((v) => v.rule === 'plaintext-credential')) reported++;
      const text = JSON.stringify(out.verdict);
      expect(echoes(text, secret), `the verdict echoes the credential: ${text}`).to.equal(false);
    }), fuzzParams(400));
    // A property that never reaches a finding proves nothing: enough runs must be judged by the
    // rules, and most of those must report the planted credential.
    const { numRuns } = fuzzParams(400);
    expect(judged, 'runs judged by the rules').to.be.greaterThan(numRuns / 8);
    expect(reported, 'judged runs where the credential was reported').to.be.greaterThan(judged / 2);
  });

  // Real passwords can look like hosts, IPs and URLs. The host rule reports the hosts it finds,
  // but never one taken from a value that holds a credential or sits under a credential's name.
  describe('host-shaped credentials', () => {
    /** `tell` is the part of the credential whose presence in the verdict gives it away. */
    const property = (shape: fc.Arbitrary<{ value: string; tell: string }>) => {
      fc.assert(fc.property(fc.constantFrom(...SENSITIVE_ENV_NAMES).chain((n) => workloadText(containerText({ env: [JSON.stringify({ name: n, value: MARK })] }))), shape, request, (template, { value, tell }, r) => {
        fc.pre(!template.toLowerCase().includes(tell.toLowerCase()));
        const out = judgeText(template.split(MARK).join(value), r);
        if (out instanceof ShapeError) return;
        const text = JSON.stringify(out.verdict).toLowerCase();
        expect(text.includes(tell.toLowerCase()), `the verdict echoes the credential "${value}": ${text}`).to.equal(false);
      }), fuzzParams(200));
    };
    // DB_PASSWORD=summer2024.io
    it('a credential shaped like a host name is not echoed', () => property(hostShapedCredentials.host));
    // API_TOKEN=93.184.216.7
    it('a credential shaped like a public IP address is not echoed', () => property(hostShapedCredentials.ip));
    // SECRET=https://x.example.com
    it('a credential shaped like a URL is not echoed', () => property(hostShapedCredentials.url));
  });
});
