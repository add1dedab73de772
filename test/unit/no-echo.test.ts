// No output carries a credential: a password shaped like a host, an address or a URL, planted
// in every place the project knows (test/helpers/planted.ts), appears in none of what extguard
// writes, in-process: the AdmissionReview of /validate in every mode (message, warnings, audit
// annotations) and of /mutate, the summary the server logs and counts in /metrics, and
// `check` in text, JSON, SARIF and policy-report formats; `mutate` adds it nowhere new.
// The integration test (test/integration/no-echo.test.ts) runs the same places through the
// real server and CLI.

import { expect } from 'chai';
import { parseAllDocuments, stringify } from 'yaml';
import { handleAdmission, summarize } from '../../src/admission/handler.ts';
import { readManifestText } from '../../src/catalog/files.ts';
import { buildReports, formatReports } from '../../src/cli/policyreport.ts';
import { checkManifests, formatText, mutateManifests } from '../../src/cli/report.ts';
import { buildSarif } from '../../src/cli/sarif.ts';
import { echoes } from '../helpers/fuzz.ts';
import { PLACES, plantedValue, SHAPES, type Place, type Shape } from '../helpers/planted.ts';
import { catalogOf, policyOf } from '../helpers/policy.ts';

const policy = policyOf();

function expectNoEcho(channel: string, text: string, secret: string): void {
  expect(echoes(text, secret), `${channel} echoes the planted credential`).to.equal(false);
}

const occurrences = (text: string, s: string): number => text.split(s).length - 1;

/** Every channel, for one place and shape. */
function outputs(place: Place, shape: Shape, n: number): { channel: string; text: string }[] {
  const secret = plantedValue(shape, n);
  const objects = place.objects(secret);
  const yamlText = objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  const documents = readManifestText(yamlText, 'planted.yaml').documents;
  const run = checkManifests(documents, [], policy, true);
  const out: { channel: string; text: string }[] = [
    { channel: 'check --format text', text: formatText(run) },
    { channel: 'check --format json', text: JSON.stringify(run.report) },
    { channel: 'check --format sarif', text: JSON.stringify(buildSarif(run, { version: '0.0.0', cwd: '/repo', textOf: () => yamlText })) },
    { channel: 'check --format policyreport', text: formatReports(buildReports(run, new Date(0))) },
  ];
  const mutated = mutateManifests(documents, [], policy, true);
  out.push({ channel: 'mutate notes', text: mutated.notes.join('\n') });
  const catalogs = { enforce: catalogOf([]), warn: catalogOf([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'extguard.io/mode': 'warn' } } }]), audit: catalogOf([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'extguard.io/mode': 'audit' } } }]) };
  for (const [mode, catalog] of Object.entries(catalogs)) {
    for (const object of objects) {
      const kind = (object as { kind: string }).kind;
      for (const endpoint of ['validate', 'mutate'] as const) {
        const request = { uid: 'u', kind: { group: '', version: 'v1', kind }, namespace: 'shop', name: 'planted', operation: 'CREATE', object, userInfo: { username: 'tenant', groups: [] } };
        const handled = handleAdmission(endpoint, request, catalog, policy);
        out.push({ channel: `/${endpoint} (${mode}) review`, text: JSON.stringify(handled.review) });
        out.push({ channel: `/${endpoint} (${mode}) log and metrics summary`, text: JSON.stringify(summarize(handled, policy) ?? {}) });
      }
    }
  }
  return out;
}

describe('no output echoes a credential shaped like a host, an address or a URL, in any place', () => {
  PLACES.forEach((place, n) => {
    for (const shape of SHAPES) {
      const title = `${place.name} (${shape})`;
      if (place.knownEcho?.shapes.includes(shape)) {
        it.skip(`${title}: known gap, ${place.knownEcho.why}`);
        continue;
      }
      it(title, () => {
        const secret = plantedValue(shape, n);
        for (const { channel, text } of outputs(place, shape, n)) expectNoEcho(channel, text, secret);
      });
    }
    if (place.reported) {
      const shapes = place.reportedShapes ?? SHAPES;
      it(`${place.name}: reported at ${place.reported} (${shapes.join(', ')})`, () => {
        for (const shape of shapes) {
          const documents = readManifestText(place.objects(plantedValue(shape, n)).map((o) => stringify(o)).join('---\n'), 'p.yaml').documents;
          const paths = checkManifests(documents, [], policy, true).report.results.flatMap((r) => r.violations.map((v) => v.path));
          expect(paths.some((p) => p.startsWith(place.reported!)), `${shape}: ${paths.join(', ')}`).to.equal(true);
        }
      });
    }
  });

  it('mutate adds no planted credential: the output holds each exactly as often as the input', () => {
    PLACES.forEach((place, n) => {
      for (const shape of SHAPES) {
        const secret = plantedValue(shape, n);
        const objects = place.objects(secret);
        const documents = objects.map((object, i) => ({ source: `p#${i}`, object }));
        const { yaml } = mutateManifests(documents, [], policy, true);
        const back = parseAllDocuments(yaml).map((d) => d.toJS());
        expect(occurrences(JSON.stringify(back), secret), `${place.name} (${shape})`).to.equal(occurrences(JSON.stringify(objects), secret));
      }
    });
  });

  it('SARIF points at a line and a column, and carries no snippet of the source', () => {
    const secret = plantedValue('host', 0);
    const yamlText = stringify(PLACES[0]!.objects(secret)[0]);
    const run = checkManifests(readManifestText(yamlText, 'p.yaml').documents, [], policy, true);
    const log = JSON.stringify(buildSarif(run, { version: '0.0.0', cwd: '/repo', textOf: () => yamlText }));
    expect(log).to.contain('"region":{"startLine"');
    for (const key of ['snippet', 'contextRegion', 'codeFlows', 'fixes']) expect(log).not.to.contain(`"${key}"`);
  });
});
