/**
 * What every Repositories adapter must do, including the race guarantees the services rely on
 * (one winner per compare-and-set, one platform per commit, one active task per subject).
 */
import { afterEach, beforeEach, describe, expect } from '@jest/globals';
import { contractTest } from '../support/mongo-wire-gaps.js';
import type { Actor } from '../../src/domain/actor.js';
import type { Distribution } from '../../src/domain/distribution.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/domain/errors.js';
import type { NewPlatform, Platform, PlatformStatus } from '../../src/domain/platform.js';
import type { Repositories } from '../../src/domain/ports.js';
import type { NewTask, Task } from '../../src/domain/task.js';
import type { NewUpgradePlan } from '../../src/domain/upgrade-plan.js';
import { LOG_MAX_LINE_CHARS, LOG_MAX_LINES } from '../../src/persistence/records.js';
import { openSocialBuild } from '../support/fixtures.js';

export type RepositoryFactory = () => Promise<{ repos: Repositories; cleanup(): Promise<void> }>;

const ADMIN: Actor = { kind: 'user', id: 'UADMIN', name: 'admin' };
/** Valid ObjectId shape that no store will have made. */
const MISSING_ID = 'ffffffffffffffffffffffff';
const COMMITS = ['12.3.3', '12.4.1', '12.4.2'].map((v) => openSocialBuild(v).commit);

export const repositoryContract = (name: string, factory: RepositoryFactory): void => {
  const test = contractTest('repositories', name);
  describe(`Repositories contract [${name}]`, () => {
    let repos: Repositories;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ repos, cleanup } = await factory());
    });
    afterEach(async () => cleanup());

    const dist = (slug = 'social', over: Partial<Parameters<Repositories['distributions']['create']>[0]> = {}) =>
      repos.distributions.create({ slug, title: `Title ${slug}`, ...over });
    const platformInput = (d: Distribution, n: number, over: Partial<NewPlatform> = {}): NewPlatform => ({
      name: `${d.slug}-p${n}`,
      distributionId: d.id,
      source: { ref: `r${n}`, commit: COMMITS[n] ?? `${n}`.padStart(40, 'c') },
      createdBy: ADMIN,
      ...over,
    });
    const platform = (d: Distribution, n: number, status: PlatformStatus = 'ready') =>
      repos.platforms.create(platformInput(d, n, { status }));
    const taskInput = (subjectId: string, over: Partial<NewTask> = {}): NewTask => ({
      type: 'migrate',
      subject: { kind: 'site', id: subjectId, name: `${subjectId}.example.org` },
      requestedBy: ADMIN,
      ...over,
    });
    const planInput = (d: Distribution, target: Platform): NewUpgradePlan => ({
      distributionId: d.id,
      targetPlatformId: target.id,
      scope: { kind: 'distribution', slug: d.slug },
      moves: [{ siteId: 's1', siteName: 'a.example.org', fromPlatformId: 'p0' }],
      blocked: false,
      requestedBy: ADMIN,
    });

    describe('distributions', () => {
      test('create fills defaults, get/getBySlug return equal copies', async () => {
        const d = await dist('social', { channel: 'C1' });
        expect(d).toMatchObject({ slug: 'social', description: '', channel: 'C1', upstream: null, targetPlatformId: null, pollState: {} });
        expect(d.policy).toEqual({ pollIntervalMinutes: 60, autoTarget: true });
        expect(typeof d.id).toBe('string');
        expect(d.createdAt).toBeInstanceOf(Date);
        expect(await repos.distributions.get(d.id)).toEqual(d);
        expect(await repos.distributions.getBySlug('social')).toEqual(d);
        expect(await repos.distributions.get(MISSING_ID)).toBeNull();
        expect(await repos.distributions.get('not-an-id')).toBeNull();
        expect(await repos.distributions.getBySlug('nope')).toBeNull();
      });

      test('duplicate slug is a ConflictError, also when raced', async () => {
        await dist('social');
        await expect(dist('social')).rejects.toBeInstanceOf(ConflictError);
        const results = await Promise.allSettled(Array.from({ length: 5 }, () => dist('raced')));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
      });

      test('returned objects are copies: mutating them changes nothing stored', async () => {
        const d = await dist();
        d.title = 'mutated';
        d.pollState.x = 'y';
        d.policy.autoTarget = false;
        const again = await repos.distributions.get(d.id);
        expect(again?.title).toBe('Title social');
        expect(again?.pollState).toEqual({});
        expect(again?.policy.autoTarget).toBe(true);
      });

      test('list is sorted by slug and paginated; bad pages are refused', async () => {
        for (const s of ['c', 'a', 'b']) await dist(s);
        const all = await repos.distributions.list();
        expect(all.items.map((d) => d.slug)).toEqual(['a', 'b', 'c']);
        expect(all.total).toBe(3);
        const page = await repos.distributions.list({ limit: 1, offset: 1 });
        expect(page.items.map((d) => d.slug)).toEqual(['b']);
        expect(page.total).toBe(3);
        expect((await repos.distributions.list({ limit: 0, offset: 0 })).items).toEqual([]);
        expect((await repos.distributions.list({ limit: 5, offset: 5 })).items).toEqual([]);
        await expect(repos.distributions.list({ limit: -1, offset: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(repos.distributions.list({ limit: 1, offset: 0.5 })).rejects.toBeInstanceOf(ValidationError);
      });

      test('listWithUpstream returns only tracked distributions', async () => {
        await dist('plain');
        await dist('tracked', { upstream: { kind: 'git', url: 'file:///tmp/x', manifestPath: 'composer.lock' } });
        expect((await repos.distributions.listWithUpstream()).map((d) => d.slug)).toEqual(['tracked']);
      });

      test('update changes allowed fields only; missing id is NotFoundError', async () => {
        const d = await dist();
        const patch = { title: 'New', channel: 'C9', slug: 'hacked' } as Parameters<Repositories['distributions']['update']>[1];
        const u = await repos.distributions.update(d.id, patch);
        expect(u).toMatchObject({ title: 'New', channel: 'C9', slug: 'social' });
        expect(u.updatedAt.getTime()).toBeGreaterThanOrEqual(d.updatedAt.getTime());
        await expect(repos.distributions.update(MISSING_ID, { title: 'x' })).rejects.toBeInstanceOf(NotFoundError);
      });

      test('setTarget sets unconditionally, or as a compare-and-set with expectedTargetId', async () => {
        const d = await dist();
        expect((await repos.distributions.setTarget(d.id, 'p1'))?.targetPlatformId).toBe('p1');
        expect(await repos.distributions.setTarget(d.id, 'p2', null)).toBeNull();
        expect((await repos.distributions.get(d.id))?.targetPlatformId).toBe('p1');
        expect((await repos.distributions.setTarget(d.id, 'p2', 'p1'))?.targetPlatformId).toBe('p2');
        expect((await repos.distributions.setTarget(d.id, null, 'p2'))?.targetPlatformId).toBeNull();
        await expect(repos.distributions.setTarget(MISSING_ID, 'p1')).rejects.toBeInstanceOf(NotFoundError);
      });

      test('concurrent setTarget CAS from the same expected target: exactly one wins', async () => {
        const d = await dist();
        await repos.distributions.setTarget(d.id, 'p0');
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => repos.distributions.setTarget(d.id, `p${i + 1}`, 'p0')),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect((await repos.distributions.get(d.id))?.targetPlatformId).toBe(winners[0]!.targetPlatformId);
      });

      test('updatePollState merges keys, including keys with dots and dollars', async () => {
        const d = await dist();
        await repos.distributions.updatePollState(d.id, { 'refs/heads/main': 'abc', '12.4.2': 'tag' });
        await repos.distributions.updatePollState(d.id, { 'refs/heads/main': 'def', $etag: 'W/"1"' });
        expect((await repos.distributions.get(d.id))?.pollState).toEqual({
          'refs/heads/main': 'def',
          '12.4.2': 'tag',
          $etag: 'W/"1"',
        });
        await expect(repos.distributions.updatePollState(MISSING_ID, { a: 'b' })).rejects.toBeInstanceOf(NotFoundError);
      });

      test('recordPoll keeps the latest outcome, success or failure, with its time', async () => {
        const d = await dist();
        expect(d.lastPoll).toBeNull();
        expect((await repos.distributions.get(d.id))?.lastPoll).toBeNull();
        const failedAt = new Date('2026-01-02T03:04:05.678Z');
        await repos.distributions.recordPoll(d.id, { at: failedAt, error: 'git ls-remote failed: host unreachable' });
        expect((await repos.distributions.get(d.id))?.lastPoll).toEqual({ at: failedAt, error: 'git ls-remote failed: host unreachable' });
        const okAt = new Date('2026-01-02T04:00:00.000Z');
        await repos.distributions.recordPoll(d.id, { at: okAt, error: null });
        const after = await repos.distributions.getBySlug(d.slug);
        expect(after?.lastPoll).toEqual({ at: okAt, error: null });
        expect(after?.lastPoll?.at).toBeInstanceOf(Date);
        expect((await repos.distributions.list()).items[0]?.lastPoll).toEqual({ at: okAt, error: null });
        await expect(repos.distributions.recordPoll(MISSING_ID, { at: okAt, error: null })).rejects.toBeInstanceOf(NotFoundError);
      });

      test('delete removes; deleting again is NotFoundError', async () => {
        const d = await dist();
        await repos.distributions.delete(d.id);
        expect(await repos.distributions.get(d.id)).toBeNull();
        await expect(repos.distributions.delete(d.id)).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('platforms', () => {
      let d: Distribution;
      beforeEach(async () => {
        d = await dist();
      });

      test('create fills defaults; get, getByName, getByCommit find it', async () => {
        const p = await repos.platforms.create(platformInput(d, 0));
        expect(p).toMatchObject({ name: 'social-p0', status: 'queued', path: null, buildLog: [], server: 'local' });
        expect(p.manifest).toEqual({ format: 'none', packages: [], files: {} });
        expect(await repos.platforms.get(p.id)).toEqual(p);
        expect(await repos.platforms.getByName('social-p0')).toEqual(p);
        expect(await repos.platforms.getByCommit(d.id, COMMITS[0]!)).toEqual(p);
        expect(await repos.platforms.getByCommit('other', COMMITS[0]!)).toBeNull();
        expect(await repos.platforms.get(MISSING_ID)).toBeNull();
      });

      test('manifest with file paths as keys round-trips', async () => {
        const build = openSocialBuild('12.4.2');
        const manifest = { format: 'composer' as const, packages: [{ name: 'goalgorilla/open_social', version: '12.4.2' }], files: build.files };
        const p = await repos.platforms.create(platformInput(d, 0, { manifest }));
        expect((await repos.platforms.get(p.id))?.manifest).toEqual(manifest);
        const updated = await repos.platforms.update(p.id, { manifest: { ...manifest, files: { 'a.b/c.json': '{}' } }, path: '/srv/p0' });
        expect(updated.manifest.files).toEqual({ 'a.b/c.json': '{}' });
        expect((await repos.platforms.get(p.id))?.path).toBe('/srv/p0');
      });

      test('a recorded file tree with dots, dollars and percent signs in its paths round-trips', async () => {
        const tree = { '.htaccess': 'a'.repeat(40), 'web/$weird%2E.php': 'b'.repeat(40), 'patches/core.patch': 'c'.repeat(40), constructor: 'd'.repeat(40) };
        const manifest = { format: 'none' as const, packages: [], files: { '.htaccess': 'Deny from all\n' }, tree };
        const p = await repos.platforms.create(platformInput(d, 0, { manifest }));
        expect((await repos.platforms.get(p.id))?.manifest).toEqual(manifest);
        const next = { ...manifest, tree: { ...tree, 'README.md': 'e'.repeat(40) } };
        expect((await repos.platforms.update(p.id, { manifest: next })).manifest.tree).toEqual(next.tree);
        expect((await repos.platforms.get(p.id))?.manifest.tree).toEqual(next.tree);
      });

      test('duplicate name or same commit in one distribution is a ConflictError', async () => {
        await repos.platforms.create(platformInput(d, 0));
        await expect(repos.platforms.create(platformInput(d, 1, { name: 'social-p0' }))).rejects.toBeInstanceOf(ConflictError);
        await expect(repos.platforms.create(platformInput(d, 0, { name: 'other-name' }))).rejects.toBeInstanceOf(ConflictError);
        // Same commit in another distribution is fine.
        const d2 = await dist('other');
        await expect(repos.platforms.create(platformInput(d2, 0))).resolves.toMatchObject({ name: 'other-p0' });
      });

      test('10 concurrent createIfAbsent for one commit create exactly one platform', async () => {
        const results = await Promise.all(Array.from({ length: 10 }, () => repos.platforms.createIfAbsent(platformInput(d, 1))));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.platform.id)).size).toBe(1);
        expect((await repos.platforms.list({ distributionId: d.id })).total).toBe(1);
        const again = await repos.platforms.createIfAbsent(platformInput(d, 1));
        expect(again.created).toBe(false);
      });

      test('createIfAbsent with a taken name for a new commit is a ConflictError', async () => {
        await repos.platforms.create(platformInput(d, 0));
        await expect(repos.platforms.createIfAbsent(platformInput(d, 1, { name: 'social-p0' }))).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      test('getMany keeps the order asked and skips missing ids', async () => {
        const a = await platform(d, 0);
        const b = await platform(d, 1);
        expect((await repos.platforms.getMany([b.id, MISSING_ID, a.id])).map((p) => p.id)).toEqual([b.id, a.id]);
        expect(await repos.platforms.getMany([])).toEqual([]);
      });

      test('list filters by distribution and status, oldest first, paginated', async () => {
        const d2 = await dist('other');
        const p0 = await platform(d, 0, 'ready');
        const p1 = await platform(d, 1, 'failed');
        const p2 = await platform(d, 2, 'ready');
        await platform(d2, 0, 'ready');
        expect((await repos.platforms.list({ distributionId: d.id })).items.map((p) => p.id)).toEqual([p0.id, p1.id, p2.id]);
        expect((await repos.platforms.list({ distributionId: d.id, status: ['ready'] })).items.map((p) => p.id)).toEqual([p0.id, p2.id]);
        expect((await repos.platforms.list()).total).toBe(4);
        const page = await repos.platforms.list({ distributionId: d.id }, { limit: 2, offset: 1 });
        expect(page).toMatchObject({ total: 3 });
        expect(page.items.map((p) => p.id)).toEqual([p1.id, p2.id]);
      });

      test('setStatus applies, or only from the given statuses; concurrent CAS has one winner', async () => {
        const p = await platform(d, 0, 'queued');
        expect((await repos.platforms.setStatus(p.id, 'building', ['queued']))?.status).toBe('building');
        expect(await repos.platforms.setStatus(p.id, 'building', ['queued'])).toBeNull();
        expect((await repos.platforms.setStatus(p.id, 'failed'))?.status).toBe('failed');
        expect(await repos.platforms.setStatus(MISSING_ID, 'ready')).toBeNull();
        await repos.platforms.setStatus(p.id, 'queued');
        const results = await Promise.all(Array.from({ length: 10 }, () => repos.platforms.setStatus(p.id, 'building', ['queued'])));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });

      test('lockAllExcept locks ready ones of the distribution and unlocks the kept one', async () => {
        const d2 = await dist('other');
        const keep = await platform(d, 0, 'locked');
        const ready = await platform(d, 1, 'ready');
        const failed = await platform(d, 2, 'failed');
        const foreign = await platform(d2, 0, 'ready');
        const res = await repos.platforms.lockAllExcept(d.id, keep.id);
        expect(res).toEqual({ locked: [ready.id], unlocked: [keep.id] });
        const statuses = Object.fromEntries((await repos.platforms.getMany([keep.id, ready.id, failed.id, foreign.id])).map((p) => [p.id, p.status]));
        expect(statuses).toEqual({ [keep.id]: 'ready', [ready.id]: 'locked', [failed.id]: 'failed', [foreign.id]: 'ready' });
        expect(await repos.platforms.lockAllExcept(d.id, keep.id)).toEqual({ locked: [], unlocked: [] });
      });

      test('update: allowed fields, commit uniqueness, NotFoundError', async () => {
        const a = await platform(d, 0);
        const b = await platform(d, 1);
        await expect(repos.platforms.update(b.id, { source: { ref: 'x', commit: a.source.commit } })).rejects.toBeInstanceOf(ConflictError);
        expect((await repos.platforms.get(b.id))?.source.commit).toBe(COMMITS[1]);
        await expect(repos.platforms.update(MISSING_ID, { path: '/x' })).rejects.toBeInstanceOf(NotFoundError);
      });

      test('appendBuildLog appends in order; delete removes', async () => {
        const p = await platform(d, 0);
        await repos.platforms.appendBuildLog(p.id, ['one', 'two']);
        await repos.platforms.appendBuildLog(p.id, ['three']);
        expect((await repos.platforms.get(p.id))?.buildLog).toEqual(['one', 'two', 'three']);
        await expect(repos.platforms.appendBuildLog(MISSING_ID, ['x'])).rejects.toBeInstanceOf(NotFoundError);
        await repos.platforms.delete(p.id);
        expect(await repos.platforms.get(p.id)).toBeNull();
        await expect(repos.platforms.delete(p.id)).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('sites', () => {
      /** Real platforms (a site's platform must exist), by the short names the tests use. */
      const P: Record<'pA' | 'pB' | 'pC' | 'pOther', string> = { pA: '', pB: '', pC: '', pOther: '' };
      beforeEach(async () => {
        const d = await dist('sites');
        const keys = Object.keys(P) as Array<keyof typeof P>;
        for (const [i, key] of keys.entries()) P[key] = (await platform(d, i)).id;
      });
      const site = (name: string, platformId = P.pA, over: Partial<Parameters<Repositories['sites']['create']>[0]> = {}) =>
        repos.sites.create({ name, platformId, ...over });

      test('create fills defaults and starts the history; duplicate name is a ConflictError', async () => {
        const s = await site('a.example.org', P.pA, { modules: ['social_core'] });
        expect(s).toMatchObject({ name: 'a.example.org', platformId: P.pA, status: 'enabled', modules: ['social_core'] });
        expect(s.history).toEqual([{ platformId: P.pA, from: s.createdAt }]);
        expect(await repos.sites.get(s.id)).toEqual(s);
        expect(await repos.sites.getByName('a.example.org')).toEqual(s);
        expect(await repos.sites.getByName('b.example.org')).toBeNull();
        await expect(site('a.example.org', P.pB)).rejects.toBeInstanceOf(ConflictError);
      });

      test('list filters, sorts by name, paginates; getMany; countByPlatform', async () => {
        const c = await site('c.example.org', P.pA);
        const a = await site('a.example.org', P.pB, { status: 'disabled' });
        const b = await site('b.other.net', P.pA);
        expect((await repos.sites.list()).items.map((s) => s.name)).toEqual(['a.example.org', 'b.other.net', 'c.example.org']);
        expect((await repos.sites.list({ platformIds: [P.pA] })).items.map((s) => s.id)).toEqual([b.id, c.id]);
        expect((await repos.sites.list({ status: ['disabled'] })).items.map((s) => s.id)).toEqual([a.id]);
        expect((await repos.sites.list({ nameContains: 'EXAMPLE' })).items.map((s) => s.id)).toEqual([a.id, c.id]);
        expect((await repos.sites.list({ nameContains: '.' })).total).toBe(3);
        expect((await repos.sites.list({ nameContains: 'a.e*' })).total).toBe(0);
        expect(await repos.sites.list({}, { limit: 1, offset: 2 })).toMatchObject({ total: 3, items: [{ id: c.id }] });
        expect((await repos.sites.getMany([c.id, a.id])).map((s) => s.id)).toEqual([c.id, a.id]);
        expect(await repos.sites.countByPlatform([P.pA, P.pB, P.pC])).toEqual({ [P.pA]: 2, [P.pB]: 1, [P.pC]: 0 });
      });

      test('beginMigration only from enabled on the given platform; concurrent begin has one winner', async () => {
        const s = await site('a.example.org', P.pA);
        expect(await repos.sites.beginMigration(s.id, P.pOther)).toBeNull();
        const results = await Promise.all(Array.from({ length: 10 }, () => repos.sites.beginMigration(s.id, P.pA)));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        expect((await repos.sites.get(s.id))?.status).toBe('migrating');
        expect(await repos.sites.beginMigration(MISSING_ID, P.pA)).toBeNull();
      });

      test('completeMigration moves the site and appends history; abortMigration keeps the platform', async () => {
        const s = await site('a.example.org', P.pA);
        expect(await repos.sites.completeMigration(s.id, P.pB, 't1', new Date())).toBeNull();
        await repos.sites.beginMigration(s.id, P.pA);
        const at = new Date('2026-02-03T04:05:06.000Z');
        const done = await repos.sites.completeMigration(s.id, P.pB, 't1', at);
        expect(done).toMatchObject({ status: 'enabled', platformId: P.pB });
        expect(done?.history).toEqual([{ platformId: P.pA, from: s.createdAt }, { platformId: P.pB, from: at, taskId: 't1' }]);
        expect(await repos.sites.abortMigration(s.id)).toBeNull();
        await repos.sites.beginMigration(s.id, P.pB);
        expect(await repos.sites.abortMigration(s.id)).toMatchObject({ status: 'enabled', platformId: P.pB });
      });

      test('a migrating site can be neither edited nor deleted, even by racing writes; after the migration it can', async () => {
        const s = await site('a.example.org', P.pA);
        const [begun, edit] = await Promise.allSettled([repos.sites.beginMigration(s.id, P.pA), repos.sites.update(s.id, { status: 'disabled' })]);
        // Whichever came first, the other saw its result: never a disabled site that is migrating.
        const after = (await repos.sites.get(s.id))!;
        if (begun.status === 'fulfilled' && begun.value) {
          expect(after.status).toBe('migrating');
          expect(edit.status).toBe('rejected');
        } else {
          expect(after.status).toBe('disabled');
        }
        if (after.status !== 'migrating') {
          await repos.sites.update(s.id, { status: 'enabled' });
          await repos.sites.beginMigration(s.id, P.pA);
        }
        await expect(repos.sites.update(s.id, { modules: ['x'] })).rejects.toBeInstanceOf(ConflictError);
        await expect(repos.sites.delete(s.id)).rejects.toThrow(/is migrating/);
        expect(await repos.sites.get(s.id)).toMatchObject({ status: 'migrating', modules: [] });
        await repos.sites.abortMigration(s.id);
        expect(await repos.sites.update(s.id, { modules: ['x'] })).toMatchObject({ modules: ['x'] });
        await repos.sites.delete(s.id);
        expect(await repos.sites.get(s.id)).toBeNull();
      });

      test('update and delete; NotFoundError for missing', async () => {
        const s = await site('a.example.org');
        expect(await repos.sites.update(s.id, { status: 'disabled', modules: ['x'] })).toMatchObject({ status: 'disabled', modules: ['x'] });
        await expect(repos.sites.update(MISSING_ID, { status: 'enabled' })).rejects.toBeInstanceOf(NotFoundError);
        await repos.sites.delete(s.id);
        expect(await repos.sites.get(s.id)).toBeNull();
        await expect(repos.sites.delete(s.id)).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('tasks', () => {
      test('create fills defaults with increasing numbers; get, getByNumber, getMany', async () => {
        const t1 = await repos.tasks.create(taskInput('s1', { planId: 'plan1', fromPlatformId: 'pA', toPlatformId: 'pB' }));
        const t2 = await repos.tasks.create(taskInput('s2'));
        expect(t1).toMatchObject({ state: 'queued', log: [], step: null, checkpoint: {}, attempts: 0, lease: null, error: null, planId: 'plan1' });
        expect(t1.startedAt).toBeNull();
        expect(t2.number).toBeGreaterThan(t1.number);
        expect(Number.isInteger(t1.number)).toBe(true);
        expect(await repos.tasks.get(t1.id)).toEqual(t1);
        expect(await repos.tasks.getByNumber(t2.number)).toEqual(t2);
        expect(await repos.tasks.getByNumber(99999)).toBeNull();
        expect((await repos.tasks.getMany([t2.id, t1.id])).map((t) => t.id)).toEqual([t2.id, t1.id]);
      });

      test('one active task per type and subject: ConflictError, free again once finished', async () => {
        const t = await repos.tasks.create(taskInput('s1'));
        await expect(repos.tasks.create(taskInput('s1'))).rejects.toBeInstanceOf(ConflictError);
        await expect(repos.tasks.create(taskInput('s1', { type: 'install' }))).resolves.toMatchObject({ type: 'install' });
        await repos.tasks.transition(t.id, ['queued'], 'processing');
        await expect(repos.tasks.create(taskInput('s1'))).rejects.toBeInstanceOf(ConflictError);
        await repos.tasks.transition(t.id, ['processing'], 'succeeded');
        const next = await repos.tasks.create(taskInput('s1'));
        // Re-activating the finished one while another is active would break the rule.
        await expect(repos.tasks.transition(t.id, ['succeeded'], 'queued')).rejects.toBeInstanceOf(ConflictError);
        await repos.tasks.transition(next.id, ['queued'], 'cancelled');
        expect((await repos.tasks.transition(t.id, ['succeeded'], 'queued'))?.state).toBe('queued');
      });

      test('10 concurrent creates for one subject: one task, the rest ConflictError', async () => {
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => repos.tasks.create(taskInput('s1'))));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
        expect((await repos.tasks.list({ subjectId: 's1' })).total).toBe(1);
      });

      test('list filters and is newest first', async () => {
        const a = await repos.tasks.create(taskInput('s1', { planId: 'p' }));
        const b = await repos.tasks.create(taskInput('s2', { type: 'install', subject: { kind: 'platform', id: 's2', name: 'x' } }));
        const c = await repos.tasks.create(taskInput('s3', { planId: 'p' }));
        await repos.tasks.transition(c.id, ['queued'], 'failed', { error: 'boom' });
        expect((await repos.tasks.list()).items.map((t) => t.id)).toEqual([c.id, b.id, a.id]);
        expect((await repos.tasks.list({ planId: 'p' })).items.map((t) => t.id)).toEqual([c.id, a.id]);
        expect((await repos.tasks.list({ type: ['install'] })).items.map((t) => t.id)).toEqual([b.id]);
        expect((await repos.tasks.list({ state: ['failed'] })).items).toMatchObject([{ id: c.id, error: 'boom' }]);
        expect((await repos.tasks.list({ subjectId: 's1' })).items.map((t) => t.id)).toEqual([a.id]);
        expect(await repos.tasks.list({}, { limit: 1, offset: 1 })).toMatchObject({ total: 3, items: [{ id: b.id }] });
      });

      test('transition merges the patch; 10 concurrent queued→processing: exactly one wins', async () => {
        const t = await repos.tasks.create(taskInput('s1'));
        const startedAt = new Date('2026-01-01T00:00:00.000Z');
        const results = await Promise.all(
          Array.from({ length: 10 }, () => repos.tasks.transition(t.id, ['queued'], 'processing', { startedAt })),
        );
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        const done = await repos.tasks.transition(t.id, ['processing'], 'succeeded', {
          finishedAt: new Date(),
          confirmedBy: ADMIN,
          attempts: 2,
        });
        expect(done).toMatchObject({ state: 'succeeded', startedAt, confirmedBy: ADMIN, attempts: 2 });
        expect(await repos.tasks.transition(t.id, ['queued', 'processing'], 'cancelled')).toBeNull();
        expect(await repos.tasks.transition(MISSING_ID, ['queued'], 'cancelled')).toBeNull();
      });

      test('claim: queued, or processing with an expired lease; renewLease; listExpired', async () => {
        const t = await repos.tasks.create(taskInput('s1'));
        const t0 = new Date('2026-01-01T00:00:00.000Z');
        const at = (s: number) => new Date(t0.getTime() + s * 1000);
        const claims = await Promise.all(['w1', 'w2', 'w3'].map((w) => repos.tasks.claim(t.id, w, at(60), t0)));
        const won = claims.filter((c): c is Task => c !== null);
        expect(won).toHaveLength(1);
        expect(won[0]).toMatchObject({ state: 'processing', attempts: 1, startedAt: t0 });
        const owner = won[0]!.lease!.owner;
        const other = owner === 'w1' ? 'w2' : 'w1';
        // Lease still valid: nobody else may claim.
        expect(await repos.tasks.claim(t.id, other, at(120), at(30))).toBeNull();
        expect(await repos.tasks.renewLease(t.id, other, at(500))).toBe(false);
        expect(await repos.tasks.renewLease(t.id, owner, at(90))).toBe(true);
        expect(await repos.tasks.listExpired(at(80))).toEqual([]);
        expect((await repos.tasks.listExpired(at(91))).map((x) => x.id)).toEqual([t.id]);
        // The worker died: its lease ran out, another claims and resumes.
        const taken = await repos.tasks.claim(t.id, other, at(200), at(95));
        expect(taken).toMatchObject({ lease: { owner: other, until: at(200) }, attempts: 2, startedAt: t0 });
        await repos.tasks.transition(t.id, ['processing'], 'succeeded', { lease: null });
        expect(await repos.tasks.claim(t.id, owner, at(999), at(900))).toBeNull();
        expect(await repos.tasks.renewLease(t.id, other, at(999))).toBe(false);
        expect(await repos.tasks.listExpired(at(9999))).toEqual([]);
        expect(await repos.tasks.claim(MISSING_ID, owner, at(1), t0)).toBeNull();
      });

      test('claimWithinLimits: at most the limit of processing tasks per slot key; leaving processing frees the slots', async () => {
        const t0 = new Date('2026-01-01T00:00:00.000Z');
        const at = (s: number) => new Date(t0.getTime() + s * 1000);
        const [a, b, c, d] = await Promise.all(['s1', 's2', 's3', 's4'].map((s) => repos.tasks.create(taskInput(s))));
        const web1 = { 'server:web1': 2, all: 3 };
        expect(await repos.tasks.claimWithinLimits(a!.id, 'w1', at(60), t0, web1)).toMatchObject({ task: { id: a!.id, state: 'processing', attempts: 1 }, busy: [] });
        expect((await repos.tasks.claimWithinLimits(b!.id, 'w2', at(60), t0, web1)).task?.state).toBe('processing');
        // web1 is full; the overall key is not.
        expect(await repos.tasks.claimWithinLimits(c!.id, 'w1', at(60), t0, web1)).toEqual({ task: null, busy: ['server:web1'] });
        expect((await repos.tasks.get(c!.id))!.state).toBe('queued');
        // Another server: only the overall limit (3) applies, and it has room for one.
        expect((await repos.tasks.claimWithinLimits(c!.id, 'w1', at(60), t0, { 'server:web2': 2, all: 3 })).task?.id).toBe(c!.id);
        expect(await repos.tasks.claimWithinLimits(d!.id, 'w1', at(60), t0, { 'server:web2': 2, all: 3 })).toEqual({ task: null, busy: ['all'] });
        // A task that finishes (any state but processing) gives its slots back.
        await repos.tasks.transition(a!.id, ['processing'], 'failed', { lease: null });
        expect((await repos.tasks.claimWithinLimits(d!.id, 'w1', at(60), t0, web1)).task?.id).toBe(d!.id);
        // Not claimable at all (processing under a live lease, finished, missing): busy is empty, as claim's null.
        expect(await repos.tasks.claimWithinLimits(b!.id, 'w9', at(60), at(30), web1)).toEqual({ task: null, busy: [] });
        expect(await repos.tasks.claimWithinLimits(a!.id, 'w9', at(60), t0, web1)).toEqual({ task: null, busy: [] });
        expect(await repos.tasks.claimWithinLimits(MISSING_ID, 'w9', at(60), t0, web1)).toEqual({ task: null, busy: [] });
        // b's worker died: re-claiming it after its lease expired keeps its own slots (web1 holds b and d: full).
        expect(await repos.tasks.claimWithinLimits(b!.id, 'w9', at(200), at(90), web1)).toMatchObject({ task: { lease: { owner: 'w9' }, attempts: 2 } });
        // No limits: a plain claim.
        const e = await repos.tasks.create(taskInput('s5'));
        expect((await repos.tasks.claimWithinLimits(e.id, 'w1', at(60), t0, {})).task?.state).toBe('processing');
      });

      test('claimWithinLimits: 8 concurrent claims on one key with limit 2: exactly 2 win, the rest are told it is busy', async () => {
        const t0 = new Date('2026-01-01T00:00:00.000Z');
        const tasks = await Promise.all(Array.from({ length: 8 }, (_, i) => repos.tasks.create(taskInput(`s${i}`))));
        const results = await Promise.all(
          tasks.map((t, i) => repos.tasks.claimWithinLimits(t.id, `w${i}`, new Date(t0.getTime() + 60_000), t0, { 'server:web1': 2 })),
        );
        expect(results.filter((r) => r.task !== null)).toHaveLength(2);
        expect(results.filter((r) => r.task === null).map((r) => r.busy)).toEqual(Array.from({ length: 6 }, () => ['server:web1']));
        expect((await repos.tasks.list({ state: ['processing'] })).total).toBe(2);
      });

      test('appendLog and setStep (checkpoint merges); NotFoundError for missing', async () => {
        const t = await repos.tasks.create(taskInput('s1'));
        const at = new Date('2026-01-01T00:00:00.000Z');
        await repos.tasks.appendLog(t.id, [{ at, level: 'info', message: 'one' }]);
        await repos.tasks.appendLog(t.id, [{ at, level: 'warn', message: 'two' }]);
        await repos.tasks.setStep(t.id, 'backup', { backupRef: '/tmp/a.tar', 'file.name': 'x' });
        await repos.tasks.setStep(t.id, 'move', { moved: 'yes' });
        const got = await repos.tasks.get(t.id);
        expect(got?.log).toEqual([
          { at, level: 'info', message: 'one' },
          { at, level: 'warn', message: 'two' },
        ]);
        expect(got?.step).toBe('move');
        expect(got?.checkpoint).toEqual({ backupRef: '/tmp/a.tar', 'file.name': 'x', moved: 'yes' });
        await expect(repos.tasks.appendLog(MISSING_ID, [])).rejects.toBeInstanceOf(NotFoundError);
        await expect(repos.tasks.setStep(MISSING_ID, 'x')).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('upgrade plans', () => {
      test('create, get, message, task ids', async () => {
        const d = await dist();
        const target = await platform(d, 0);
        const plan = await repos.plans.create(planInput(d, target));
        expect(plan).toMatchObject({ state: 'pending', confirmedBy: null, taskIds: [], message: null, blocked: false });
        expect(await repos.plans.get(plan.id)).toEqual(plan);
        await repos.plans.setMessage(plan.id, { channel: 'C1', ts: '1.2' });
        await repos.plans.setTaskIds(plan.id, ['t1', 't2']);
        expect(await repos.plans.get(plan.id)).toMatchObject({ message: { channel: 'C1', ts: '1.2' }, taskIds: ['t1', 't2'] });
        await expect(repos.plans.setMessage(MISSING_ID, { channel: 'C', ts: '1' })).rejects.toBeInstanceOf(NotFoundError);
        await expect(repos.plans.setTaskIds(MISSING_ID, [])).rejects.toBeInstanceOf(NotFoundError);
        expect(await repos.plans.get(MISSING_ID)).toBeNull();
      });

      test('skipped is null until Confirm closes the task list; list filters by distribution and state, newest first', async () => {
        const d = await dist();
        const other = await dist('intranet');
        const target = await platform(d, 0);
        const a = await repos.plans.create(planInput(d, target));
        const b = await repos.plans.create(planInput(d, target));
        const c = await repos.plans.create(planInput(other, await platform(other, 0)));
        expect(a.skipped).toBeNull();
        await repos.plans.setTaskIds(a.id, ['t1']);
        expect((await repos.plans.get(a.id))!.skipped).toBeNull();
        await repos.plans.setTaskIds(a.id, ['t1'], [{ site: 'x.example.org', reason: 'deleted' }]);
        expect((await repos.plans.get(a.id))!).toMatchObject({ taskIds: ['t1'], skipped: [{ site: 'x.example.org', reason: 'deleted' }] });
        await repos.plans.transition(a.id, ['pending'], 'confirmed');
        expect((await repos.plans.list({ distributionId: d.id })).items.map((p) => p.id)).toEqual([b.id, a.id]);
        expect((await repos.plans.list({ distributionId: d.id, state: ['pending'] })).items.map((p) => p.id)).toEqual([b.id]);
        const confirmed = await repos.plans.list({ state: ['confirmed'] }, { limit: 10, offset: 0 });
        expect(confirmed.items.map((p) => p.id)).toContain(a.id);
        expect(confirmed.items.map((p) => p.id)).not.toContain(c.id);
        expect((await repos.plans.list({ distributionId: other.id })).total).toBe(1);
      });

      test('confirm is a compare-and-set: 10 concurrent pending→confirmed, one wins', async () => {
        const d = await dist();
        const plan = await repos.plans.create(planInput(d, await platform(d, 0)));
        const users = Array.from({ length: 10 }, (_, i): Actor => ({ kind: 'user', id: `U${i}` }));
        const results = await Promise.all(users.map((u) => repos.plans.transition(plan.id, ['pending'], 'confirmed', { confirmedBy: u })));
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect((await repos.plans.get(plan.id))?.confirmedBy).toEqual(winners[0]!.confirmedBy);
        expect(await repos.plans.transition(plan.id, ['pending'], 'cancelled')).toBeNull();
        expect(await repos.plans.transition(MISSING_ID, ['pending'], 'cancelled')).toBeNull();
      });
    });

    describe('bounded logs and build leases', () => {
      const SECOND = 1000;
      test('task and build logs keep the newest LOG_MAX_LINES, count the dropped ones, and clip long lines', async () => {
        const d = await dist();
        const p = await platform(d, 0, 'building');
        const t = await repos.tasks.create(taskInput('s1'));
        expect(p.buildLogDropped).toBe(0);
        expect(t.logDropped).toBe(0);
        const at = new Date();
        for (let batch = 0; batch < 3; batch++) {
          const numbers = Array.from({ length: 400 }, (_, i) => batch * 400 + i);
          await repos.tasks.appendLog(t.id, numbers.map((n) => ({ at, level: 'info' as const, message: `line ${n}` })));
          await repos.platforms.appendBuildLog(p.id, numbers.map((n) => `line ${n}`));
        }
        const task = (await repos.tasks.get(t.id))!;
        expect(task.log).toHaveLength(LOG_MAX_LINES);
        expect(task.logDropped).toBe(1200 - LOG_MAX_LINES);
        expect(task.log[0]!.message).toBe(`line ${1200 - LOG_MAX_LINES}`);
        expect(task.log.at(-1)!.message).toBe('line 1199');
        const built = (await repos.platforms.get(p.id))!;
        expect(built.buildLog).toHaveLength(LOG_MAX_LINES);
        expect(built.buildLogDropped).toBe(1200 - LOG_MAX_LINES);
        expect(built.buildLog.at(-1)).toBe('line 1199');
        await repos.platforms.appendBuildLog(p.id, ['x'.repeat(LOG_MAX_LINE_CHARS * 3)]);
        await repos.tasks.appendLog(t.id, [{ at, level: 'error', message: 'y'.repeat(LOG_MAX_LINE_CHARS * 3) }]);
        expect((await repos.platforms.get(p.id))!.buildLog.at(-1)!.length).toBe(LOG_MAX_LINE_CHARS);
        expect((await repos.tasks.get(t.id))!.log.at(-1)!.message.length).toBe(LOG_MAX_LINE_CHARS);
      });

      test('startBuild takes a queued platform, or a building one whose lease expired; renew while building', async () => {
        const d = await dist();
        const p = await platform(d, 0, 'queued');
        const t0 = new Date();
        const later = (s: number) => new Date(t0.getTime() + s * SECOND);
        const started = await repos.platforms.startBuild(p.id, later(15), t0);
        expect(started).toMatchObject({ status: 'building', buildLeaseUntil: later(15) });
        expect(await repos.platforms.startBuild(p.id, later(20), later(5))).toBeNull(); // a live lease
        expect(await repos.platforms.renewBuildLease(p.id, later(30))).toBe(true);
        expect(await repos.platforms.startBuild(p.id, later(40), later(20))).toBeNull(); // renewed: still live
        const taken = await repos.platforms.startBuild(p.id, later(50), later(31)); // expired: taken over
        expect(taken).toMatchObject({ status: 'building', buildLeaseUntil: later(50) });
        expect(await repos.platforms.setStatus(p.id, 'ready', ['building'])).toMatchObject({ status: 'ready', buildLeaseUntil: null });
        expect(await repos.platforms.renewBuildLease(p.id, later(60))).toBe(false);
        expect(await repos.platforms.startBuild(p.id, later(60), later(100))).toBeNull(); // ready: not buildable
        expect(await repos.platforms.startBuild(MISSING_ID, later(60), t0)).toBeNull();
      });

      test('requeueExpiredBuilds puts back only expired builds, each once however many workers race', async () => {
        const d = await dist();
        const [dead, alive] = await Promise.all([platform(d, 0, 'queued'), platform(d, 1, 'queued')]);
        const t0 = new Date();
        await repos.platforms.startBuild(dead.id, new Date(t0.getTime() + 1 * SECOND), t0);
        await repos.platforms.startBuild(alive.id, new Date(t0.getTime() + 60 * SECOND), t0);
        const now = new Date(t0.getTime() + 10 * SECOND);
        const results = await Promise.all(Array.from({ length: 5 }, () => repos.platforms.requeueExpiredBuilds(now)));
        expect(results.flat().map((p) => p.id)).toEqual([dead.id]);
        expect(await repos.platforms.get(dead.id)).toMatchObject({ status: 'queued', buildLeaseUntil: null });
        expect((await repos.platforms.get(alive.id))!.status).toBe('building');
      });
    });

    describe('redeliveries', () => {
      const HOUR = 3_600_000;
      test('seen: false the first time, true after; keys are independent; forget lets it through again', async () => {
        expect(await repos.redeliveries.seen('github-delivery:a', HOUR)).toBe(false);
        expect(await repos.redeliveries.seen('github-delivery:a', HOUR)).toBe(true);
        expect(await repos.redeliveries.seen('github-delivery:b', HOUR)).toBe(false);
        await repos.redeliveries.forget('github-delivery:a');
        expect(await repos.redeliveries.seen('github-delivery:a', HOUR)).toBe(false);
        expect(await repos.redeliveries.seen('github-delivery:a', HOUR)).toBe(true);
        await repos.redeliveries.forget('never-seen');
      });

      test('an expired key counts as new again (before any clean-up removed it)', async () => {
        expect(await repos.redeliveries.seen('slack-trigger:1.2.x', 1)).toBe(false);
        await new Promise((r) => setTimeout(r, 20));
        expect(await repos.redeliveries.seen('slack-trigger:1.2.x', HOUR)).toBe(false);
        expect(await repos.redeliveries.seen('slack-trigger:1.2.x', HOUR)).toBe(true);
      });

      test('10 concurrent first offers of one key: exactly one is new', async () => {
        const results = await Promise.all(Array.from({ length: 10 }, () => repos.redeliveries.seen('k', HOUR)));
        expect(results.filter((seen) => !seen)).toHaveLength(1);
      });

      test('claim: claimed, in-progress while the claim is open, done once completed', async () => {
        const r = repos.redeliveries;
        expect(await r.claim('github-delivery:c', HOUR, HOUR)).toBe('claimed');
        expect(await r.claim('github-delivery:c', HOUR, HOUR)).toBe('in-progress');
        expect(await r.claim('github-delivery:other', HOUR, HOUR)).toBe('claimed');
        await r.complete('github-delivery:c');
        expect(await r.claim('github-delivery:c', HOUR, HOUR)).toBe('done');
        expect(await r.claim('github-delivery:c', HOUR, 1)).toBe('done');
        // A failed handling forgets the claim: the redelivery is handled.
        await r.forget('github-delivery:other');
        expect(await r.claim('github-delivery:other', HOUR, HOUR)).toBe('claimed');
      });

      test('a claim never completed within its lease (its handler died) is taken over by the next offer, once', async () => {
        const r = repos.redeliveries;
        expect(await r.claim('github-delivery:cut', HOUR, 1)).toBe('claimed');
        await new Promise((done) => setTimeout(done, 20));
        expect(await r.claim('github-delivery:cut', HOUR, HOUR)).toBe('claimed');
        expect(await r.claim('github-delivery:cut', HOUR, HOUR)).toBe('in-progress');
        await r.complete('github-delivery:cut');
        expect(await r.claim('github-delivery:cut', HOUR, HOUR)).toBe('done');
      });

      test('claim: an expired record counts as new; a key recorded by seen counts as done', async () => {
        const r = repos.redeliveries;
        expect(await r.claim('github-delivery:old', 1, HOUR)).toBe('claimed');
        await r.complete('github-delivery:old');
        await new Promise((done) => setTimeout(done, 20));
        expect(await r.claim('github-delivery:old', HOUR, HOUR)).toBe('claimed');
        expect(await r.seen('slack-trigger:9', HOUR)).toBe(false);
        expect(await r.claim('slack-trigger:9', HOUR, HOUR)).toBe('done');
      });

      test('10 concurrent claims of one key: exactly one is claimed', async () => {
        const results = await Promise.all(Array.from({ length: 10 }, () => repos.redeliveries.claim('k2', HOUR, HOUR)));
        expect(results.filter((c) => c === 'claimed')).toHaveLength(1);
        expect(results.filter((c) => c === 'in-progress')).toHaveLength(9);
      });
    });

    test('ping reports the store reachable', async () => {
      expect(await repos.ping()).toBe(true);
    });
  });
};
