/**
 * A WebClient whose every call has its text passed through the redactor (message text, blocks, attachments), so a
 * log tail or error posted to Slack cannot carry a URL credential or a configured secret. The token is left alone.
 */
import { WebClient, type WebAPICallResult, type WebClientOptions } from '@slack/web-api';
import { redactDeep, type Redactor } from '../lib/redact.js';

export class RedactingWebClient extends WebClient {
  constructor(
    token: string | undefined,
    options: WebClientOptions,
    private readonly redact: Redactor,
  ) {
    super(token, options);
  }

  // Every method of the client (chat.postMessage, chat.update, …) is bound to apiCall, so this covers them all.
  override apiCall(method: string, options: Record<string, unknown> = {}): Promise<WebAPICallResult> {
    const { token, ...rest } = options;
    return super.apiCall(method, { ...redactDeep(rest, this.redact), ...(token !== undefined ? { token } : {}) });
  }
}
