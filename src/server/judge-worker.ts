// A judge worker: a thread that runs the pure judge away from the event loop serving HTTP.
// The pool (judge-pool.ts) sends it the policy and the catalog when they change, then one
// review at a time; it answers with the serialised AdmissionReview and a summary for logs and
// metrics. If a review takes too long the pool terminates this thread and starts another, so a
// slow or stuck judgement costs one answer, never /healthz or the other reviews.

import { parentPort } from 'node:worker_threads';
import { handleAdmission, summarize } from '../admission/handler.ts';
import { errored, parseReview, ReviewError, type AdmissionRequest } from '../admission/review.ts';
import { applyCatalogUpdate, CatalogIndex } from '../catalog/snapshot.ts';
import { compilePolicy, type Policy } from '../policy/judge.ts';
import type { FromWorker, RequestFields, ReviewJob, ToWorker } from './judge-protocol.ts';

if (!parentPort) throw new Error('judge-worker.ts runs as a worker thread (see judge-pool.ts)');
const port = parentPort;

// The pool sends the policy before a worker's first review (judge-pool.ts): no default here,
// whose config.ts import would load ajv and the YAML parser into every worker.
let policy: Policy | undefined;
let catalog = new CatalogIndex();

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'policy': policy = compilePolicy(m.config); break;
    case 'catalog': catalog = applyCatalogUpdate(catalog, m.update); break;
    case 'review': port.postMessage(safeReview(m)); break;
  }
});

function safeReview(job: ReviewJob): FromWorker {
  try {
    return review(job);
  } catch (err) {
    // Name and place only: an error message can quote the input.
    const e = err as Error;
    return { type: 'failed', id: job.id, error: `${e?.name ?? 'Error'} ${e?.stack?.split('\n')[1]?.trim() ?? ''}`.trim() };
  }
}

function review(job: ReviewJob): FromWorker {
  // Parsed here, once: the event loop hands the text over unread (parsing it there as well
  // cost as much as the floor's whole request on an 8 KB Deployment), and bad input is
  // answered from here like any other review.
  let request: AdmissionRequest;
  try {
    request = parseReview(job.text);
  } catch (err) {
    if (!(err instanceof ReviewError)) throw err;
    return { type: 'rejected', id: job.id, status: err.status, message: err.message, ...(err.uid ? { review: JSON.stringify(errored(err.uid, err.status, err.message)) } : {}) };
  }
  if (!policy) throw new Error('judge worker: a review before any policy');
  const handled = handleAdmission(job.endpoint, request, catalog, policy);
  const summary = summarize(handled, policy);
  return { type: 'answer', id: job.id, review: JSON.stringify(handled.review), request: requestFields(request), ...(summary ? { summary } : {}), ...(handled.unjudged ? { unjudged: handled.unjudged } : {}) };
}

function requestFields(r: AdmissionRequest): RequestFields {
  return {
    uid: r.uid,
    operation: r.operation,
    dryRun: r.dryRun === true,
    ...(r.kind?.kind !== undefined ? { kind: r.kind.kind } : {}),
    ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
    ...(r.name !== undefined ? { name: r.name } : {}),
  };
}
