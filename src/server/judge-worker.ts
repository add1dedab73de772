// A judge worker: a thread that runs the pure judge away from the event loop serving HTTP.
// The pool (judge-pool.ts) sends it the policy and the catalog when they change, then one
// review at a time; it answers with the serialised AdmissionReview and a summary for logs and
// metrics. If a review takes too long the pool terminates this thread and starts another, so a
// slow or stuck judgement costs one answer, never /healthz or the other reviews.

import { parentPort } from 'node:worker_threads';
import { handleAdmission, summarize } from '../admission/handler.ts';
import { decodeReview } from '../admission/review.ts';
import { applyCatalogUpdate, CatalogIndex } from '../catalog/snapshot.ts';
import { DEFAULT_CONFIG } from '../config/config.ts';
import { compilePolicy, type Policy } from '../policy/judge.ts';
import type { FromWorker, ReviewJob, ToWorker } from './judge-protocol.ts';

if (!parentPort) throw new Error('judge-worker.ts runs as a worker thread (see judge-pool.ts)');
const port = parentPort;

let policy: Policy = compilePolicy(DEFAULT_CONFIG);
let catalog = new CatalogIndex();

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'policy': policy = compilePolicy(m.config); break;
    case 'catalog': catalog = applyCatalogUpdate(catalog, m.update); break;
    case 'review': port.postMessage(review(m)); break;
  }
});

function review(job: ReviewJob): FromWorker {
  try {
    // The edge has already parsed and decoded this text once to answer bad input itself, so
    // neither step can fail here; the judgement is what may be slow.
    const handled = handleAdmission(job.endpoint, decodeReview(JSON.parse(job.text)), catalog, policy);
    const summary = summarize(handled);
    return { type: 'answer', id: job.id, review: JSON.stringify(handled.review), ...(summary ? { summary } : {}), ...(handled.unjudged ? { unjudged: handled.unjudged } : {}) };
  } catch (err) {
    // Name and place only: an error message can quote the input (JSON.parse does).
    const e = err as Error;
    return { type: 'failed', id: job.id, error: `${e?.name ?? 'Error'} ${e?.stack?.split('\n')[1]?.trim() ?? ''}`.trim() };
  }
}
