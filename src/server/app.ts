// The webhook's HTTP edge (express 5). One function owns an admission request: check the
// content type, read the body with a limit, decode, judge, echo the uid, write. Every failure
// on the edge becomes a clear 4xx or a well-formed AdmissionReview, never a stack trace.
// The judging itself runs on the judge pool's worker threads, under a deadline: this event
// loop only does linear, bounded work (read, parse, decode), so /healthz and the other reviews
// never wait for a judgement.

import express, { type NextFunction, type Request, type Response } from 'express';
import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import { unjudged, type Endpoint, type ReviewSummary } from '../admission/handler.ts';
import { decodeReview, errored, ReviewError, type AdmissionRequest } from '../admission/review.ts';
import type { Logger } from '../log.ts';
import { modeFor, type Policy } from '../policy/judge.ts';
import type { JudgePool } from './judge-pool.ts';
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

  // Raw: the text is parsed here once to answer bad input, and handed as text to a judge worker.
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
    let request: AdmissionRequest;
    let text: string;
    try {
      text = req.body.toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Never the parser's message: it quotes the body.
        throw new ReviewError(400, 'request body is not valid JSON');
      }
      request = decodeReview(parsed);
    } catch (err) {
      const e = err instanceof ReviewError ? err : new ReviewError(400, 'request body is not a usable AdmissionReview');
      logger.warn({ path: req.path, status: e.status, reason: e.message }, 'rejected admission request');
      if (e.uid) {
        // A uid was readable: the API server gets an AdmissionReview it can show the user.
        finish(req, res, 200);
        res.json(errored(e.uid, e.status, e.message));
        return;
      }
      finish(req, res, e.status);
      res.status(e.status).json({ error: e.message });
      return;
    }

    const result = await opts.judge.run(endpoint, text);
    const fields = { endpoint, uid: request.uid, operation: request.operation, dryRun: request.dryRun === true };
    if (result.kind === 'answer') {
      if (result.summary) record(endpoint, fields, result.summary);
      if (result.unjudged) {
        const allowed = (JSON.parse(result.review) as { response: { allowed: boolean } }).response.allowed;
        metrics.unjudged.inc({ endpoint, reason: result.unjudged, allowed: String(allowed) });
        logger.warn({ ...fields, kind: request.kind?.kind, namespace: request.namespace, name: request.name, reason: result.unjudged, allowed }, 'answered without a judgement');
      }
      finish(req, res, 200);
      res.type('application/json').send(result.review);
      return;
    }
    const { mode } = modeFor(request.namespace || 'default', state.catalog(), state.policy().config);
    const body = unjudged(endpoint, request, mode, result.reason, opts.deadlineMs);
    metrics.unjudged.inc({ endpoint, reason: result.reason, allowed: String(body.response.allowed) });
    logger.warn({ ...fields, kind: request.kind?.kind, namespace: request.namespace, name: request.name, mode, reason: result.reason, deadlineMs: opts.deadlineMs, allowed: body.response.allowed }, 'answered without a judgement');
    finish(req, res, 200);
    res.json(body);
  }

  function record(endpoint: Endpoint, request: Record<string, unknown>, s: ReviewSummary): void {
    const fields = { ...request, kind: s.kind, namespace: s.namespace, name: s.name, mode: s.mode };
    if (endpoint === 'mutate') {
      if (s.patchOps) { metrics.mutations.inc(); logger.info({ ...fields, patchOps: s.patchOps }, 'injected'); }
      return;
    }
    metrics.verdicts.inc({ mode: s.mode, allowed: String(s.allowed) });
    for (const [rule, n] of Object.entries(s.byRule)) metrics.violations.inc({ rule, mode: s.mode }, n);
    // Locations and rules only: messages never carry values, but logs need not even that.
    if (s.violationCount) {
      logger.info({ ...fields, allowed: s.allowed, violationCount: s.violationCount, violations: s.violations }, s.allowed ? `violations allowed (${s.mode})` : 'denied');
    }
  }

  return app;
}
