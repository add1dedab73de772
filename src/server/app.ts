// The webhook's HTTP edge (express 5). One function owns an admission request: check the
// content type, read the body with a limit, hand it to a judge worker, write its answer.
// Every failure becomes a clear 4xx or a well-formed AdmissionReview, never a stack trace.
// Parsing, decoding and judging run on the judge pool's worker threads, under a deadline:
// this event loop only reads bodies and writes answers (and parses a body itself only when no
// worker answered it), so /healthz and the other reviews never wait for a judgement.

import express, { type NextFunction, type Request, type Response } from 'express';
import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import { unjudged, type Endpoint, type ReviewSummary } from '../admission/handler.ts';
import { errored, parseReview, type AdmissionRequest, type ReviewError } from '../admission/review.ts';
import type { Logger } from '../log.ts';
import { modeFor, type Policy } from '../policy/judge.ts';
import { readHead, type JudgePool } from './judge-pool.ts';
import type { Metrics } from './metrics.ts';

export interface WebhookState {
  catalog(): CatalogSnapshot;
  policy(): Policy;
  /** Reasons the webhook is not ready yet; empty when ready. */
  notReady(): string[];
}

export interface AppOptions {
  logger: Logger;
  metrics: Metrics;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  judge: JudgePool;
  /** The judge pool's deadline, quoted in answers given without a judgement. */
  deadlineMs: number;
  /** Budget of admission body bytes in flight (defaultInflightBytes). */
  inflightBytes?: number;
}

/**
 * What the API server can send: objects up to its 3 MiB request limit, twice in an UPDATE
 * review (object and oldObject), plus the review's own fields.
 */
export const DEFAULT_BODY_LIMIT = 6 * 1024 * 1024 + 64 * 1024;

/**
 * Bytes of admission bodies being read and parsed at once. A parsed body costs several times
 * its size in heap, and the bodies are the sender's to size: past this budget a request is
 * refused with 503 before its body is read, so a burst of large reviews cannot exhaust the
 * memory limit (the API server then applies the webhook's failurePolicy to that one request).
 * One maximum-size body plus 4 MiB of ordinary ones: measured, two 6 MiB reviews at a time
 * grew the process to 580 MiB RSS within three bursts, one at a time to 440 MiB in ten.
 */
export const defaultInflightBytes = (bodyLimit: number): number => bodyLimit + 4 * 1024 * 1024;

export function createWebhookApp(state: WebhookState, opts: AppOptions): express.Express {
  const { logger, metrics } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false); // the API server appends ?timeout=10s; nothing here reads it

  app.get('/healthz', (_req, res) => { res.type('text/plain').send('ok'); });
  app.get('/readyz', (_req, res) => {
    const reasons = state.notReady();
    if (reasons.length) res.status(503).type('text/plain').send(`not ready: ${reasons.join('; ')}\n`);
    else res.type('text/plain').send('ok');
  });

  // Raw: the text goes to a judge worker unread.
  const jsonBody = express.raw({ limit: opts.bodyLimit, type: ['application/json', 'application/*+json'] });
  const budget = opts.inflightBytes ?? defaultInflightBytes(opts.bodyLimit);
  let inflight = 0;
  for (const endpoint of ['mutate', 'validate'] as const) {
    app.post(`/${endpoint}`, (req, res, next) => {
      (res.locals as Record<string, unknown>)['endpoint'] = endpoint;
      (res.locals as Record<string, unknown>)['start'] = process.hrtime.bigint();
      // A body without Content-Length (chunked) is counted at the largest size it may reach.
      const declared = Number(req.headers['content-length']);
      const size = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, opts.bodyLimit + 1) : opts.bodyLimit;
      if (inflight + size > budget && inflight > 0) {
        metrics.unjudged.inc({ endpoint, reason: 'overloaded', allowed: 'false' });
        logger.warn({ endpoint, bytes: size, inflightBytes: inflight, budgetBytes: budget }, 'refused: too many admission bytes in flight');
        finish(req, res, 503);
        res.status(503).set('Retry-After', '1').json({ error: `overloaded: ${inflight} bytes of admission requests in flight, budget ${budget}` });
        return;
      }
      inflight += size;
      res.once('close', () => { inflight -= size; });
      next();
    }, jsonBody, (req, res) => admit(endpoint, req, res));
    app.all(`/${endpoint}`, (_req, res) => { res.status(405).set('Allow', 'POST').json({ error: `use POST for /${endpoint}` }); });
  }
  app.use((_req, res) => { res.status(404).json({ error: 'not found: extguard serves POST /mutate, POST /validate, GET /healthz, GET /readyz' }); });
  // Errors from the body parser (too large, malformed JSON, bad encoding) end here.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
    const message = e.type === 'entity.too.large' ? `request body larger than ${opts.bodyLimit} bytes`
      : status === 500 ? 'internal error' : (e.message ?? 'bad request');
    if (status === 500) logger.error({ err }, 'unexpected error on the HTTP edge');
    else logger.warn({ path: req.path, status, reason: message }, 'rejected admission request');
    finish(req, res, status);
    res.status(status).json({ error: message });
  });

  function finish(_req: Request, res: Response, code: number): void {
    const locals = res.locals as { endpoint?: Endpoint; start?: bigint };
    if (!locals.endpoint || locals.start === undefined) return;
    metrics.requests.inc({ endpoint: locals.endpoint, code: String(code) });
    metrics.duration.observe({ endpoint: locals.endpoint }, Number(process.hrtime.bigint() - locals.start) / 1e9);
  }

  async function admit(endpoint: Endpoint, req: Request, res: Response): Promise<void> {
    if (!Buffer.isBuffer(req.body)) {
      finish(req, res, 415);
      res.status(415).json({ error: 'expected Content-Type: application/json' });
      return;
    }
    // Handed over unread: the judge worker parses, checks and judges it (see judge-worker.ts).
    const text = req.body.toString('utf8');
    const result = await opts.judge.run(endpoint, text);
    if (result.kind === 'rejected') {
      reject(req, res, result.status, result.message, result.review);
      return;
    }
    if (result.kind === 'answer') {
      const fields = { endpoint, uid: result.request.uid, operation: result.request.operation, dryRun: result.request.dryRun };
      if (result.summary) record(endpoint, fields, result.summary);
      if (result.unjudged) {
        const allowed = (JSON.parse(result.review) as { response: { allowed: boolean } }).response.allowed;
        metrics.unjudged.inc({ endpoint, reason: result.unjudged, allowed: String(allowed) });
        logger.warn({ ...fields, kind: result.request.kind, namespace: result.request.namespace, name: result.request.name, reason: result.unjudged, allowed }, 'answered without a judgement');
      }
      finish(req, res, 200);
      res.type('application/json').send(result.review);
      return;
    }
    // No worker answered (deadline, queue full, crash): only now is the text read here, for
    // the uid and the namespace's mode. A review refused at once (overloaded) is answered from
    // its head, the fields before its object: when a namespace floods the pool with megabyte
    // reviews, parsing each refused one here would spend this event loop instead of the workers
    // (measured: half its time). Timeouts and crashes are rare and bounded: parsed in full.
    let request: AdmissionRequest;
    const head = result.reason === 'overloaded' ? readHead(text).request : undefined;
    if (head) request = head;
    else {
      try {
        request = parseReview(text);
      } catch (err) {
        const e = err as ReviewError;
        reject(req, res, e.status, e.message, e.uid ? JSON.stringify(errored(e.uid, e.status, e.message)) : undefined);
        return;
      }
    }
    const fields = { endpoint, uid: request.uid, operation: request.operation, dryRun: request.dryRun === true };
    const { mode } = modeFor(request.namespace || 'default', state.catalog(), state.policy().config);
    const body = unjudged(endpoint, request, mode, result.reason, opts.deadlineMs);
    metrics.unjudged.inc({ endpoint, reason: result.reason, allowed: String(body.response.allowed) });
    logger.warn({ ...fields, kind: request.kind?.kind, namespace: request.namespace, name: request.name, mode, reason: result.reason, deadlineMs: opts.deadlineMs, allowed: body.response.allowed }, 'answered without a judgement');
    finish(req, res, 200);
    res.json(body);
  }

  /** Not a usable AdmissionReview: an errored AdmissionReview the API server can show when a uid was readable, else a plain 4xx. */
  function reject(req: Request, res: Response, status: number, message: string, review?: string): void {
    logger.warn({ path: req.path, status, reason: message }, 'rejected admission request');
    if (review) {
      finish(req, res, 200);
      res.type('application/json').send(review);
      return;
    }
    finish(req, res, status);
    res.status(status).json({ error: message });
  }

  function record(endpoint: Endpoint, request: Record<string, unknown>, s: ReviewSummary): void {
    const fields = { ...request, kind: s.kind, namespace: s.namespace, name: s.name, mode: s.mode };
    if (endpoint === 'mutate') {
      if (s.patchOps) { metrics.mutations.inc(); logger.info({ ...fields, patchOps: s.patchOps }, 'injected'); }
      return;
    }
    metrics.verdicts.inc({ mode: s.mode, allowed: String(s.allowed) });
    for (const [rule, n] of Object.entries(s.byRule)) metrics.violations.inc({ rule, mode: s.mode }, n);
    for (const exception of s.exceptions ?? []) metrics.exceptionsApplied.inc({ exception });
    if (s.exceptions) logger.info({ ...fields, exceptions: s.exceptions }, 'violations excepted');
    // Locations and rules only: messages never carry values, but logs need not even that.
    if (s.violationCount) {
      logger.info({ ...fields, allowed: s.allowed, violationCount: s.violationCount, violations: s.violations }, s.allowed ? `violations allowed (${s.mode})` : 'denied');
    }
  }

  return app;
}
