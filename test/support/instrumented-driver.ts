/**
 * A HostingDriver decorator for tests: forwards every call to a real driver, counts calls, tracks how many run
 * at once per server, and can hold a call at a hook (to crash a worker or gate concurrency at a known point).
 */
import type { Distribution } from '../../src/domain/distribution.js';
import type { BuildResult, HostingDriver, LogFn, SiteLocation } from '../../src/domain/ports.js';
import type { Platform } from '../../src/domain/platform.js';
import type { Site } from '../../src/domain/site.js';

export type DriverMethod = Exclude<keyof HostingDriver, 'name'>;

export interface CallInfo {
  method: DriverMethod;
  site: string | null;
  /** Servers of the platforms involved. */
  servers: string[];
}

export class InstrumentedDriver implements HostingDriver {
  readonly name: string;
  readonly calls: CallInfo[] = [];
  private readonly activeNow = new Map<string, number>();
  private readonly maxActive = new Map<string, number>();
  private readonly completed = new Map<string, number>();

  constructor(
    private readonly inner: HostingDriver,
    /** Runs after the call is counted as active and before the real driver works. */
    private readonly before?: (call: CallInfo) => Promise<void>,
  ) {
    this.name = `instrumented-${inner.name}`;
  }

  count(method: DriverMethod, site?: string): number {
    return this.calls.filter((c) => c.method === method && (site === undefined || c.site === site)).length;
  }
  /** Calls of `method` involving `server` running right now / at most at once / finished. */
  active(method: DriverMethod, server: string): number {
    return this.activeNow.get(`${method}@${server}`) ?? 0;
  }
  max(method: DriverMethod, server: string): number {
    return this.maxActive.get(`${method}@${server}`) ?? 0;
  }
  done(method: DriverMethod, server: string): number {
    return this.completed.get(`${method}@${server}`) ?? 0;
  }

  private async around<T>(method: DriverMethod, site: Site | null, platforms: Platform[], fn: () => Promise<T>): Promise<T> {
    const call: CallInfo = { method, site: site?.name ?? null, servers: [...new Set(platforms.map((p) => p.server))] };
    this.calls.push(call);
    const keys = call.servers.map((s) => `${method}@${s}`);
    for (const k of keys) {
      const n = (this.activeNow.get(k) ?? 0) + 1;
      this.activeNow.set(k, n);
      this.maxActive.set(k, Math.max(n, this.maxActive.get(k) ?? 0));
    }
    try {
      await this.before?.(call);
      return await fn();
    } finally {
      for (const k of keys) {
        this.activeNow.set(k, (this.activeNow.get(k) ?? 1) - 1);
        this.completed.set(k, (this.completed.get(k) ?? 0) + 1);
      }
    }
  }

  buildPlatform(platform: Platform, distribution: Distribution, log: LogFn): Promise<BuildResult> {
    return this.around('buildPlatform', null, [platform], () => this.inner.buildPlatform(platform, distribution, log));
  }
  installSite(site: Site, platform: Platform, log: LogFn): Promise<void> {
    return this.around('installSite', site, [platform], async () => this.inner.installSite?.(site, platform, log));
  }
  maintenanceOn(site: Site, platform: Platform, log: LogFn): Promise<void> {
    return this.around('maintenanceOn', site, [platform], () => this.inner.maintenanceOn(site, platform, log));
  }
  backup(site: Site, platform: Platform, log: LogFn): Promise<string> {
    return this.around('backup', site, [platform], () => this.inner.backup(site, platform, log));
  }
  moveSite(site: Site, from: Platform, to: Platform, log: LogFn): Promise<void> {
    return this.around('moveSite', site, [from, to], () => this.inner.moveSite(site, from, to, log));
  }
  postMigrate(site: Site, to: Platform, log: LogFn): Promise<void> {
    return this.around('postMigrate', site, [to], () => this.inner.postMigrate(site, to, log));
  }
  verify(site: Site, platform: Platform, log: LogFn): Promise<void> {
    return this.around('verify', site, [platform], () => this.inner.verify(site, platform, log));
  }
  maintenanceOff(site: Site, platform: Platform, log: LogFn): Promise<void> {
    return this.around('maintenanceOff', site, [platform], () => this.inner.maintenanceOff(site, platform, log));
  }
  restore(site: Site, from: Platform, to: Platform, backupRef: string, log: LogFn): Promise<void> {
    return this.around('restore', site, [from, to], () => this.inner.restore(site, from, to, backupRef, log));
  }
  locateSite(site: Site, from: Platform, to: Platform, log: LogFn): Promise<SiteLocation> {
    return this.around('locateSite', site, [from, to], () => this.inner.locateSite(site, from, to, log));
  }
  siteDigest(site: Site, platform: Platform, log: LogFn): Promise<string | null> {
    return this.around('siteDigest', site, [platform], () => this.inner.siteDigest(site, platform, log));
  }
}
