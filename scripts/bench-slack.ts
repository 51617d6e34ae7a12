/**
 * Slack ack latency under load: 500 signed slash commands and 500 button clicks, 50 at a time, sent to Distro's
 * Request URL (real Bolt receiver, services, a 200-site distribution, the recording Slack stand-in) and, in the
 * same run, to a bare Bolt app that only acks. Prints p50/p99 of both and Distro's p99 as a multiple of the bare
 * app's (target: within 1.5×). Latency is until the HTTP response (the ack); the work after it is not counted,
 * but it runs in the same process, which is the point: it must not hold later acks up. The requests are sent
 * from a child process (its own event loop), in rounds that alternate bare and Distro, so a busy machine
 * affects both alike.
 * Run: npm run bench:slack [-- requests-per-kind concurrency]
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver } from '@slack/bolt';
import express from 'express';
import { ACTIONS } from '../src/slack/blocks/kit.js';
import { ALICE, SIGNING_SECRET, startSlackHarness } from '../test/e2e/slack-harness.js';
import { slackRequester } from '../test/support/slack-requests.js';

const PER_KIND = Number(process.argv[2] ?? 500);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const ROUNDS = 5;
const VERSIONS = ['12.0.5', '12.1.2', '12.2.0', '12.3.0', '12.3.2', '12.3.3', '12.4.1', '12.4.2'];

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Runs `n` requests, `concurrency` at a time; returns each one's time to response, sorted. */
const load = async (n: number, concurrency: number, send: (i: number) => Promise<Response>): Promise<number[]> => {
  const times: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t0 = performance.now();
      const res = await send(i);
      await res.arrayBuffer();
      times.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`request ${i} answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return times.sort((a, b) => a - b);
};

const listen = (app: express.Express): Promise<Server> =>
  new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });

/** What the client process is asked to send. */
interface Batch {
  url: string;
  kind: 'command' | 'click';
  from: number;
  n: number;
  concurrency: number;
  responseBase: string;
  planId: string;
  summaryTs: string;
}

const COMMANDS = ['upgrade --platform social-12.3.3', 'status', 'help', 'upgrade --platform social-12.3.2', 'status social', 'list'];

/** Child process: sends batches and reports each request's time to response. */
const client = () => {
  process.on('message', async (b: Batch) => {
    const r = slackRequester(b.url, SIGNING_SECRET);
    const send = (i: number) =>
      b.kind === 'command'
        ? r.command({ text: COMMANDS[i % COMMANDS.length]!, user: ALICE, channelId: 'C0OPS', responseUrl: `${b.responseBase}b${i}` })
        : // Half "Review upgrades" on distinct announcements (each proposes a 200-site plan), half Cancel of one summary.
          r.blockAction(
            i % 2
              ? { actionId: ACTIONS.reviewUpgrades, value: 'social', user: ALICE, channelId: 'C0OPS', messageTs: `1700000000.${i}`, responseUrl: `${b.responseBase}c${i}` }
              : { actionId: ACTIONS.cancel, value: b.planId, user: ALICE, channelId: 'C0OPS', messageTs: b.summaryTs, responseUrl: `${b.responseBase}c${i}` },
          );
    process.send!(await load(b.n, b.concurrency, (i) => send(b.from + i)));
  });
};

const main = async () => {
  const sites: Record<string, string[]> = {};
  VERSIONS.slice(0, -1).forEach((v, i) => (sites[v] = Array.from({ length: Math.floor(200 / 7) + (i < 200 % 7 ? 1 : 0) }, (_, j) => `s${i}-${j}.example.org`)));
  const total = Object.values(sites).reduce((n, s) => n + s.length, 0);
  const h = await startSlackHarness({ seed: { versions: VERSIONS, sites }, updates: { minIntervalMs: 2000 } });

  // The bare app: same receiver and signature check, listeners that only ack.
  const bareExpress = express();
  const receiver = new ExpressReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', app: bareExpress });
  const bare = new App({ receiver, authorize: async () => ({ botToken: 'xoxb-bare', botId: 'B0BARE', botUserId: 'U0BARE' }) });
  bare.command('/distro', async ({ ack }) => ack());
  bare.action(/.*/, async ({ ack }) => ack());
  const bareServer = await listen(bareExpress);
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/slack/events`;
  const summary = await h.postSummary('upgrade --platform social-12.4.1');

  const child: ChildProcess = fork(new URL(import.meta.url).pathname, [], { env: { ...process.env, BENCH_SLACK_CLIENT: '1' } });
  const run = (b: Omit<Batch, 'responseBase' | 'planId' | 'summaryTs'>): Promise<number[]> =>
    new Promise((resolve) => {
      child.once('message', (times) => resolve(times as number[]));
      child.send({ ...b, responseBase: h.slack.responseUrl('x').replace(/x$/, ''), planId: summary.planId, summaryTs: summary.ts });
    });

  console.log(`${total} sites on ${VERSIONS.length - 1} platforms; ${PER_KIND} commands and ${PER_KIND} clicks per app, ${CONCURRENCY} at a time, in ${ROUNDS} alternating rounds`);
  // Warm both up (JIT, connections), and let Distro's queued work finish before measuring.
  await run({ url: bareUrl, kind: 'command', from: 0, n: 50, concurrency: 10 });
  await run({ url: h.url, kind: 'command', from: 0, n: 50, concurrency: 10 });
  await h.settle();

  const rows: Array<[string, number[], number[]]> = [];
  for (const kind of ['command', 'click'] as const) {
    const bareTimes: number[] = [];
    const distroTimes: number[] = [];
    let behind = 0;
    const per = Math.ceil(PER_KIND / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const batch = { kind, from: round * per, n: per, concurrency: CONCURRENCY };
      const order = round % 2 ? ['distro', 'bare'] : ['bare', 'distro'];
      for (const who of order) {
        if (who === 'bare') bareTimes.push(...(await run({ ...batch, url: bareUrl })));
        else distroTimes.push(...(await run({ ...batch, url: h.url })));
        // Distro's work behind the acks finishes before the next batch, so no batch pays for the previous one.
        const t0 = performance.now();
        await h.settle();
        behind = Math.max(behind, performance.now() - t0);
      }
    }
    console.log(`  (Distro finished the work behind a round of ${kind}s at most ${(behind / 1000).toFixed(1)} s after its last ack)`);
    rows.push([`${kind}s`, bareTimes.sort((a, b) => a - b), distroTimes.sort((a, b) => a - b)]);
  }
  const fmt = (t: number[]) => `p50 ${percentile(t, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(t, 99).toFixed(1).padStart(7)} ms  max ${t.at(-1)!.toFixed(1).padStart(7)} ms`;
  for (const [kind, b, d] of rows) {
    console.log(`\n${kind}`);
    console.log(`  bare Bolt app (ack only)  ${fmt(b)}`);
    console.log(`  Distro                    ${fmt(d)}`);
    console.log(`  Distro p99 / bare p99     ${(percentile(d, 99) / percentile(b, 99)).toFixed(2)}x   (target ≤ 1.50x)`);
  }
  child.kill();
  await new Promise<void>((r) => bareServer.close(() => r()));
  await h.close();
};

if (process.env['BENCH_SLACK_CLIENT']) client();
else await main();
