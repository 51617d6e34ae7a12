/**
 * A WebClient whose every call has its text passed through the redactor (message text, blocks, attachments), so a
 * log tail or error posted to Slack cannot carry a URL credential or a configured secret. The token is left alone.
 */
import { ErrorCode, WebClient, WebClientEvent, type WebAPICallResult, type WebClientOptions } from '@slack/web-api';
import { redactDeep, type Redactor } from '../lib/redact.js';

/** Told of every Slack Web API call's outcome (metrics); `rate_limited` also for 429s the client retried itself. */
export type SlackCallObserver = (method: string, outcome: 'ok' | 'error' | 'rate_limited') => void;

export class RedactingWebClient extends WebClient {
  constructor(
    token: string | undefined,
    options: WebClientOptions,
    private readonly redact: Redactor,
    private readonly observe?: SlackCallObserver,
  ) {
    super(token, options);
    if (observe) {
      this.on(WebClientEvent.RATE_LIMITED, (_retrySec: number, info: { url?: string }) => observe(info.url?.split('/').pop() ?? 'unknown', 'rate_limited'));
    }
  }

  // Every method of the client (chat.postMessage, chat.update, …) is bound to apiCall, so this covers them all.
  override async apiCall(method: string, options: Record<string, unknown> = {}): Promise<WebAPICallResult> {
    const { token, ...rest } = options;
    try {
      const result = await super.apiCall(method, { ...redactDeep(rest, this.redact), ...(token !== undefined ? { token } : {}) });
      this.observe?.(method, 'ok');
      return result;
    } catch (error) {
      this.observe?.(method, (error as { code?: unknown }).code === ErrorCode.RateLimitedError ? 'rate_limited' : 'error');
      throw error;
    }
  }
}
