import type { Actor } from '../domain/actor.js';
import type { AuditSubject } from '../domain/audit.js';
import { parseManifest } from '../domain/compare/manifest.js';
import { ConflictError, ValidationError } from '../domain/errors.js';
import { fieldProblem, fieldProblems } from '../domain/field-limits.js';
import { ALL_ITEMS, type Page, type PageRequest, type PlatformFilter, type Repositories } from '../domain/ports.js';
import { EMPTY_MANIFEST, type Platform } from '../domain/platform.js';
import { ACTIVE_TASK_STATES } from '../domain/task.js';
import { plural } from '../lib/plural.js';
import { SYSTEM_ACTOR, type AuditLog } from './audit-log.js';
import type { HoldService } from './hold-service.js';
import { normalizeRoot, rootProblem } from '../domain/fleet-import.js';
import { resolveDistribution, resolvePlatform } from './lookup.js';

export interface RegisterPlatformInput {
  name: string;
  distribution: string;
  ref: string;
  commit: string;
  server?: string;
  /** Manifest files (composer.lock, *.make…) by path; parsed into the platform manifest. */
  files?: Record<string, string>;
  /** Where its code already is (absolute, e.g. an Aegir platform root); imports match alias roots against it. */
  path?: string;
}

export const platformSubject = (p: Pick<Platform, 'id' | 'name'>): AuditSubject => ({ kind: 'platform', id: p.id, name: p.name });

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const COMMIT_PATTERN = /^[0-9a-f]{7,64}$/;

export class PlatformService {
  constructor(private readonly deps: { repos: Repositories; audit: AuditLog; holds: HoldService }) {}

  /**
   * Registers an already-built platform (e.g. built outside Distro). It is ready at once; if its
   * distribution already has a target it starts locked, since only the target takes new sites.
   */
  async register(input: RegisterPlatformInput, actor: Actor): Promise<Platform> {
    const problems: string[] = [];
    if (!NAME_PATTERN.test(input.name ?? '')) problems.push('name: letters, digits, dot, dash, underscore (max 100)');
    if (!input.ref?.trim()) problems.push('ref: required (branch, tag or commit)');
    if (!COMMIT_PATTERN.test(input.commit ?? '')) problems.push('commit: a hex git SHA');
    problems.push(
      ...fieldProblems([
        ['name', input.name, 'name'],
        ['ref', input.ref, 'ref'],
        ['server', input.server, 'name'],
      ]),
    );
    // The first bad file path stands for all of them (a thousand files would make a thousand issues).
    const badPath = Object.keys(input.files ?? {})
      .map((path) => fieldProblem('files (path)', path, 'ref'))
      .find((p) => p !== null);
    if (badPath) problems.push(badPath);
    const rootIssue = input.path === undefined ? null : rootProblem(input.path);
    if (rootIssue) problems.push(`path: ${rootIssue.replace(/^the root /, '')}`);
    if (problems.length) throw new ValidationError('Invalid platform.', problems);
    const distribution = await resolveDistribution(this.deps.repos, input.distribution);
    const manifest = input.files && Object.keys(input.files).length ? parseManifest(input.files) : EMPTY_MANIFEST;
    return this.deps.audit.change(
      () =>
        this.deps.repos.platforms.create({
          name: input.name,
          distributionId: distribution.id,
          source: { ref: input.ref.trim(), commit: input.commit },
          server: input.server ?? 'local',
          ...(input.path !== undefined ? { path: normalizeRoot(input.path) } : {}),
          manifest,
          status: distribution.targetPlatformId ? 'locked' : 'ready',
          createdBy: actor,
        }),
      (p) => ({ actor, action: 'platform.register', subject: platformSubject(p), details: { distribution: distribution.slug, ref: p.source.ref, commit: p.source.commit } }),
    );
  }

  get(key: string): Promise<Platform> {
    return resolvePlatform(this.deps.repos, key);
  }

  list(filter?: PlatformFilter, page?: PageRequest): Promise<Page<Platform>> {
    return this.deps.repos.platforms.list(filter, page);
  }

  /** Deletes a platform that hosts no site and is not a target (Aegir refuses the same). */
  async delete(key: string, actor: Actor = SYSTEM_ACTOR): Promise<void> {
    const platform = await this.get(key);
    const distribution = await this.deps.repos.distributions.get(platform.distributionId);
    if (distribution?.targetPlatformId === platform.id) {
      throw new ConflictError(`Platform \`${platform.name}\` is the upgrade target of \`${distribution.slug}\`; choose another target first.`);
    }
    const counts = await this.deps.repos.sites.countByPlatform([platform.id]);
    const sites = counts[platform.id] ?? 0;
    if (sites > 0) throw new ConflictError(`Platform \`${platform.name}\` still hosts ${plural(sites, 'site')}; migrate or delete them first.`);
    // A migrating site is still counted on its old platform: without this, its new one could vanish under it.
    const active = await this.deps.repos.tasks.list({ type: ['migrate', 'rollback'], state: [...ACTIVE_TASK_STATES] }, ALL_ITEMS);
    const moving = active.items.filter((t) => t.toPlatformId === platform.id || t.fromPlatformId === platform.id);
    if (moving.length) {
      throw new ConflictError(
        `Platform \`${platform.name}\` has ${plural(moving.length, 'migration')} queued or running (task ${moving.map((t) => `#${t.number}`).join(', ')}); ` +
          'wait for them to end or cancel them first.',
      );
    }
    await this.deps.audit.change(
      () => this.deps.repos.platforms.delete(platform.id),
      () => ({ actor, action: 'platform.delete', subject: platformSubject(platform), details: { distribution: distribution?.slug ?? null } }),
    );
    await this.deps.holds.forget('platform', platform.id);
  }
}
