/**
 * GET /metrics (Prometheus text format): with METRICS_TOKEN, for a bearer of it; without, for loopback clients that
 * did not come through a proxy (a reverse proxy on the same host connects from loopback but adds X-Forwarded-For).
 */
import { safeEqual } from '../lib/safe-equal.js';
import type { RequestHandler } from 'express';
import { isLoopback } from './auth.js';
import { sendError } from './error-mapping.js';

export interface MetricsSource {
  render(): Promise<{ contentType: string; body: string }>;
}

export const metricsRoute =
  (metrics: MetricsSource, token: string | null): RequestHandler =>
  async (req, res) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1]?.trim();
    const allowed = token
      ? bearer !== undefined && safeEqual(bearer, token)
      : isLoopback(req.socket.remoteAddress) && !req.get('x-forwarded-for') && !req.get('forwarded');
    if (!allowed) {
      if (token) res.set('WWW-Authenticate', 'Bearer realm="Distro metrics"');
      const message = token ? 'Send METRICS_TOKEN as a bearer token.' : 'Metrics are readable from loopback only; set METRICS_TOKEN to scrape from elsewhere.';
      sendError(req, res, { status: token ? 401 : 403, body: { code: token ? 'unauthorized' : 'forbidden', message } });
      return;
    }
    const { contentType, body } = await metrics.render();
    res.status(200).set('Content-Type', contentType).set('Cache-Control', 'no-store').send(body);
  };
