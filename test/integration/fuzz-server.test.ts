// Property-based test of the HTTP edge of the built `extguard serve`, over real TLS: whatever
// bytes arrive on /validate and /mutate, the answer is a 200 with a well-formed AdmissionReview
// or a clear 4xx with a JSON {error}; never a 5xx (not even one wrapped in a 200), never a
// hang, and the process stays up. A credential planted in the requests shows up nowhere: not
// in responses, headers, logs, nor /metrics. Seed and run count: test/helpers/fuzz.ts.

import { expect } from 'chai';
import fc from 'fast-check';
import { request as httpsRequest, type Agent } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { credential, echoes, fuzzParams, junk, MARK, NAMESPACES, objectText, plantedContainer, str, weirdString, workloadText, type JsonText } from '../helpers/fuzz.ts';
import { root, startTlsServeProcess, type ServeProcess, type TlsServeProcess } from '../helpers/process.ts';

const BODY_LIMIT = 256 * 1024;
/**
 * The API server gives up on the webhook after timeoutSeconds: 5 (manifests/base) and, with
 * failurePolicy: Fail, refuses the object: an answer later than that is a failure. Measured
 * answers on this suite's bodies take well under 100 ms.
 */
const REQUEST_TIMEOUT_MS = 5_000;
/** Only reached while shrinking a failure in which every attempt hangs for REQUEST_TIMEOUT_MS. */
const CAMPAIGN_LIMIT_MS = 120_000;

interface Sent {
  path: '/validate' | '/mutate';
  headers: Record<string, string>;
  body: Buffer;
  /** request.uid as the server will read it, when it is a non-empty string. */
  uid?: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

// ------------------------------------------------------------------ bodies

const UID = fc.oneof(fc.uuid().map((u) => JSON.stringify(u)), str(weirdString), fc.constantFrom('""', '0', '1e400', 'null', 'true', '[]', '{}', '["a"]', '{"uid":"x"}'));

/** Mostly `good`, sometimes one of `bad`. */
const mostly = (good: JsonText, ...bad: JsonText[]): fc.Arbitrary<JsonText> =>
  fc.oneof({ arbitrary: fc.constant(good), weight: 10 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });

/** An AdmissionReview as text; `object` is the workload. Any field may be missing, wrong or doubled. */
const review = (object: fc.Arbitrary<JsonText>): fc.Arbitrary<JsonText> => objectText([
  ['apiVersion', mostly('"admission.k8s.io/v1"', '"admission.k8s.io/v1beta1"', '"v1"'), 'required'],
  ['kind', mostly('"AdmissionReview"', '"AdmissionRequest"', '"admissionreview"'), 'required'],
  ['request', objectText([
    ['uid', fc.oneof({ arbitrary: fc.uuid().map((u) => JSON.stringify(u)), weight: 8 }, { arbitrary: UID, weight: 2 }), 'required'],
    ['kind', fc.constant('{"group":"","version":"v1","kind":"Pod"}')],
    ['operation', mostly('"CREATE"', '"UPDATE"', '"DELETE"', '"CONNECT"', '7')],
    ['namespace', str(fc.constantFrom(...NAMESPACES))],
    ['name', str(fc.string({ maxLength: 10 }))],
    ['subResource', mostly('""', '"status"', '"scale"')],
    ['object', object, 'required'],
    ['oldObject', fc.constantFrom('null', '{}')],
    ['dryRun', mostly('false', 'true', '"yes"')],
    ['userInfo', fc.constant('{"username":"fuzz"}')],
  ]), 'required'],
]);

const workload = fc.oneof({ arbitrary: workloadText(plantedContainer), weight: 6 }, { arbitrary: workloadText(), weight: 2 }, { arbitrary: junk, weight: 1 });

/**
 * What to send, as plain data so a counterexample prints readably and replays exactly:
 * the text, its content type and encoding, invalid UTF-8 byte sequences to insert, and
 * whether to compress it (really, or with a broken stream).
 */
interface Body {
  text: JsonText;
  contentType: string;
  encoding?: string;
  insert?: (readonly [at: number, bytes: readonly number[]])[];
  compress?: 'gzip' | 'garbage';
}

/** Well-formed bytes, broken bytes, wrong framing: what reaches the edge and what it must do with it. */
const body: fc.Arbitrary<Body> = fc.oneof(
  // A review, possibly broken in its fields.
  { arbitrary: review(workload).map((text) => ({ text, contentType: 'application/json' })), weight: 10 },
  // The same review with the content types the API server never sends, and one it may.
  { arbitrary: fc.tuple(review(workload), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/merge-patch+json', 'application/json; charset=utf-8', 'multipart/form-data; boundary=x', 'application/yaml'))
    .map(([text, contentType]) => ({ text, contentType })), weight: 2 },
  // Invalid UTF-8: overlong encodings, lone continuation bytes, encoded surrogates, truncated sequences.
  { arbitrary: fc.tuple(review(workload), fc.array(fc.tuple(fc.nat(), fc.constantFrom([0xff], [0xc0, 0x80], [0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xfe, 0xfe])), { minLength: 1, maxLength: 4 }))
    .map(([text, insert]) => ({ text, contentType: 'application/json', insert })), weight: 2 },
  // Not JSON, truncated JSON, JSON that is not an object.
  { arbitrary: fc.oneof(fc.string({ maxLength: 40 }), review(workload).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n))), fc.constantFrom('null', '[]', '"review"', '123', 'true', '{"request":', '\ufeff{}', '{"a":1}{"b":2}'))
    .map((text) => ({ text, contentType: 'application/json' })), weight: 2 },
  // Duplicated keys: the last one wins, as in JSON.parse.
  { arbitrary: fc.tuple(review(workload), review(workload)).map(([a, b]) => ({ text: `{${[a.slice(1, -1), b.slice(1, -1)].filter((x) => x !== '').join(',')}}`, contentType: 'application/json' })), weight: 1 },
  // Nesting far deeper than any Kubernetes object, as the request's object or as the whole body.
  { arbitrary: fc.tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.boolean(), fc.uuid()).map(([n, whole, uid]) => {
    const deep = '['.repeat(n) + ']'.repeat(n);
    return { text: whole ? deep : `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"${uid}","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":${deep}}},"spec":{"containers":[{"name":"a","args":${deep}}]}}}}`, contentType: 'application/json' };
  }), weight: 1 },
  // Compressed bodies (body-parser inflates them), broken compression, unknown encodings.
  { arbitrary: fc.tuple(review(workload), fc.constantFrom(['gzip', 'gzip'], ['gzip', 'garbage'], ['deflate', 'garbage'], ['br', 'garbage'], ['compress', undefined], ['identity', undefined]) as fc.Arbitrary<[string, Body['compress']]>)
    .map(([text, [encoding, compress]]) => ({ text, contentType: 'application/json', encoding, ...(compress ? { compress } : {}) })), weight: 1 },
  // Over the body limit.
  { arbitrary: fc.integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT * 2 }).map((n) => ({ text: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"big","operation":"CREATE","object":{"pad":"${'x'.repeat(n)}"}}}`, contentType: 'application/json' })), weight: 1 },
);

const request = fc.record({ body, secret: credential, path: fc.constantFrom('/validate', '/mutate') as fc.Arbitrary<'/validate' | '/mutate'> });

function toSent({ body: b, secret, path }: { body: Body; secret: string; path: '/validate' | '/mutate' }): Sent {
  const text = b.text.split(MARK).join(secret);
  let bytes = Buffer.from(text, 'utf8');
  for (const [at, seq] of b.insert ?? []) { const i = at % (bytes.length + 1); bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from(seq), bytes.subarray(i)]); }
  if (b.compress === 'gzip') bytes = gzipSync(bytes);
  if (b.compress === 'garbage') bytes = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), bytes]);
  const headers: Record<string, string> = { 'content-length': String(bytes.length) };
  if (b.contentType) headers['content-type'] = b.contentType;
  if (b.encoding) headers['content-encoding'] = b.encoding;
  return { path, headers, body: bytes, ...uidOf(b.insert ? bytes.toString('utf8') : text) };
}

/** request.uid the way the server reads it (JSON.parse: the last duplicate wins). */
function uidOf(text: string): { uid?: string } {
  try {
    const uid = (JSON.parse(text) as { request?: { uid?: unknown } } | null)?.request?.uid;
    return typeof uid === 'string' && uid !== '' ? { uid } : {};
  } catch {
    return {};
  }
}

// ------------------------------------------------------------------ the property

function expectAnswer(sent: Sent, got: Answer): void {
  const what = `${sent.path} ${JSON.stringify(sent.headers)} -> ${got.status} ${got.text.slice(0, 300)}`;
  expect(got.status, `no 5xx: ${what}`).to.be.below(500);
  expect(String(got.headers['content-type']), what).to.match(/^application\/json/);
  const parsed: unknown = JSON.parse(got.text);
  if (got.status === 200) {
    const r = parsed as { apiVersion: unknown; kind: unknown; response: { uid: unknown; allowed: unknown; status?: { code?: unknown }; patch?: unknown; patchType?: unknown } };
    expect(r.apiVersion, what).to.equal('admission.k8s.io/v1');
    expect(r.kind, what).to.equal('AdmissionReview');
    expect(r.response, what).to.be.an('object');
    expect(r.response.allowed, what).to.be.a('boolean');
    expect(r.response.uid, what).to.be.a('string');
    if (sent.uid !== undefined) expect(r.response.uid, what).to.equal(sent.uid);
    // A 500 wrapped in a well-formed review is still an internal error.
    if (r.response.status?.code !== undefined) expect(r.response.status.code, `no internal error: ${what}`).to.be.a('number').and.below(500);
    if (r.response.patch !== undefined) {
      expect(r.response.patchType, what).to.equal('JSONPatch');
      expect(JSON.parse(Buffer.from(String(r.response.patch), 'base64').toString('utf8')), what).to.be.an('array');
    }
  } else {
    expect(got.status, what).to.be.within(400, 499);
    expect(parsed, what).to.be.an('object');
    expect((parsed as { error: unknown }).error, what).to.be.a('string').and.not.equal('');
  }
}

describe('server properties (fast-check, built binary over TLS)', function () {
  this.timeout(CAMPAIGN_LIMIT_MS + 60_000);
  let server: TlsServeProcess;
  let proc: ServeProcess;
  let agent: Agent;

  before(async () => {
    server = await startTlsServeProcess(
      { 'config.yaml': 'defaultMode: enforce\nsharedNamespace: external-services\ncredentials:\n  sensitiveNames: [pin]\n' },
      (dir) => ['--declarations', join(root, 'examples', 'catalog.yaml'), '--config', join(dir, 'config.yaml'), '--max-body-bytes', String(BODY_LIMIT)],
    );
    ({ proc, agent } = server);
  });

  after(async () => { await server?.stop(); });

  const send = (s: Sent): Promise<Answer> => new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: proc.port, path: s.path, method: 'POST', servername: 'localhost', agent, headers: s.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: the server hangs on ${s.path} ${JSON.stringify(s.headers)}`)));
    req.on('error', reject);
    req.end(s.body);
  });

  it('answers every body with a well-formed review or a clear 4xx, stays up, and never leaks a planted credential', async () => {
    const params = fuzzParams(300);
    const secrets: string[] = [];
    const seen = new Map<string, number>();
    await fc.assert(fc.asyncProperty(request, async (r) => {
      const { secret } = r;
      const sent = toSent(r);
      secrets.push(secret);
      const got = await send(sent);
      expectAnswer(sent, got);
      const outcome = got.status !== 200 ? String(got.status)
        : /plaintext credential/.test(got.text) ? '200 credential reported' : /"allowed":false/.test(got.text) ? '200 refused' : '200 allowed';
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1)
      expect(echoes(got.text, secret), `response body echoes the credential: ${got.text.slice(0, 500)}`).to.equal(false);
      expect(echoes(JSON.stringify(got.headers), secret), 'response headers echo the credential').to.equal(false);
      expect(proc.child.exitCode, `the server died: ${proc.logs().slice(-2000)}`).to.equal(null);
    }), { ...params, plugins: [fc.interruptAfterTimeLimit(CAMPAIGN_LIMIT_MS)] });
    expect(secrets.length, `only ${secrets.length} of ${params.numRuns} requests were sent within ${CAMPAIGN_LIMIT_MS} ms`).to.be.at.least(params.numRuns);
    // The generators must reach every kind of answer, or the property proves less than it says.
    expect([...seen.keys()].sort(), JSON.stringify([...seen])).to.include.members(['200 allowed', '200 credential reported', '200 refused', '400', '413', '415']);

    const healthz = await new Promise<Answer>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: proc.port, path: '/healthz', servername: 'localhost', agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      }).on('error', reject).end();
    });
    expect(healthz.status).to.equal(200);
    expect(healthz.text).to.equal('ok');
    expect(proc.child.exitCode).to.equal(null);

    const metrics = await server.metrics();
    expect(metrics).to.contain('extguard_admission_requests_total');
    expect(metrics, 'no 5xx was counted').not.to.match(/extguard_admission_requests_total\{[^}]*code="5\d\d"/);
    const logs = proc.logs();
    for (const secret of secrets) {
      expect(echoes(logs, secret), `the logs echo a planted credential (${secret.slice(0, 4)}...)`).to.equal(false);
      expect(echoes(metrics, secret), `/metrics echoes a planted credential (${secret.slice(0, 4)}...)`).to.equal(false);
    }
  });
});
