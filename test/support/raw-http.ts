/**
 * node:http requests for what fetch cannot do: set the Host header (DNS-rebinding tests) and stream a large body
 * while watching when the answer arrives (to show a server answered without reading the body).
 */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // Tests read error bodies ad hoc.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: () => any;
}

const collect = (res: import('node:http').IncomingMessage): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
    });
  });

/** One request with exactly these headers (Host included). */
export const rawRequest = (url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: { connection: 'close', ...options.headers } });
    req.on('response', (res) => collect(res).then(resolve, reject));
    req.on('error', reject);
    req.end(options.body);
  });

export interface StreamedPost {
  response: RawResponse;
  /** Body bytes the client had handed to the socket when the response headers arrived. */
  sentAtResponse: number;
  total: number;
}

/**
 * POSTs `total` bytes in 64 KB chunks, honouring backpressure, and stops sending as soon as the response arrives.
 * `contentLength: false` sends the body chunked (no length announced up front).
 */
export const streamingPost = (
  url: string,
  headers: Record<string, string>,
  total: number,
  options: { contentLength?: boolean } = {},
): Promise<StreamedPost> =>
  new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    let sentAtResponse = -1;
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, ...(options.contentLength === false ? {} : { 'content-length': String(total) }) },
    });
    req.on('response', (res) => {
      sentAtResponse = sent;
      collect(res).then((response) => {
        req.destroy();
        resolve({ response, sentAtResponse, total });
      }, reject);
    });
    // A server that answers early may close the connection under the rest of the body (EPIPE, ECONNRESET, also
    // after the response when the socket is no longer the request's): only the answer matters.
    req.on('socket', (socket) => socket.on('error', () => undefined));
    req.on('error', (error) => {
      if (sentAtResponse < 0) reject(error);
    });
    const pump = (): void => {
      while (sentAtResponse < 0 && sent < total && !req.destroyed) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (sentAtResponse < 0 && !req.destroyed) req.end();
    };
    req.flushHeaders();
    pump();
  });
