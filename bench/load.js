// The load generator `npm run bench` runs on its own core (taskset): POSTs one body over
// keep-alive HTTPS connections for a fixed time and prints one JSON line with the count of
// answers and their latency percentiles. Every answer must be a 200 AdmissionReview, or the
// run fails: a benchmark of error answers measures nothing.
// Usage: node bench/load.js PORT PATH BODY_FILE CA_FILE CONNECTIONS SECONDS
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const [port, path, bodyFile, caFile, conns, seconds] = process.argv.slice(2);
const body = readFileSync(bodyFile);
const connections = Number(conns);
const agent = new Agent({ keepAlive: true, maxSockets: connections, ca: readFileSync(caFile), servername: 'localhost' });
const headers = { 'content-type': 'application/json', 'content-length': body.length };
const latencies = [];

function one() {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port: Number(port), path, method: 'POST', agent, headers }, (res) => {
      let size = 0;
      res.on('data', (c) => { size += c.length; });
      res.on('end', () => {
        if (res.statusCode !== 200 || size === 0) reject(new Error(`HTTP ${res.statusCode}`));
        else { latencies.push(Number(process.hrtime.bigint() - start) / 1e3); resolve(); }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const end = Date.now() + Number(seconds) * 1000;
const loop = async () => { while (Date.now() < end) await one(); };
try {
  await Promise.all(Array.from({ length: connections }, loop));
} catch (err) {
  console.log(JSON.stringify({ error: String(err) }));
  process.exit(1);
}
agent.destroy();
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
console.log(JSON.stringify({ requests: latencies.length, p50Us: Math.round(pct(50)), p99Us: Math.round(pct(99)) }));
