// Issue 12: `extguard check --format sarif` and `--format policyreport` from the built binary,
// on a fixture holding a denied Deployment (a planted password, enforce), a warned Job (an
// undeclared host, warn mode from --declarations), a clean object inside a `kind: List`, and a
// file that is not valid YAML (and holds no apiVersion/kind, so it is reported without failing
// the run). The SARIF is validated against the official SARIF 2.1.0 schema.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { checkManifests } from '../../src/cli/report.ts';
import { buildSarif } from '../../src/cli/sarif.ts';
import { compilePolicy } from '../../src/policy/judge.ts';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { readManifestText } from '../../src/catalog/files.ts';
import { bin, root } from '../helpers/process.ts';
import { compileSarifSchema, officialSarifSchema } from './sarif-schema.ts';

const fixture = join(root, 'test', 'fixtures', 'sarif');
/** The value planted in manifests/shop.yaml: no output may carry it. */
const PLANTED = 'Pl4nted-Cred-7QxZ9vK2mW';
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

const run = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [bin, 'check', ...args], { cwd: fixture, encoding: 'utf8', input, timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('extguard check --format sarif (built binary, official SARIF 2.1.0 schema)', function () {
  this.timeout(180000);
  let validate: ValidateFunction;

  before(function () {
    const schema = officialSarifSchema();
    if ('missing' in schema) {
      if (process.env['CI'] === 'true') throw new Error(`${schema.missing}; CI=true, so the SARIF schema tests cannot be skipped`);
      this.skip();
    }
    validate = compileSarifSchema(schema.text);
  });

  const valid = (log: unknown): void => {
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).to.equal(true);
  };

  it('the schema check is not a formality: a log missing a result message is rejected', () => {
    const { stdout } = run(['--format', 'sarif', '--declarations', 'declarations.yaml', 'manifests']);
    const log = JSON.parse(stdout);
    delete log.runs[0].results[0].message;
    expect(validate(log)).to.equal(false);
  });

  it('one result per violation at the line of its field: error where denied, warning in warn mode; exit 1; no credential value', () => {
    const r = run(['--format', 'sarif', '--declarations', 'declarations.yaml', 'manifests']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('');
    expect(r.stdout).not.to.contain(PLANTED);
    const log = JSON.parse(r.stdout);
    valid(log);
    const sarifRun = log.runs[0];
    expect(sarifRun.tool.driver).to.include({ name: 'extguard', version });
    expect(sarifRun.tool.driver.rules.map((d: any) => d.id)).to.deep.equal(['undeclared-external-host', 'plaintext-credential']);
    const summary = sarifRun.results.map((x: any) => {
      const loc = x.locations[0].physicalLocation;
      return `${x.ruleId} ${x.level} ${loc.artifactLocation.uriBaseId}/${loc.artifactLocation.uri}:${loc.region.startLine}`;
    });
    expect(summary).to.deep.equal([
      // "https://reports.partner-example.com/v2/upload", args[1] of the JSON file.
      'undeclared-external-host warning %SRCROOT%/manifests/legacy.json:13',
      // `value: "…"` of DB_PASSWORD, env[1].
      'plaintext-credential error %SRCROOT%/manifests/shop.yaml:19',
    ]);
    expect(sarifRun.results[1].message.text).to.match(/^Deployment shop\/api: container "api" has a plaintext credential at spec\.template\.spec\.containers\[0\]\.env\[1\]\.value/);
    expect(sarifRun.results[1].locations[0].logicalLocations).to.deep.equal([{ name: 'api', fullyQualifiedName: 'Deployment shop/api' }]);
    expect(sarifRun.results.every((x: any) => sarifRun.tool.driver.rules[x.ruleIndex].id === x.ruleId)).to.equal(true);
    // The file that is not valid YAML: a notification of the run, not a result.
    expect(sarifRun.invocations).to.have.length(1);
    expect(sarifRun.invocations[0].executionSuccessful).to.equal(true);
    const [note] = sarifRun.invocations[0].toolExecutionNotifications;
    expect(note.level).to.equal('error');
    expect(note.message.text).to.match(/^not valid YAML/);
    expect(note.locations[0].physicalLocation).to.deep.equal({ artifactLocation: { uri: 'manifests/broken.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 4, startColumn: 1 } });
    expect(sarifRun.originalUriBaseIds['%SRCROOT%'].uri).to.match(/^file:\/\/\/.*\/test\/fixtures\/sarif\/$/);
  });

  it('stdin: the artifact is "stdin" and lines count from the start of the text read', () => {
    const r = run(['--format', 'sarif', '-'], readFileSync(join(fixture, 'manifests', 'shop.yaml'), 'utf8'));
    expect(r.code).to.equal(1);
    expect(r.stdout).not.to.contain(PLANTED);
    const log = JSON.parse(r.stdout);
    valid(log);
    expect(log.runs[0].results.map((x: any) => x.locations[0].physicalLocation)).to.deep.equal([
      { artifactLocation: { uri: 'stdin' }, region: { startLine: 19, startColumn: 15 } },
    ]);
  });

  it('an unusable run (a named file that is not YAML) is still a valid log: executionSuccessful false, exit 2, the reason on stderr', () => {
    const r = run(['--format', 'sarif', 'manifests/broken.yaml']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^extguard: manifests\/broken\.yaml:4: not valid YAML/);
    const log = JSON.parse(r.stdout);
    valid(log);
    expect(log.runs[0].results).to.deep.equal([]);
    expect(log.runs[0].invocations[0].executionSuccessful).to.equal(false);
    // The error is listed once, with its place, not again as a bare reason.
    expect(log.runs[0].invocations[0].toolExecutionNotifications.map((n: any) => n.message.text)).to.have.length(1);
  });

  it('what the CLI cannot show here is valid too: objects read from the cluster (no file), files outside the working directory, names to escape', () => {
    const text = readFileSync(join(fixture, 'manifests', 'shop.yaml'), 'utf8');
    const policy = compilePolicy(DEFAULT_CONFIG);
    const fromCluster = readManifestText(text, 'x').documents.map(({ object }) => ({ source: 'cluster/shop/api', object }));
    const cluster = buildSarif(checkManifests(fromCluster, [], policy, true), { version, cwd: fixture, textOf: () => undefined });
    valid(cluster);
    expect(cluster['runs']).to.have.nested.property('[0].results[0].locations[0]').that.deep.equals({ logicalLocations: [{ name: 'api', fullyQualifiedName: 'Deployment shop/api' }] });
    for (const file of ['/elsewhere/deploy/shop.yaml', 'deploy dir/#1 100%.yaml']) {
      const log = buildSarif(checkManifests(readManifestText(text, file).documents, [], policy), { version, cwd: '/work/repo', textOf: () => text });
      valid(log);
      expect(JSON.stringify(log)).not.to.contain(PLANTED);
    }
  });
});

describe('extguard check --format policyreport on files (built binary)', function () {
  this.timeout(30000);

  it('one OpenReports Report per namespace: fail for the denied object, warn in warn mode, pass for the clean one; exit code as for text', () => {
    const r = run(['--format', 'policyreport', '--declarations', 'declarations.yaml', 'manifests']);
    expect(r.code).to.equal(1);
    expect(r.stdout).not.to.contain(PLANTED);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).to.deep.equal([
      'openreports.io/v1alpha1 Report legacy/extguard',
      'openreports.io/v1alpha1 Report shop/extguard',
    ]);
    const [legacy, shop] = docs;
    expect(legacy.summary).to.deep.equal({ pass: 0, fail: 0, warn: 1, error: 0, skip: 0 });
    expect(shop.summary).to.deep.equal({ pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });
    expect(shop.results.map((x: any) => `${x.result} ${x.rule ?? '-'} ${x.resources[0].kind}/${x.resources[0].name}`)).to.deep.equal([
      'fail plaintext-credential Deployment/api',
      'pass - Deployment/clean',
    ]);
  });
});
