// The floor `npm run bench` compares extguard against: the least an HTTPS admission webhook in
// Node can do per request. TLS, read the body, JSON.parse it, JSON.stringify a fixed answer
// with the request's uid. Nothing else: no framework, no judgement.
// Usage: node bench/floor.js CERT KEY  (prints {"port":N} once listening)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const server = createServer({ cert: readFileSync(process.argv[2]), key: readFileSync(process.argv[3]) }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const review = JSON.parse(Buffer.concat(chunks).toString());
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
