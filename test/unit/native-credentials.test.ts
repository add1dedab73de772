// The native plaintext-credential policy: its shape, and that it is never stricter than the
// webhook. Every condition of the CEL has a TypeScript twin built from the same pattern strings
// (model); whatever the model denies, the real judge must deny too, on enumerated cases and on
// generated ones.

import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { stringify as toYaml } from 'yaml';
import { parseConfig } from '../../src/config/config.ts';
import { DEFAULT_TARGET } from '../../src/native/common.ts';
import {
  CEL_CONFIGMAP_UNDER_NAME, CEL_LITERAL_UNDER_NAME, CEL_TOKEN_FORMAT, CEL_URL_PASSWORD, CREDENTIAL_NAME, CREDENTIAL_POLICY, credentialPolicies, model, NAME_STOP_WORDS, NATIVE_FORMAT_SOURCES, NATIVE_FORMATS, re2, SELF_NAMED,
} from '../../src/native/credentials.ts';
import { nativePolicies } from '../../src/native/policies.ts';
import { findFormat, isFiller } from '../../src/recognize/formats.ts';
import { ACTION_TOKENS, GLUED_SUFFIXES, OPERATION_TOKENS, SENSITIVE_PAIRS, SENSITIVE_TOKENS } from '../../src/recognize/names.ts';
import { namespace } from '../helpers/objects.ts';
import { catalogOf, judgeCreate, policyOf } from '../helpers/policy.ts';
import { fuzzParams } from '../helpers/fuzz.ts';

const config = parseConfig('', 'test');
const catalog = catalogOf([namespace('shop', 'enforce')]);
const policy = policyOf();

/** The webhook's verdict on one env entry of a Pod's only container. */
function judgeDenies(entry: Record<string, unknown>): boolean {
  const obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'app:1', env: [entry] }] } };
  const j = judgeCreate(obj, catalog, policy);
  return !j.verdict.allowed && j.verdict.violations.some((v) => v.rule === 'plaintext-credential' && v.path.startsWith('spec.containers[0].env[0]'));
}
const literalDenied = (name: string, value: string): boolean => judgeDenies({ name, value });
const configMapDenied = (name: string): boolean => judgeDenies({ name, valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } });

// Values assembled at run time: this file holds no credential-shaped literal.
const VALUES = [['Tr0ub4', 'dor'], ['hunter', '2x'], ['a1'], ['Zq8', '+k-w_3'], ['9', 'abc'], ['s3', 'cr3t'], ['P4ss', 'Xy']].map((p) => p.join(''));

function headNames(): string[] {
  const names: string[] = [];
  for (const t of SENSITIVE_TOKENS) names.push(t.toUpperCase(), `DB_${t.toUpperCase()}`, `app.${t}`, `my-${t}2`);
  for (const g of GLUED_SUFFIXES) names.push(`PG${g.toUpperCase()}`, `webhook${g}`);
  for (const p of SENSITIVE_PAIRS) names.push(p.join('_').toUpperCase(), `svc-${p.join('-')}`);
  return names;
}

describe('native plaintext-credential policy', () => {
  describe('shape', () => {
    const objects = credentialPolicies(config, DEFAULT_TARGET);
    const vap = objects[0] as any;

    it('is one ValidatingAdmissionPolicy with a binding per mode, failing open', () => {
      expect(vap.kind).to.equal('ValidatingAdmissionPolicy');
      expect(vap.metadata.name).to.equal(CREDENTIAL_POLICY);
      // A cost-limit error must admit: the webhook judges, the native layer is never stricter.
      expect(vap.spec.failurePolicy).to.equal('Ignore');
      expect(objects.slice(1).map((o) => [o.kind, (o as any).spec.policyName, (o as any).spec.validationActions])).to.deep.equal([
        ['ValidatingAdmissionPolicyBinding', CREDENTIAL_POLICY, ['Deny']],
        ['ValidatingAdmissionPolicyBinding', CREDENTIAL_POLICY, ['Warn']],
        ['ValidatingAdmissionPolicyBinding', CREDENTIAL_POLICY, ['Audit']],
      ]);
      expect(vap.spec.matchConstraints.namespaceSelector.matchExpressions[0].values).to.deep.equal(['cert-manager', 'extguard-system', 'kube-system']);
    });

    it('is deterministic and lands in `extguard policies`', () => {
      expect(toYaml(credentialPolicies(config, DEFAULT_TARGET))).to.equal(toYaml(objects));
      expect(nativePolicies(config).map((o) => o.metadata.name)).to.include.members(objects.map((o) => o.metadata.name));
    });

    it('messages name the rule, container and variable, never the value, and point at extguard check', () => {
      for (const v of vap.spec.validations) {
        expect(v.messageExpression).to.match(/^'\[plaintext-credential\] ' \+ /);
        expect(v.messageExpression).to.contain("'container ' + c.name");
        expect(v.messageExpression).to.contain('map(e, e.name)');
        // Outside the conditions it repeats, the message reads no value.
        let outside = v.messageExpression as string;
        for (const p of [CEL_LITERAL_UNDER_NAME, CEL_CONFIGMAP_UNDER_NAME, CEL_URL_PASSWORD, CEL_TOKEN_FORMAT]) outside = outside.replaceAll(p, 'P');
        expect(outside).not.to.match(/\be\.value\b/);
        expect(v.messageExpression).to.contain('extguard check');
      }
      expect(vap.spec.validations.map((v: any) => v.expression)).to.deep.equal([CEL_LITERAL_UNDER_NAME, CEL_CONFIGMAP_UNDER_NAME, CEL_URL_PASSWORD, CEL_TOKEN_FORMAT].map((p) => `!variables.containers.exists(c, has(c.env) && c.env.exists(e, ${p}))`));
    });
  });

  describe('word lists come from the judge tables', () => {
    it('every credential word, glued suffix and pair of the judge is a head of the name pattern', () => {
      // Behaviour, not text: each word of the table, in either case, makes a credential name.
      const stopped = (n: string): boolean => n.toLowerCase().split(/[^a-z]+/).some((w) => NAME_STOP_WORDS.includes(w));
      for (const t of SENSITIVE_TOKENS) for (const n of [t, t.toUpperCase(), `db_${t}`, `APP.${t.toUpperCase()}2`]) expect(model.name(n), n).to.equal(true);
      for (const g of GLUED_SUFFIXES) for (const n of [`PG${g.toUpperCase()}`, `webhook${g}`]) expect(model.name(n), n).to.equal(true);
      for (const p of SENSITIVE_PAIRS) for (const n of [p.join('_'), p.join('-').toUpperCase()]) expect(model.name(n), n).to.equal(!stopped(n));
      expect(CREDENTIAL_NAME.length).to.be.below(1000);
      for (const t of SENSITIVE_TOKENS) expect(re2(SELF_NAMED)).to.contain(t);
    });
    it('every action and operation word stops a name', () => {
      expect(NAME_STOP_WORDS).to.include.members([...ACTION_TOKENS, ...OPERATION_TOKENS, 'id']);
      expect(NAME_STOP_WORDS).to.deep.equal([...NAME_STOP_WORDS].sort());
    });
  });

  describe('never stricter than the webhook', () => {
    it('every credential name of the table with literal values: the model denies and so does the judge', () => {
      let denied = 0;
      for (const name of headNames()) {
        for (const value of VALUES) {
          if (!model.literalUnderName(name, value)) continue;
          denied++;
          expect(literalDenied(name, value), `${name}=<value ${VALUES.indexOf(value)}>`).to.equal(true);
        }
        if (model.configMapUnderName(name)) expect(configMapDenied(name), name).to.equal(true);
      }
      // Most pairs are denied: a value holding a credential word (self-named check) is skipped.
      expect(denied).to.be.greaterThan(headNames().length * 3);
    });

    it('leaves to the webhook what it cannot decide exactly', () => {
      const pw = VALUES[0]!;
      for (const [name, value] of [
        ['MIN_PASSWORD', pw], ['PASSWORD_FILE', pw], ['NEXT_TOKEN', pw], ['ID_TOKEN', pw], ['dbPassword', pw], ['REDIS_AUTH', pw],
        ['DB_PASSWORD', '$(OTHER)'], ['DB_PASSWORD', 'changeme'], ['DB_PASSWORD', 'your-pass1'], ['DB_PASSWORD', 'db-password1'],
        ['DB_PASSWORD', 'a'.repeat(15) + '1'], ['DB_PASSWORD', '10s'], ['DB_PASSWORD', 'x-api1'], ['DB_PASSWORD', 'abcXXXXX1'], ['WEB_SECRET', 'web1-tls'],
      ] as const) expect(model.literalUnderName(name, value), `${name}=${value}`).to.equal(false);
      expect(model.urlPassword('postgres://app@db.example.com')).to.equal(false);
      expect(model.urlPassword('postgres://app:$(PW)@db.example.com')).to.equal(false);
    });

    it('URL passwords the model denies are denied by the judge, under any name', () => {
      for (const value of VALUES) {
        const url = `postgres://app:${value}@db.example.com:5432/shop?sslmode=require`;
        if (!model.urlPassword(url)) continue;
        expect(judgeDenies({ name: 'DATABASE_URL', value: url }), `<url ${VALUES.indexOf(value)}>`).to.equal(true);
        expect(judgeDenies({ name: 'X', value: url })).to.equal(true);
      }
      expect(model.urlPassword(`redis://default:${VALUES[0]}@cache.example.com`)).to.equal(true);
    });

    // Words the judge treats specially, mixed with arbitrary ones, in every case and separator.
    const WORDS = [...SENSITIVE_TOKENS, ...GLUED_SUFFIXES, ...SENSITIVE_PAIRS.flat(), ...ACTION_TOKENS, ...OPERATION_TOKENS,
      'id', 'gpg', 'pgp', 'auth', 'authorization', 'bearer', 'key', 'file', 'ttl', 'name', 'url', 'db', 'app', 'pg', 'aws', 'azure', 'primary', 'string', 'conn'];
    const word = fc.oneof(fc.constantFrom(...WORDS), fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[0-9]{1,2}$/));
    const cased = fc.tuple(word, fc.constantFrom('upper', 'lower', 'title', 'digit')).map(([w, c]) =>
      c === 'upper' ? w.toUpperCase() : c === 'title' ? w.charAt(0).toUpperCase() + w.slice(1) : c === 'digit' ? `${w}2` : w);
    const name = fc.tuple(fc.array(fc.tuple(cased, fc.constantFrom('_', '.', '-', '__', '', ' ')), { maxLength: 4 }), cased)
      .map(([pre, last]) => pre.map(([w, s]) => w + s).join('') + last);
    const FRAGMENTS = ['your', 'here', 'HERE', 'x', 'XXXXX', 'EXAMPLE', 'sample', 'dummy', 'pk_live_', 'phc_', '-----BEGIN', '10', 's', 'ms', 'x-', '__', '_', '-', '+',
      'password', 'Password', 'key', 'tls', '-cert', 'true', 'none', 'TOKEN', 'sk-', '$', '(', ')', '.', '/', ':', '@', '%', '#', '{', '}', ' ', "'", '"', '*'];
    const value = fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.stringMatching(/^[A-Za-z0-9]{1,5}$/)), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));

    it('property: a literal the model denies under a name, the judge denies', () => {
      fc.assert(fc.property(name, value, (n, v) => {
        if (model.literalUnderName(n, v)) expect(literalDenied(n, v), `${n}=${v}`).to.equal(true);
      }), fuzzParams(3000));
    });

    it('property: a long literal (16 to 64 characters) the model denies under a name, the judge denies; filler shapes are left to it', () => {
      const FILLER_PARTS = ['abababab', 'abcabcabc', '12345678', 'qqqqqqqq', 'a1a1a1a1', 'AAAAAAAA', 'xxxxx', '00000', 'Random', 'HERE', 'abcdabcd'];
      const long = fc.array(fc.oneof(fc.constantFrom(...FILLER_PARTS), fc.stringMatching(/^[A-Za-z0-9_+-]{1,9}$/)), { minLength: 3, maxLength: 12 }).map((a) => a.join(''));
      let denied = 0;
      fc.assert(fc.property(fc.constantFrom('DB_PASSWORD', 'API_KEY', 'PGPASSWORD', 'client_secret', 'AUTH_TOKEN'), long, (n, v) => {
        if (!model.literalUnderName(n, v)) return;
        if (v.length >= 16) denied++;
        expect(literalDenied(n, v), `${n}=${v}`).to.equal(true);
      }), fuzzParams(3000));
      expect(denied).to.be.greaterThan(100);
    });

    it('property: a name the model denies from a ConfigMap, the judge denies', () => {
      fc.assert(fc.property(name, (n) => {
        if (model.configMapUnderName(n)) expect(configMapDenied(n), n).to.equal(true);
      }), fuzzParams(1500));
    });

    it('property: a URL password the model denies, the judge denies', () => {
      const url = fc.tuple(fc.constantFrom('postgres', 'https', 'redis', 'amqp', 'x+y'), value, value, fc.constantFrom('db.example.com', 'db:5432', 'h', 'a.b:1/p?q=1')).map(([s, u, p, h]) => `${s}://${u}:${p}@${h}`);
      fc.assert(fc.property(url, name, (u, n) => {
        if (model.urlPassword(u)) expect(judgeDenies({ name: n, value: u }), `${n}=${u}`).to.equal(true);
      }), fuzzParams(2000));
    });
  });

  describe('token formats', () => {
    const SAMPLES = 40;
    /** Placeholder shapes written over part of a token, so that every part of the filler test is met. */
    const FILLERS = [
      'xxxxx', '00000', '.....', 'bbbbbbbb', 'AAAAAAAAAAAA', '01234567', 'abcdefgh', 'ababababababab', 'abcabcabcabcabc', 'abcdabcdabcdabcd',
      'abbabbabbabbabbabb', 'aabbaabbaabbaabbaa', 'Example', 'your', 'HERE', 'Random', 'q1q1q1q1q1q1q1q1', 'zz9zz9zz9zz9zz9z',
    ];
    const overwrite = (token: string, at: number, text: string): string => token.slice(0, at) + text + token.slice(at + text.length);
    const variants = (token: string): string[] => [token, ...FILLERS.flatMap((f) => [Math.floor(token.length / 3), token.length - f.length].filter((at) => at >= 4 && at + f.length <= token.length).map((at) => overwrite(token, at, f)))];
    // Few distinct characters: the format's prefix and one repeated pair.
    const fewDistinct = (token: string): string => token.slice(0, 5) + 'a1'.repeat(token.length).slice(0, token.length - 5);

    it('every native format reads real-looking tokens, and each one the model denies the judge denies under any name', () => {
      let denied = 0;
      const missed: string[] = [];
      for (const { what, source } of NATIVE_FORMAT_SOURCES) {
        let formatDenied = 0;
        for (const token of fc.sample(fc.stringMatching(new RegExp(`^${source}$`)), { numRuns: SAMPLES, seed: 7 })) {
          for (const v of [...variants(token), fewDistinct(token)]) {
            if (!model.tokenFormat(v)) continue;
            formatDenied++;
            denied++;
            expect(findFormat(v), `${what}: the judge reads the whole value as a token`).to.not.equal(undefined);
            for (const name of ['SETTING', 'X', 'appConfig', 'EXAMPLE_TOKEN']) expect(literalDenied(name, v), `${what} under ${name} (value not shown)`).to.equal(true);
          }
        }
        if (formatDenied === 0) missed.push(what);
      }
      expect(denied).to.be.greaterThan(NATIVE_FORMATS.length * 10);
      // Formats whose hints do not start the token have no cheap head: left to the webhook.
      expect(missed).to.deep.equal(['DigitalOcean token']);
    });

    it('leaves every filler shape the judge drops to the webhook', () => {
      const { source } = NATIVE_FORMAT_SOURCES.find((f) => f.what === 'AWS access key ID')!;
      const token = fc.sample(fc.stringMatching(new RegExp(`^${source}$`)), { numRuns: 1, seed: 3 })[0]!;
      for (const v of variants(token).slice(1)) if (isFiller(v)) expect(model.tokenFormat(v), 'a filler variant').to.equal(false);
      expect(model.tokenFormat(fewDistinct(token))).to.equal(false);
    });

    it('stays out of ordinary values: settings, paths, URLs, hashes, base64 of text', () => {
      for (const v of ['SKIP_MIGRATIONS_ON_START', 'ghcr.io/org/app:1.2.3', 'https://api.example.com/v1', 'sha256:' + '0'.repeat(64), 'dGhpcyBpcyBub3QgYSB0b2tlbg==', 'AKIAtoo-short', 'gho_short']) {
        expect(model.tokenFormat(v), v).to.equal(false);
      }
    });
  });
});
