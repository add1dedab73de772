// Runs judgements on worker threads with a deadline the event loop cannot miss.
//
// The rules are linear-time, but the webhook runs with failurePolicy: Fail: if the thread that
// serves HTTP is busy, /healthz, /readyz and every other review wait, and every deploy in the
// cluster waits with them. So the event loop only reads a request and writes its answer (all
// linear and bounded by the body limit) and hands the text to a worker. Each job has a deadline
// counted from its arrival, queue time included. When it passes, the job is answered without a
// judgement (see `unjudged` in admission/handler.ts) and, if a worker holds it, that worker is
// terminated and replaced: a stuck judgement costs one answer, not the replica.
//
// One namespace must not spend another's deadline (issue 20). The only client is the API
// server, so connections say nothing about who is asking: each review is keyed by the
// namespace read from the head of its text (readHead), and waits in its key's queue.
//
// - Workers take turns between keys (round-robin), so a review waits for at most one job of
//   each other key with work, not for everything that arrived before it.
// - Each key may hold only its share of the queue (a quarter of each global limit by default);
//   when the global queue is full anyway, the newest job of the key holding the most of it is
//   refused to make room for a key holding less.
// - Large reviews (over `largeChars`) never run on every worker: with two or more, one worker
//   is always free for, or busy with, ordinary reviews, whoever sends big slow ones.
// - A review that would have to wait and cannot be judged in time is refused at once
//   ("overloaded") instead of waiting out its deadline: for a while after one of its key's
//   reviews took long, timed out or crashed a worker, the key's reviews are predicted to cost as
//   much per character, and one that must wait and is predicted to finish after its deadline is
//   refused on arrival or when its turn comes. A review that finds a worker free always runs, so
//   one stuck review never stops the next one of its namespace.

import { Worker } from 'node:worker_threads';
import type { Endpoint, ReviewSummary, UnjudgedReason } from '../admission/handler.ts';
import { API_VERSION, KIND, type AdmissionRequest } from '../admission/review.ts';
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
  /** One key's share of the queue, in jobs and in characters (default: a quarter of maxQueued and of maxQueuedChars). */
  maxQueuedPerKey?: number;
  maxQueuedCharsPerKey?: number;
  /** Reviews longer than this never take the last idle worker when there are two or more (LARGE_REVIEW_CHARS). */
  largeChars?: number;
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
  /** The scheduling key (schedulingKey). */
  key: string;
  /** When it must be answered (performance.now() time). */
  deadline: number;
  /** It found no worker free when it arrived. */
  waited: boolean;
  /** When a worker got it. */
  started?: number;
  done: boolean;
  timer: NodeJS.Timeout;
  resolve(result: JudgeResult): void;
}

/** One key's waiting jobs, oldest first. */
interface KeyQueue {
  key: string;
  jobs: Job[];
  chars: number;
}

/** What a key's last expensive review cost: its reviews are predicted from it until it expires. */
interface Cost {
  chars: number;
  ms: number;
  at: number;
}

interface Slot {
  worker: Worker;
  job?: Job;
  /** It has answered once: its modules are loaded (a new worker takes a few hundred ms to start). */
  warm: boolean;
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
/**
 * Reviews up to this many characters may take any idle worker; longer ones leave the last one to
 * them. An ordinary Pod or Deployment review is a few KiB, one with every field filled and its
 * last-applied annotation some tens: 128 KiB leaves nearly every real review on every worker,
 * and even the slowest shape of bench/shapes.js judges 128 KiB in tens of milliseconds.
 */
export const LARGE_REVIEW_CHARS = 128 * 1024;
/** A review that ran at least this share of the deadline teaches its key's cost; faster ones are noise (message passing, parse). */
const EXPENSIVE_SHARE = 1 / 20;
/** How long a key's last expensive review predicts its next ones. */
const COST_TTL_MS = 10_000;
/** Keys whose cost is remembered; past this the oldest is forgotten (costs are only hints). */
const MAX_COSTS = 4096;
/** Refusals are logged at most this often, with how many there were since the last line. */
const REFUSAL_LOG_EVERY_MS = 10_000;

export class JudgePool {
  private readonly opts: JudgePoolOptions;
  private readonly slots: Slot[] = [];
  /** Keys with waiting jobs, in the order they get their next turn. */
  private readonly ring: KeyQueue[] = [];
  private readonly queues = new Map<string, KeyQueue>();
  private readonly costs = new Map<string, Cost>();
  private readonly perKeyJobs: number;
  private readonly perKeyChars: number;
  private readonly largeChars: number;
  private queued = 0;
  private queuedChars = 0;
  private nextId = 1;
  private closed = false;
  private crashesInARow = 0;
  private refusals = 0;
  private lastRefusalLog = -Infinity;

  constructor(opts: JudgePoolOptions) {
    this.opts = opts;
    this.perKeyJobs = opts.maxQueuedPerKey ?? Math.max(1, Math.floor(opts.maxQueued / 4));
    this.perKeyChars = opts.maxQueuedCharsPerKey ?? Math.max(1, Math.floor(opts.maxQueuedChars / 4));
    this.largeChars = opts.largeChars ?? LARGE_REVIEW_CHARS;
    for (let i = 0; i < opts.size; i++) this.slots.push(this.spawn());
  }

  /** Judges one review. Always resolves, by the deadline at the latest. */
  run(endpoint: Endpoint, text: string): Promise<JudgeResult> {
    return new Promise((resolve) => {
      if (this.closed) { resolve({ kind: 'unjudged', reason: 'overloaded' }); return; }
      const now = performance.now();
      const key = schedulingKey(text);
      const admitted = this.admit(key, text.length, now);
      if (typeof admitted === 'string') {
        this.refused(key, admitted);
        resolve({ kind: 'unjudged', reason: 'overloaded' });
        return;
      }
      const job: Job = {
        id: this.nextId++,
        endpoint,
        text,
        key,
        deadline: now + this.opts.deadlineMs,
        waited: admitted.waits,
        done: false,
        resolve: (r) => { if (!job.done) { job.done = true; clearTimeout(job.timer); resolve(r); } },
        timer: setTimeout(() => this.expire(job), this.opts.deadlineMs),
      };
      this.enqueue(job);
      this.dispatch();
    });
  }

  /** Stops every worker; jobs still waiting are answered as overloaded. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.ring.splice(0)) for (const job of q.jobs) job.resolve({ kind: 'unjudged', reason: 'overloaded' });
    this.queues.clear();
    this.queued = 0;
    this.queuedChars = 0;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /**
   * Why a new job of `chars` characters from `key` is refused at once, or whether it waits. A
   * job that can start now is taken. One that must wait is refused when it is predicted to
   * finish after its deadline, or when its key's share of the queue is full; when the queue is
   * full, it pushes out the newest job of a key holding more of it, or is refused.
   */
  private admit(key: string, chars: number, now: number): string | { waits: boolean } {
    const own = this.queues.get(key);
    if (!own && this.canStart(chars)) return { waits: false };
    // Behind this key's queued jobs and its running ones, on the workers it may use.
    const predicted = this.predict(key, chars, now);
    let ahead = 0;
    for (const job of own?.jobs ?? []) ahead += this.predict(key, job.text.length, now);
    for (const slot of this.slots) {
      if (slot.job?.key === key && slot.job.started !== undefined) ahead += Math.max(0, this.predict(key, slot.job.text.length, now) - (now - slot.job.started));
    }
    const parallel = chars > this.largeChars ? Math.max(1, this.opts.size - 1) : this.opts.size;
    if (ahead / parallel + predicted >= this.opts.deadlineMs) return 'predicted past its deadline';
    if ((own?.jobs.length ?? 0) + 1 > this.perKeyJobs || (own?.chars ?? 0) + chars > this.perKeyChars) return 'its share of the queue is full';
    while (this.queued + 1 > this.opts.maxQueued || this.queuedChars + chars > this.opts.maxQueuedChars) {
      const mine = this.weight((own?.jobs.length ?? 0) + 1, (own?.chars ?? 0) + chars);
      let heaviest: KeyQueue | undefined;
      for (const q of this.ring) if (q.key !== key && (!heaviest || this.weight(q.jobs.length, q.chars) > this.weight(heaviest.jobs.length, heaviest.chars))) heaviest = q;
      if (!heaviest || this.weight(heaviest.jobs.length, heaviest.chars) <= mine) return 'the queue is full';
      const pushed = heaviest.jobs.at(-1)!;
      this.unqueue(heaviest, heaviest.jobs.length - 1);
      this.refused(heaviest.key, 'pushed out of a full queue by a namespace holding less of it');
      pushed.resolve({ kind: 'unjudged', reason: 'overloaded' });
    }
    return { waits: true };
  }

  /** A key's hold on the queue: the larger of its shares of the two global limits. */
  private weight(jobs: number, chars: number): number {
    return Math.max(jobs / this.opts.maxQueued, chars / this.opts.maxQueuedChars);
  }

  /**
   * Whether a job of `chars` characters may start now: a worker is idle and, for a large one,
   * at least one other live worker would still not be running a large job (with two workers or
   * more). So one worker at least is always free for, or busy with, ordinary reviews.
   */
  private canStart(chars: number): boolean {
    let idle = 0;
    let large = 0;
    for (const s of this.slots) {
      if (!s.job) idle++;
      else if (s.job.text.length > this.largeChars) large++;
    }
    if (idle === 0) return false;
    return chars <= this.largeChars || this.opts.size < 2 || large + 1 < this.slots.length;
  }

  /** How long a job of `chars` characters from `key` is expected to run: 0 when nothing is known. */
  private predict(key: string, chars: number, now: number): number {
    const cost = this.costs.get(key);
    if (!cost) return 0;
    if (now - cost.at > COST_TTL_MS) { this.costs.delete(key); return 0; }
    return (cost.ms * chars) / cost.chars;
  }

  /**
   * Learns from a job that ended after running `ms`. A job that did not finish (timeout, crash)
   * is taken to cost at least a whole deadline; one that finished teaches its key's cost when it
   * was expensive, or when its key was predicted to be and turned out not to be.
   */
  private learn(job: Job, finished: boolean): void {
    if (job.started === undefined) return;
    const now = performance.now();
    const ms = now - job.started;
    const chars = Math.max(1, job.text.length);
    const expensive = this.opts.deadlineMs * EXPENSIVE_SHARE;
    if (finished && ms < expensive && this.predict(job.key, chars, now) < expensive) return;
    this.costs.delete(job.key);
    this.costs.set(job.key, { chars, ms: finished ? ms : Math.max(ms, this.opts.deadlineMs), at: now });
    if (this.costs.size > MAX_COSTS) this.costs.delete(this.costs.keys().next().value!);
  }

  private enqueue(job: Job): void {
    let q = this.queues.get(job.key);
    if (!q) {
      q = { key: job.key, jobs: [], chars: 0 };
      this.queues.set(job.key, q);
      this.ring.push(q);
    }
    q.jobs.push(job);
    q.chars += job.text.length;
    this.queued++;
    this.queuedChars += job.text.length;
  }

  /** Takes the job at `index` out of its key's queue (and the key out of the ring once it has none). */
  private unqueue(q: KeyQueue, index: number): Job {
    const [job] = q.jobs.splice(index, 1);
    q.chars -= job!.text.length;
    this.queued--;
    this.queuedChars -= job!.text.length;
    if (q.jobs.length === 0) {
      this.queues.delete(q.key);
      this.ring.splice(this.ring.indexOf(q), 1);
    }
    return job!;
  }

  /** The next job to start: the oldest of the first key in turn whose oldest job may take an idle worker. */
  private next(): Job | undefined {
    for (let i = 0; i < this.ring.length; i++) {
      const q = this.ring[i]!;
      if (!this.canStart(q.jobs[0]!.text.length)) continue;
      const job = this.unqueue(q, 0);
      // Its turn is used: to the back of the ring, if it still has work.
      if (q.jobs.length > 0) { this.ring.splice(this.ring.indexOf(q), 1); this.ring.push(q); }
      return job;
    }
    return undefined;
  }

  private refused(key: string, why: string): void {
    this.refusals++;
    const now = performance.now();
    if (now - this.lastRefusalLog < REFUSAL_LOG_EVERY_MS) return;
    // The namespace and why, never the review.
    this.opts.logger.warn({ namespace: key, why, refusedSinceLastLine: this.refusals }, 'judge queue: refused a review at once');
    this.lastRefusalLog = now;
    this.refusals = 0;
  }

  private spawn(): Slot {
    // Its own heap limit: a judgement that allocates without bound ends this thread (answered
    // as crashed), not the process.
    const worker = new Worker(this.opts.workerUrl ?? DEFAULT_WORKER, { resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb ?? DEFAULT_WORKER_HEAP_MB } });
    const slot: Slot = { worker, warm: false };
    worker.on('message', (m: FromWorker) => this.answered(slot, m));
    // An uncaught error ends the thread; 'exit' follows and replaces it.
    worker.on('error', (err) => this.opts.logger.error({ err: err.name }, 'judge worker failed'));
    worker.on('exit', () => this.exited(slot));
    worker.unref();
    return slot;
  }

  private dispatch(): void {
    for (;;) {
      if (!this.slots.some((s) => !s.job)) return;
      const job = this.next();
      if (!job) return;
      // Its turn came too late to finish: refused now rather than started and cut at the deadline.
      const now = performance.now();
      const predicted = job.waited ? this.predict(job.key, job.text.length, now) : 0;
      if (predicted > 0 && predicted >= job.deadline - now) {
        this.refused(job.key, 'predicted past its deadline');
        job.resolve({ kind: 'unjudged', reason: 'overloaded' });
        continue;
      }
      const slot = this.idleSlotFor(job);
      this.sync(slot);
      slot.job = job;
      job.started = now;
      this.post(slot, { type: 'review', id: job.id, endpoint: job.endpoint, text: job.text });
    }
  }

  /** Sends a worker the current policy and catalog, when they are not what it last got. */
  private sync(slot: Slot): void {
    const { policy, catalog } = this.opts.state();
    if (slot.policy !== policy) { this.post(slot, { type: 'policy', config: policy.config }); slot.policy = policy; }
    if (slot.catalog !== catalog) { this.post(slot, { type: 'catalog', update: catalogUpdate(slot.catalog, catalog) }); slot.catalog = catalog; }
  }

  /**
   * Small reviews take a warm worker when there is one. Large ones too, unless that would leave
   * no warm worker for the small ones: then a cold one (a replacement still starting, say).
   */
  private idleSlotFor(job: Job): Slot {
    const idle = this.slots.filter((s) => !s.job);
    const warm = idle.filter((s) => s.warm);
    if (job.text.length <= this.largeChars || warm.length >= 2) return warm[0] ?? idle[0]!;
    return idle.filter((s) => !s.warm).at(-1) ?? idle[0]!;
  }

  private post(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  private answered(slot: Slot, m: FromWorker): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    slot.job = undefined;
    slot.warm = true;
    this.crashesInARow = 0;
    this.learn(job, true);
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
    const q = this.queues.get(job.key);
    const queued = q ? q.jobs.indexOf(job) : -1;
    if (q && queued >= 0) {
      this.unqueue(q, queued);
      return;
    }
    // The thread may be stuck for good: replace it rather than wait for it.
    const slot = this.slots.find((s) => s.job === job);
    if (slot) {
      this.learn(job, false);
      this.replace(slot, 'timeout');
    }
  }

  private exited(slot: Slot): void {
    if (this.closed || !this.slots.includes(slot)) return;
    this.crashesInARow++;
    if (slot.job) this.learn(slot.job, false);
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

// ---------------------------------------------------------------------------------------------
// The head of a review: its scheduling key (its namespace), and the fields an answer without a
// judgement needs, read without parsing the object.

/** The key of a review whose namespace cannot be read from its head: one shared queue. */
export const UNREADABLE_KEY = '(unreadable)';
/** The key of a review without a namespace (cluster-scoped objects such as Namespaces). */
export const CLUSTER_KEY = '(cluster-scoped)';
/**
 * How far into a review its head is read. kube-apiserver writes the review's kind and
 * apiVersion, then the request's fields in its struct order (uid, kind, resource, subResource,
 * requestKind, requestResource, requestSubResource, name, namespace, operation, userInfo,
 * object, ...), so the namespace is within the first few hundred characters (names are at most
 * 253) and the object starts after the user's groups and extra fields.
 */
export const HEAD_CHARS = 16 * 1024;

export interface ReviewHead {
  /** Where the review waits for a worker: its namespace, CLUSTER_KEY or UNREADABLE_KEY. */
  key: string;
  /**
   * The request's fields read before its object (uid, operation, kind, name, namespace,
   * subResource), when the text starts as an admission.k8s.io/v1 AdmissionReview whose request
   * has a uid and an operation there: enough to answer it without a judgement.
   */
  request?: AdmissionRequest;
}

class Unreadable extends Error {}

const HEAD_FIELDS = new Set(['uid', 'kind', 'name', 'namespace', 'operation', 'subResource']);

/**
 * Reads a review's head from at most its first HEAD_CHARS characters, without parsing the rest.
 * The scan follows the JSON structure and stops at `request.object` (or `oldObject`), so nothing
 * inside the object, and nothing inside any other value, can pass for one of the fields. The key
 * is `request.namespace` when it comes before the object (as kube-apiserver writes it),
 * CLUSTER_KEY when the request has none (or null or "") there, UNREADABLE_KEY when the head is
 * not JSON, too long, or the namespace not a name.
 */
export function readHead(text: string, keyOnly = false): ReviewHead {
  const end = Math.min(text.length, HEAD_CHARS);
  let i = 0;
  const peek = (): string => { if (i >= end) throw new Unreadable(); return text[i]!; };
  const ws = (): void => { while (i < end && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++; };
  const expect = (c: string): void => { ws(); if (peek() !== c) throw new Unreadable(); i++; };
  const skipString = (): void => {
    expect('"');
    for (;;) {
      const c = peek();
      i++;
      if (c === '"') return;
      if (c === '\\') i++;
    }
  };
  /** Skips one value; returns it parsed when asked (it is at most HEAD_CHARS long). */
  const value = (parse = true): unknown => {
    ws();
    const start = i;
    const c = peek();
    if (c === '"') skipString();
    else if (c === '{' || c === '[') {
      let depth = 0;
      do {
        const d = peek();
        if (d === '"') { skipString(); continue; }
        if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') depth--;
        i++;
      } while (depth > 0);
    } else {
      // A number, true, false or null: up to the next delimiter.
      while (i < end && !/[\s,}\]]/.test(text[i]!)) i++;
    }
    if (!parse) return undefined;
    try { return JSON.parse(text.slice(start, i)); } catch { throw new Unreadable(); }
  };
  /** Walks an object's members, calling `member` with each key and i at its value; stops when it returns true. */
  const members = (member: (key: unknown) => boolean): void => {
    expect('{');
    ws();
    if (peek() === '}') { i++; return; }
    for (;;) {
      ws();
      if (peek() !== '"') throw new Unreadable();
      const key = value();
      expect(':');
      if (member(key)) return;
      ws();
      const c = peek();
      i++;
      if (c === '}') return;
      if (c !== ',') throw new Unreadable();
    }
  };

  const top: Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  let request = false;
  let complete = false;
  try {
    members((key) => {
      if (key !== 'request') { const wanted = !keyOnly && (key === 'kind' || key === 'apiVersion'); const v = value(wanted); if (wanted) top[key as string] = v; return false; }
      request = true;
      members((field) => {
        if (field === 'object' || field === 'oldObject') return true;
        const wanted = keyOnly ? field === 'namespace' : typeof field === 'string' && HEAD_FIELDS.has(field);
        const v = value(wanted);
        if (wanted) fields[field as string] = v;
        // The key alone is known at the namespace (the first one: kube-apiserver writes one).
        return keyOnly && wanted;
      });
      complete = true;
      return true;
    });
  } catch (err) {
    if (!(err instanceof Unreadable)) throw err;
  }
  const key = keyOf(fields, request && complete);
  return keyOnly ? { key } : { key, ...headRequest(top, fields) };
}

/** The scheduling key of a review: readHead's, reading no further than the namespace. */
export function schedulingKey(text: string): string {
  return readHead(text, true).key;
}

function keyOf(fields: Record<string, unknown>, complete: boolean): string {
  if (!('namespace' in fields)) return complete ? CLUSTER_KEY : UNREADABLE_KEY;
  const ns = fields['namespace'];
  if (ns === null || ns === '') return CLUSTER_KEY;
  return typeof ns === 'string' && ns.length <= 253 ? ns : UNREADABLE_KEY;
}

function headRequest(top: Record<string, unknown>, fields: Record<string, unknown>): { request?: AdmissionRequest } {
  const { uid, operation, kind, name, namespace, subResource } = fields;
  if (top['kind'] !== KIND || top['apiVersion'] !== API_VERSION) return {};
  if (typeof uid !== 'string' || uid === '' || typeof operation !== 'string') return {};
  // What parseReview would refuse is left to it, so the answer says why.
  for (const v of [name, namespace, subResource]) if (v !== undefined && typeof v !== 'string') return {};
  const k = typeof kind === 'object' && kind !== null && typeof (kind as { kind?: unknown }).kind === 'string' ? kind as AdmissionRequest['kind'] : undefined;
  return {
    request: {
      uid, operation,
      ...(k ? { kind: k } : {}),
      ...(name !== undefined ? { name: name as string } : {}),
      ...(namespace !== undefined ? { namespace: namespace as string } : {}),
      ...(subResource !== undefined ? { subResource: subResource as string } : {}),
    },
  };
}
