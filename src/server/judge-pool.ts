// Runs judgements on worker threads with a deadline the event loop cannot miss.
//
// The rules are linear-time, but the webhook runs with failurePolicy: Fail: if the thread that
// serves HTTP is busy, /healthz, /readyz and every other review wait, and every deploy in the
// cluster waits with them. So the event loop only reads a request and writes its answer (all
// linear and bounded by the body limit) and hands the text to a worker. Each job has a deadline
// counted from its arrival, queue time included. When it passes, the job is answered without a
// judgement (see `unjudged` in admission/handler.ts) and, if a worker holds it, that worker is
// terminated and replaced: a stuck judgement costs one answer, not the replica.

import { Worker } from 'node:worker_threads';
import type { Endpoint, ReviewSummary, UnjudgedReason } from '../admission/handler.ts';
import { catalogUpdate, type CatalogSnapshot } from '../catalog/snapshot.ts';
import type { Logger } from '../log.ts';
import type { Policy } from '../policy/judge.ts';
import type { FromWorker, RequestFields, ToWorker } from './judge-protocol.ts';

export interface JudgePoolOptions {
  /** Worker threads. */
  size: number;
  /** Time from arrival to answer, queue included. */
  deadlineMs: number;
  /** Jobs waiting for a worker, and their total size: beyond either a job is answered "overloaded". */
  maxQueued: number;
  maxQueuedChars: number;
  /** Where the current policy and catalog come from; read when a job starts, not when it arrives. */
  state(): { policy: Policy; catalog: CatalogSnapshot };
  logger: Logger;
  /** Called when a worker is replaced (metrics). */
  onRestart?(reason: UnjudgedReason): void;
  /** The worker script; tests substitute one that can be made to hang. */
  workerUrl?: URL;
  /** Old-generation heap limit per worker, MiB (DEFAULT_WORKER_HEAP_MB). */
  heapMb?: number;
}

export type JudgeResult =
  | { kind: 'answer'; review: string; request: RequestFields; summary?: ReviewSummary; unjudged?: UnjudgedReason }
  | { kind: 'rejected'; status: number; message: string; review?: string }
  | { kind: 'unjudged'; reason: UnjudgedReason };

interface Job {
  id: number;
  endpoint: Endpoint;
  text: string;
  done: boolean;
  timer: NodeJS.Timeout;
  resolve(result: JudgeResult): void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  /** What this worker was last sent, compared by identity: both are immutable snapshots. */
  policy?: Policy;
  catalog?: CatalogSnapshot;
}

// Type stripping runs the .ts entry in tests; the build runs the .js next to this file.
const DEFAULT_WORKER = new URL(import.meta.url.endsWith('.ts') ? './judge-worker.ts' : './judge-worker.js', import.meta.url);
/** Old-generation heap per judge worker: a 6 MiB review parses to well under this. */
export const DEFAULT_WORKER_HEAP_MB = 80;
/** A worker that dies on start would otherwise be respawned in a tight loop. */
const RESPAWN_BACKOFF_MS = 1000;

export class JudgePool {
  private readonly opts: JudgePoolOptions;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private queuedChars = 0;
  private nextId = 1;
  private closed = false;
  private crashesInARow = 0;

  constructor(opts: JudgePoolOptions) {
    this.opts = opts;
    for (let i = 0; i < opts.size; i++) this.slots.push(this.spawn());
  }

  /** Judges one review. Always resolves, by the deadline at the latest. */
  run(endpoint: Endpoint, text: string): Promise<JudgeResult> {
    return new Promise((resolve) => {
      if (this.closed) { resolve({ kind: 'unjudged', reason: 'overloaded' }); return; }
      const idle = this.slots.some((s) => !s.job);
      if (!idle && (this.queue.length >= this.opts.maxQueued || this.queuedChars + text.length > this.opts.maxQueuedChars)) {
        resolve({ kind: 'unjudged', reason: 'overloaded' });
        return;
      }
      const job: Job = {
        id: this.nextId++,
        endpoint,
        text,
        done: false,
        resolve: (r) => { if (!job.done) { job.done = true; clearTimeout(job.timer); resolve(r); } },
        timer: setTimeout(() => this.expire(job), this.opts.deadlineMs),
      };
      this.queue.push(job);
      this.queuedChars += text.length;
      this.dispatch();
    });
  }

  /** Stops every worker; jobs still waiting are answered as overloaded. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ kind: 'unjudged', reason: 'overloaded' });
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    // Its own heap limit: a judgement that allocates without bound ends this thread (answered
    // as crashed), not the process.
    const worker = new Worker(this.opts.workerUrl ?? DEFAULT_WORKER, { resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb ?? DEFAULT_WORKER_HEAP_MB } });
    const slot: Slot = { worker };
    worker.on('message', (m: FromWorker) => this.answered(slot, m));
    // An uncaught error ends the thread; 'exit' follows and replaces it.
    worker.on('error', (err) => this.opts.logger.error({ err: err.name }, 'judge worker failed'));
    worker.on('exit', () => this.exited(slot));
    worker.unref();
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      this.queuedChars -= job.text.length;
      const { policy, catalog } = this.opts.state();
      if (slot.policy !== policy) { this.post(slot, { type: 'policy', config: policy.config }); slot.policy = policy; }
      if (slot.catalog !== catalog) { this.post(slot, { type: 'catalog', update: catalogUpdate(slot.catalog, catalog) }); slot.catalog = catalog; }
      slot.job = job;
      this.post(slot, { type: 'review', id: job.id, endpoint: job.endpoint, text: job.text });
    }
  }

  private post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  private answered(slot: Slot, m: FromWorker): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    slot.job = undefined;
    this.crashesInARow = 0;
    if (m.type === 'answer') {
      job.resolve({ kind: 'answer', review: m.review, request: m.request, ...(m.summary ? { summary: m.summary } : {}), ...(m.unjudged ? { unjudged: m.unjudged } : {}) });
    } else if (m.type === 'rejected') {
      job.resolve({ kind: 'rejected', status: m.status, message: m.message, ...(m.review ? { review: m.review } : {}) });
    } else {
      this.opts.logger.error({ error: m.error }, 'judge failed on a review');
      job.resolve({ kind: 'unjudged', reason: 'crashed' });
    }
    this.dispatch();
  }

  private expire(job: Job): void {
    if (job.done) return;
    job.resolve({ kind: 'unjudged', reason: 'timeout' });
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.queuedChars -= job.text.length;
      return;
    }
    // The thread may be stuck for good: replace it rather than wait for it.
    const slot = this.slots.find((s) => s.job === job);
    if (slot) this.replace(slot, 'timeout');
  }

  private exited(slot: Slot): void {
    if (this.closed || !this.slots.includes(slot)) return;
    this.crashesInARow++;
    slot.job?.resolve({ kind: 'unjudged', reason: 'crashed' });
    this.replace(slot, 'crashed');
  }

  private replace(slot: Slot, reason: UnjudgedReason): void {
    const i = this.slots.indexOf(slot);
    if (i < 0 || this.closed) return;
    // Out of the pool first, so nothing more is sent to it and its 'exit' is not taken for a crash.
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    this.opts.onRestart?.(reason);
    this.opts.logger.warn({ reason }, 'judge worker replaced');
    const respawn = (): void => {
      if (this.closed) return;
      this.slots.push(this.spawn());
      this.dispatch();
    };
    if (this.crashesInARow > 3) setTimeout(respawn, RESPAWN_BACKOFF_MS).unref();
    else respawn();
  }
}
