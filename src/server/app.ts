// The webhook's HTTP edge (express 5). One function owns an admission request: check the
// content type, read the body with a limit, decode, judge, echo the uid, write. Every failure
// on the edge becomes a clear 4xx or a well-formed AdmissionReview, never a stack trace.

import express, { type NextFunction, type Request, type Response } from 'express';
import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import { handleAdmission, type Endpoint } from '../admission/handler.ts';
import { decodeReview, errored, ReviewError } from '../admission/review.ts';
import type { Logger } from '../log.ts';
import type { Policy } from '../policy/judge.ts';
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
}

/** 3 MiB objects are the API server's own limit; an UPDATE review carries object and oldObject. */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

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

  const jsonBody = express.json({ limit: opts.bodyLimit, type: ['application/json', 'application/*+json'], strict: true });
  for (const endpoint of ['mutate', 'validate'] as const) {
    app.post(`/${endpoint}`, (req, res, next) => {
      (res.locals as Record<string, unknown>)['endpoint'] = endpoint;
      (res.locals as Record<string, unknown>)['start'] = process.hrtime.bigint();
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
      : e.type === 'entity.parse.failed' ? 'request body is not valid JSON'
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

  function admit(endpoint: Endpoint, req: Request, res: Response): void {
    if (!req.is('application/json') && !req.is('application/*+json')) {
      finish(req, res, 415);
      res.status(415).json({ error: 'expected Content-Type: application/json' });
      return;
    }
    let body;
    try {
      const request = decodeReview(req.body);
      const handled = handleAdmission(endpoint, request, state.catalog(), state.policy());
      body = handled.review;
      const j = handled.judgement;
      if (j?.workload) {
        const v = j.verdict;
        const fields = { endpoint, uid: request.uid, kind: j.workload.kind, namespace: j.workload.namespace, name: j.workload.name, operation: request.operation, dryRun: request.dryRun === true, mode: v.mode };
        if (endpoint === 'mutate') {
          if (v.patch.length) { metrics.mutations.inc(); logger.info({ ...fields, patchOps: v.patch.length }, 'injected'); }
        } else {
          metrics.verdicts.inc({ mode: v.mode, allowed: String(v.allowed) });
          for (const x of v.violations) metrics.violations.inc({ rule: x.rule, mode: v.mode });
          // Locations and rules only: messages never carry values, but logs need not even that.
          if (v.violations.length) {
            logger.info({ ...fields, allowed: v.allowed, violations: v.violations.map(({ rule, container, path }) => ({ rule, container, path })) }, v.allowed ? `violations allowed (${v.mode})` : 'denied');
          }
        }
      }
    } catch (err) {
      if (!(err instanceof ReviewError)) {
        logger.error({ err }, 'internal error while judging');
        body = errored(uidOf(req.body), 500, 'extguard internal error; see the webhook logs');
      } else if (err.uid) {
        body = errored(err.uid, err.status, err.message);
      } else {
        finish(req, res, err.status);
        res.status(err.status).json({ error: err.message });
        return;
      }
    }
    finish(req, res, 200);
    res.json(body);
  }

  return app;
}

function uidOf(body: unknown): string {
  const r = (body as { request?: { uid?: unknown } } | undefined)?.request;
  return typeof r?.uid === 'string' ? r.uid : '';
}
