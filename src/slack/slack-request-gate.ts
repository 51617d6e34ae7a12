/**
 * Checks Slack's request headers before Bolt reads the body: the signature headers must be there and well formed,
 * and the timestamp within 5 minutes of now in either direction. Bolt's own verification refuses only timestamps
 * in the past, so a request signed for a future time (a leaked signature, a skewed sender) would stay replayable
 * until that time. Bolt still verifies the signature itself afterwards.
 */
import type { RequestHandler } from 'express';

/** Slack's documented replay window. */
export const SLACK_MAX_CLOCK_SKEW_SECONDS = 5 * 60;

const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

export const slackRequestGate =
  (): RequestHandler =>
  (req, res, next) => {
    const timestamp = req.get('x-slack-request-timestamp') ?? '';
    const refuse = (code: string, message: string) => {
      // Closing the connection leaves the body unread.
      res.set('Connection', 'close').status(401).json({ error: { code, message } });
    };
    if (!SIGNATURE.test(req.get('x-slack-signature') ?? '') || !TIMESTAMP.test(timestamp)) {
      refuse('missing_signature', 'X-Slack-Signature and X-Slack-Request-Timestamp are required.');
      return;
    }
    const skew = Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp));
    if (skew > SLACK_MAX_CLOCK_SKEW_SECONDS) {
      refuse('stale_request', `X-Slack-Request-Timestamp is ${skew} s away from now; at most ${SLACK_MAX_CLOCK_SKEW_SECONDS} s is accepted.`);
      return;
    }
    next();
  };
