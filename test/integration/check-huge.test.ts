// Issue 24: a 50 MB file of about 84k documents. `check` reads and judges it document by
// document and writes text and JSON result by result, so its memory stays bounded (the issue
// measured about 2 GB). The input is generated here, not committed.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin } from '../helpers/process.ts';

const SIZE = 50 * 1024 * 1024;
/** Generous, against 2 GB before (docs/cli.md has the figures measured). */
const RSS_BOUND_MB = 450;
const PLANTED = 'Xq7-hunter2-Zt9';

function deployment(i: number, env: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: order-service-${i}
  namespace: shop
  labels: {app: order-service, tier: backend}
  annotations: {owner: team-orders}
spec:
  replicas: 2
  selector: {matchLabels: {app: order-service}}
  template:
    metadata:
      labels: {app: order-service}
    spec:
      containers:
        - name: app
          image: registry.example.internal/shop/order-service:1.4.${i % 100}
          env:
            - name: LOG_LEVEL
              value: info
${env}`;
}

describe('check on a 50 MB input (built binary)', function () {
  this.timeout(600000);
  let dir: string;
  let documents = 0;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'extguard-huge-'));
    const parts: string[] = [];
    let size = 0;
    const safe = '            - name: DB_PASSWORD\n              valueFrom: {secretKeyRef: {name: db, key: password}}\n';
    while (size < SIZE) {
      // One plaintext password in the middle: the verdict must still be found among the rest.
      const env = documents === 42000 ? `            - name: DB_PASSWORD\n              value: ${PLANTED}\n` : safe;
      const d = deployment(documents++, env);
      parts.push(d);
      size += d.length + 4;
    }
    writeFileSync(join(dir, 'huge.yaml'), parts.join('---\n'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  /** Runs check with stdout to a file; the child's peak RSS from its own resource usage. */
  const check = (format: string) => {
    const out = join(dir, `out.${format}`);
    const rssFile = join(dir, 'rss');
    const preload = `data:text/javascript,${encodeURIComponent(`import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));`)}`;
    const fd = openSync(out, 'w');
    const started = Date.now();
    let r;
    try {
      r = spawnSync(process.execPath, ['--import', preload, bin, 'check', '--format', format, join(dir, 'huge.yaml')], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 540000 });
    } finally {
      closeSync(fd);
    }
    const seconds = (Date.now() - started) / 1000;
    const rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    console.log(`      ${documents} documents, --format ${format}: ${seconds.toFixed(1)} s, peak RSS ${rssMb.toFixed(0)} MB`);
    return { code: r.status, stderr: r.stderr, out, rssMb };
  };

  it('text: every object judged, the planted password denied (exit 1), peak RSS bounded', () => {
    expect(documents).to.be.greaterThan(80000);
    const r = check('text');
    expect(r.code, r.stderr).to.equal(1);
    const text = readFileSync(r.out, 'utf8');
    expect(text).to.match(/^DENIED  Deployment shop\/order-service-42000 \(mode enforce\) in .*huge\.yaml:\d+$/m);
    expect(text).to.contain(`${documents} object(s): 1 denied`);
    expect(text).to.not.contain(PLANTED);
    expect(r.rssMb).to.be.below(RSS_BOUND_MB);
  });

  it('json: the same verdict, a well-formed document, peak RSS bounded', () => {
    const r = check('json');
    expect(r.code, r.stderr).to.equal(1);
    const report = JSON.parse(readFileSync(r.out, 'utf8'));
    expect(report.summary).to.deep.equal({ objects: documents, denied: 1, warned: 0, mutated: 0 });
    expect(report.results).to.have.length(documents);
    expect(report.results[42000]).to.include({ name: 'order-service-42000', allowed: false });
    expect(report.files).to.equal(1);
    expect(r.rssMb).to.be.below(RSS_BOUND_MB);
  });
});
