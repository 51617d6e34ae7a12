/**
 * Password hashing off the shared thread pool: scrypt runs (synchronously) in dedicated worker threads, so a
 * flood of sign-ins can never take the libuv threads that file, DNS and crypto work of the rest of the process
 * need, at the lowest CPU priority. At most `concurrency` derivations run at once and `queue` more may wait (and
 * as many again in the priority lane, served first); beyond that `tryAcquire` says no at once, and the caller
 * answers 429 without doing any work.
 */
import { Worker } from 'node:worker_threads';

/** CommonJS source of each worker (eval'd: no build step or file path to resolve, in tests and after the build). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
// Lowest CPU priority for this thread only (on Linux the nice value is per thread): file, database and request
// work of the main thread always runs first, and a flood of checks only uses CPU nothing else wants.
try { require('node:os').setPriority(0, 19); } catch {}
parentPort.on('message', (m) => {
  try {
    const key = scryptSync(m.password, Buffer.from(m.salt), m.length, { N: m.N, r: m.r, p: m.p, maxmem: 256 * m.N * m.r + 1048576 });
    parentPort.postMessage({ id: m.id, key });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** Idle workers end after this long (each holds its scrypt memory only while it works). */
const IDLE_MS = 30_000;

interface Slot {
  worker: Worker | null;
  idle: NodeJS.Timeout | null;
}

export class PasswordChecker {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly priorityWaiting: (() => void)[] = [];
  private readonly free: Slot[] = [];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (key: Buffer) => void; reject: (e: Error) => void }>();
  /** Derivations started, and the most ever running and waiting at once (tests, metrics). */
  started = 0;
  readonly peak = { active: 0, waiting: 0 };

  constructor(private readonly limits: { concurrency: number; queue: number } = { concurrency: 1, queue: 4 }) {
    for (let i = 0; i < limits.concurrency; i++) this.free.push({ worker: null, idle: null });
  }

  /** True when tryAcquire (not in the priority lane) would say no now. */
  get full(): boolean {
    return this.active >= this.limits.concurrency && this.waiting.length >= this.limits.queue;
  }

  /**
   * A release function once a derivation may run (possibly after waiting its turn), or null when full. The
   * priority lane (attempts from a known device) has its own queue and is served before the other.
   */
  tryAcquire(priority = false): Promise<() => void> | null {
    if (this.active < this.limits.concurrency) {
      this.active++;
      this.peak.active = Math.max(this.peak.active, this.active);
      return Promise.resolve(this.releaser());
    }
    const queue = priority ? this.priorityWaiting : this.waiting;
    if (queue.length >= this.limits.queue) return null;
    return new Promise((resolve) => {
      queue.push(() => resolve(this.releaser()));
      this.peak.waiting = Math.max(this.peak.waiting, this.waiting.length);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.priorityWaiting.shift() ?? this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  /** scrypt in a worker thread (the caller holds a slot from tryAcquire). */
  derive(password: string, salt: Buffer, cost: ScryptCost, length: number): Promise<Buffer> {
    const slot = this.free.pop() ?? { worker: null, idle: null };
    if (slot.idle) clearTimeout(slot.idle);
    const worker = (slot.worker ??= this.spawn(slot));
    this.started++;
    const id = ++this.nextId;
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, password, salt: new Uint8Array(salt), length, ...cost });
    }).finally(() => {
      slot.idle = setTimeout(() => this.retire(slot), IDLE_MS);
      slot.idle.unref();
      this.free.push(slot);
    });
  }

  private spawn(slot: Slot): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (m: { id: number; key?: Uint8Array; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.key) p.resolve(Buffer.from(m.key));
      else p.reject(new Error(m.error ?? 'scrypt failed'));
    });
    worker.on('error', (e) => {
      slot.worker = null;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(e);
      }
    });
    return worker;
  }

  private retire(slot: Slot): void {
    const worker = slot.worker;
    slot.worker = null;
    slot.idle = null;
    if (worker) void worker.terminate();
  }

  /** Ends the workers (app stop). */
  async close(): Promise<void> {
    await Promise.all(
      this.free.map(async (slot) => {
        if (slot.idle) clearTimeout(slot.idle);
        const w = slot.worker;
        slot.worker = null;
        if (w) await w.terminate();
      }),
    );
  }
}
