#!/usr/bin/env node
// `node sarif-to-codequality.js extguard.sarif > gl-code-quality-report.json`: the findings of
// an `extguard check --format sarif` log as the subset of Code Climate JSON that GitLab's
// merge request Code Quality widget reads. Node built-ins only, and no syntax newer than Node
// 20, so it runs under whatever Node the CI image has (no jq needed).
//
// Results without a file (from `check --cluster`) cannot be placed on a line and are left out.
// The fingerprint hashes rule, file, object and field, not the line: an alert keeps its
// identity when lines move.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: sarif-to-codequality.js <extguard.sarif>\n');
  process.exit(2);
}
let log;
try {
  log = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  process.stderr.write(`sarif-to-codequality: ${file}: ${err.message}\n`);
  process.exit(2);
}
const issues = [];
for (const run of log.runs ?? []) {
  for (const r of run.results ?? []) {
    const physical = r.locations?.[0]?.physicalLocation;
    if (!physical?.artifactLocation?.uri) continue;
    const p = r.properties ?? {};
    const path = physical.artifactLocation.uri;
    issues.push({
      type: 'issue',
      description: r.message?.text ?? r.ruleId,
      check_name: r.ruleId,
      fingerprint: createHash('sha256').update([r.ruleId, path, p.kind, p.namespace, p.name, p.field].join('\n')).digest('hex'),
      severity: r.level === 'error' ? 'critical' : 'minor',
      location: { path, lines: { begin: physical.region?.startLine ?? 1 } },
    });
  }
}
process.stdout.write(`${JSON.stringify(issues, null, 2)}\n`);
