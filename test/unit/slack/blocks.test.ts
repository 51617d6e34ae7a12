import { describe, expect, test } from '@jest/globals';
import type { CompareCounts, CompareResult, PackageChange } from '../../../src/domain/compare/types.js';
import type { Distribution } from '../../../src/domain/distribution.js';
import { ConflictError, NotFoundError, RuleViolationError, ValidationError } from '../../../src/domain/errors.js';
import type { Platform } from '../../../src/domain/platform.js';
import type { Site } from '../../../src/domain/site.js';
import type { Task, TaskState } from '../../../src/domain/task.js';
import type { UpgradePlan } from '../../../src/domain/upgrade-plan.js';
import type { PlanView } from '../../../src/services/upgrade-service.js';
import { compareMessage, countsLine } from '../../../src/slack/blocks/compare-summary.js';
import { errorMessage } from '../../../src/slack/blocks/errors.js';
import { cutText, fitLines } from '../../../src/slack/blocks/fit-lines.js';
import { ACTIONS, LIMITS, listWithMore, withinBlockLimit, section, type Block } from '../../../src/slack/blocks/kit.js';
import { announcementMessage } from '../../../src/slack/blocks/announcement.js';
import { appHomeView } from '../../../src/slack/blocks/app-home.js';
import { statusMessage } from '../../../src/slack/blocks/status.js';
import { taskFailureMessage, taskLine } from '../../../src/slack/blocks/task-list.js';
import { planMessage } from '../../../src/slack/blocks/upgrade-plan.js';
import { blockText, buttonsOf, type LooseJson } from '../../support/slack-stand-in.js';
import { newTaskRecord } from '../../../src/persistence/records.js';
import { assignWaves, newRolloutRecord, type Rollout } from '../../../src/domain/rollout.js';

const at = new Date('2025-01-02T03:04:05Z');
const ZERO: CompareCounts = { upgrade: 0, downgrade: 0, unknown: 0, same: 0, added: 0, missing: 0, securityFixes: 0, securityOpen: 0, warnings: 0, errors: 0 };

const platform = (id: string, name: string): Platform => ({
  id,
  name,
  distributionId: 'd1',
  source: { ref: name, commit: 'abc1234' },
  manifest: { format: 'none', packages: [], files: {} },
  status: 'ready',
  createdBy: { kind: 'system' },
  server: 'local',
  path: null,
  buildLog: [], buildLogDropped: 0, buildLeaseUntil: null,
  createdAt: at,
  updatedAt: at,
});

const site = (n: number, platformId: string): Site => ({
  id: `s${n}`,
  name: `site${n}.example.org`,
  platformId,
  status: 'enabled',
  modules: [],
  history: [],
  createdAt: at,
  updatedAt: at,
});

const pkg = (name: string, from: string | null, to: string | null, extra: Partial<PackageChange> = {}): PackageChange => ({
  name,
  from,
  to,
  change: from && to ? 'upgrade' : to ? 'added' : 'missing',
  severity: 'ok',
  ...extra,
});

const result = (packages: PackageChange[], counts: Partial<CompareCounts>): CompareResult => ({
  from: { id: 'p1', name: 'social-12.3.3' },
  to: { id: 'pt', name: 'social-12.4.2' },
  packages,
  counts: { ...ZERO, ...counts },
  files: [],
});

const distribution: Distribution = {
  id: 'd1',
  slug: 'social',
  title: 'Open Social 12',
  description: '',
  channel: 'C1',
  upstream: null,
  policy: { pollIntervalMinutes: 0, autoTarget: true },
  targetPlatformId: 'pt',
  pollState: {}, lastPoll: null,
  createdAt: at,
  updatedAt: at,
};

const SECURE = pkg('drupal/core', '10.2.1', '10.2.5', { change: 'upgrade', security: { currentInsecure: true, targetInsecure: false, fixed: true } });
const DOWNGRADE = pkg('symfony/yaml', '6.4.2', '6.4.1', { change: 'downgrade', severity: 'warning', reason: 'Library downgrade.' });
const SCHEMA = pkg('drupal/social_event', '12.4.0', '12.3.0', { change: 'downgrade', severity: 'error', reason: 'Downgrade of Drupal code.' });

interface ViewOptions {
  state?: UpgradePlan['state'];
  blocked?: boolean;
  stale?: boolean;
  groups?: number;
  sitesPerGroup?: number;
  compare?: CompareResult;
  taskStates?: TaskState[];
  /** Task errors by index (failed tasks). */
  errors?: Record<number, string>;
  /** What Confirm recorded as skipped; null while it is still scheduling. */
  skipped?: UpgradePlan['skipped'];
  movable?: number;
  /** The wave plan and next window before Confirm. */
  preview?: string | null;
}

const view = (o: ViewOptions = {}): PlanView => {
  const target = platform('pt', 'social-12.4.2');
  const groups = Array.from({ length: o.groups ?? 1 }, (_, g) => {
    const from = platform(`p${g}`, `social-12.3.${g}`);
    const sites = Array.from({ length: o.sitesPerGroup ?? 2 }, (_, i) => site(g * 1000 + i, from.id));
    return { from, sites, compare: o.compare ?? result([pkg('drupal/group', '3.2.0', '3.3.0')], { upgrade: 1, same: 10 }) };
  });
  const moves = groups.flatMap((g) => g.sites.map((s) => ({ siteId: s.id, siteName: s.name, fromPlatformId: g.from.id })));
  const tasks: Task[] = (o.taskStates ?? []).map((state, i) => ({
    ...newTaskRecord(
      {
        type: 'migrate',
        subject: { kind: 'site', id: moves[i]!.siteId, name: moves[i]!.siteName },
        fromPlatformId: moves[i]!.fromPlatformId,
        toPlatformId: 'pt',
        planId: 'plan1',
        requestedBy: { kind: 'user', id: 'U0ALICE', name: 'alice' },
        confirmedBy: { kind: 'user', id: 'U0BOB', name: 'bob' },
      },
      i + 1,
      at,
    ),
    id: `t${i}`,
    state,
    error: o.errors?.[i] ?? null,
  }));
  const plan: UpgradePlan = {
    id: 'plan1',
    distributionId: 'd1',
    targetPlatformId: 'pt',
    scope: { kind: 'distribution', slug: 'social' },
    moves,
    blocked: o.blocked ?? false,
    state: o.state ?? 'pending',
    requestedBy: { kind: 'user', id: 'U0ALICE', name: 'alice' },
    confirmedBy: o.state === 'confirmed' || o.state === 'cancelled' ? { kind: 'user', id: 'U0BOB', name: 'bob' } : null,
    taskIds: tasks.map((t) => t.id),
    skipped: o.skipped !== undefined ? o.skipped : o.state === 'confirmed' ? [] : null,
    message: null,
    createdAt: at,
    updatedAt: at,
  };
  return { plan, distribution, target, groups, tasks, stale: o.stale ?? false, movable: o.movable ?? moves.length, rollout: null, held: [], preview: o.preview ?? null };
};

const compareUrl = (from: string, to: string): string => `https://distro.example.org/compare/${from}/${to}?sig=x`;

describe('upgrade summary', () => {
  test('pending: the wave plan and the next window come right before Confirm; none once confirmed', () => {
    const preview = 'canary: alumni; then 3 batches of 4; next window Tue 01:00 Europe/Amsterdam, in 7 h';
    const blocks = planMessage(view({ preview }), { compareUrl }).blocks;
    const text = blockText(blocks);
    expect(text).toContain(`:calendar: *Rollout plan:* ${preview}`);
    const at = blocks.findIndex((b) => JSON.stringify(b).includes('Rollout plan'));
    const confirmAt = blocks.findIndex((b) => JSON.stringify(b).includes(ACTIONS.confirm));
    expect(at).toBeGreaterThan(-1);
    expect(confirmAt).toBe(at + 1);
    expect(blockText(planMessage(view({ preview: null }), { compareUrl }).blocks)).not.toContain('Rollout plan');
    expect(blockText(planMessage(view({ preview: '<!channel> *x*' }), { compareUrl }).blocks)).toContain('&lt;!channel&gt;');
  });

  test('pending: which sites move from which platform to which target, counts, Compare link, Confirm + Cancel', () => {
    const m = planMessage(view({ groups: 2 }), { compareUrl });
    const text = blockText(m.blocks);
    expect(text).toContain('*From `social-12.3.0` → `social-12.4.2`*');
    expect(text).toContain('*From `social-12.3.1` → `social-12.4.2`*');
    expect(text).toContain('`site0.example.org`, `site1.example.org`');
    expect(text).toContain('`site1000.example.org`');
    expect(text).toContain(':arrow_up: 1 upgrade · :arrow_down: 0 downgrades · :heavy_minus_sign: 0 missing · :heavy_plus_sign: 0 added');
    const buttons = buttonsOf(m.blocks);
    expect(buttons.filter((b) => b.url).map((b) => b.url)).toEqual([compareUrl('p0', 'pt'), compareUrl('p1', 'pt')]);
    const confirm = buttons.find((b) => b.action_id === ACTIONS.confirm)!;
    expect(confirm).toMatchObject({ value: 'plan1', style: 'primary' });
    expect(blockText(confirm.confirm)).toContain('Migrate 4 sites to `social-12.4.2`?');
    expect(buttons.find((b) => b.action_id === ACTIONS.cancel)).toMatchObject({ value: 'plan1' });
    // Action ids must be unique within a message.
    const ids = buttons.map((b) => b.action_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('security fixes come first, then what blocks, then warnings; downgrades get a warning marker', () => {
    const compare = result([SECURE, SCHEMA, DOWNGRADE], { upgrade: 1, downgrade: 2, securityFixes: 1, warnings: 1, errors: 1 });
    const text = blockText(planMessage(view({ compare, blocked: true }), { compareUrl }).blocks);
    expect(countsLine(compare.counts).startsWith(':lock: 1 security fix ·')).toBe(true);
    const security = text.indexOf('*Security fixes:* `drupal/core` 10.2.1 → 10.2.5');
    const blocking = text.indexOf('*Blocking:* `drupal/social_event` 12.4.0 → 12.3.0');
    const check = text.indexOf('*Check:* `symfony/yaml` 6.4.2 → 6.4.1 (Library downgrade.)');
    expect(security).toBeGreaterThan(-1);
    expect(blocking).toBeGreaterThan(security);
    expect(check).toBeGreaterThan(blocking);
    expect(text).toContain(':no_entry: :warning:');
  });

  test('blocked: no Confirm button, the reason instead, Cancel kept', () => {
    const m = planMessage(view({ blocked: true }), { compareUrl });
    const ids = buttonsOf(m.blocks).map((b) => b.action_id);
    expect(ids).not.toContain(ACTIONS.confirm);
    expect(ids).toContain(ACTIONS.cancel);
    expect(blockText(m.blocks)).toContain('*Cannot be confirmed:*');
    expect(blockText(m.blocks)).not.toContain('The others can go on their own');
  });

  test('blocked batch: the platforms without errors are offered as their own upgrades', () => {
    const v = view({ blocked: true, groups: 3 });
    v.groups[1] = { ...v.groups[1]!, compare: result([SCHEMA], { downgrade: 1, errors: 1 }) };
    const text = blockText(planMessage(v, { compareUrl }).blocks);
    expect(text).toContain('The others can go on their own: `upgrade --platform social-12.3.0`, `upgrade --platform social-12.3.2`.');
  });

  test('confirmed: per-site task state; finished with migrated sites: only Roll back, behind a confirmation dialog', () => {
    const m = planMessage(view({ state: 'confirmed', taskStates: ['succeeded', 'failed'] }), { compareUrl });
    const text = blockText(m.blocks);
    expect(text).toContain(':white_check_mark: `site0.example.org` — succeeded (task #1)');
    expect(text).toContain(':x: `site1.example.org` — failed: see the log · task #2');
    expect(text).toContain('*Confirmed* by <@U0BOB> — *finished with failures*: :x: 1 failed · :white_check_mark: 1 succeeded.');
    // Failures come before successes.
    expect(text.indexOf('site1.example.org')).toBeLessThan(text.indexOf('site0.example.org'));
    const [rollback, ...others] = buttonsOf(m.blocks).filter((b) => !b.url);
    expect(others).toEqual([]);
    expect(rollback).toMatchObject({ action_id: 'distro_plan_rollback', style: 'danger', text: { text: 'Roll back 1 site' } });
    expect(rollback!.confirm).toBeDefined();
  });

  test('no Roll back while migrations still run, nor when none succeeded', () => {
    for (const taskStates of [['succeeded', 'processing'], ['failed', 'failed']] as const) {
      const m = planMessage(view({ state: 'confirmed', taskStates: [...taskStates] }), { compareUrl });
      expect(buttonsOf(m.blocks).filter((b) => !b.url)).toEqual([]);
    }
  });

  test('pinned sites of the scope are listed as held, with who and why', () => {
    const v = view({ groups: 1 });
    const site = v.groups[0]!.sites[0]!;
    v.held = [{ site: { ...site, name: 'held.example.org' }, hold: { kind: 'site', subjectId: site.id, reason: 'waiting for client sign-off', by: { kind: 'user', id: 'U0CAROL' }, at: new Date(0) } }];
    const text = blockText(planMessage(v, { compareUrl }).blocks);
    expect(text).toContain('*Held out (1)*');
    expect(text).toMatch(/:pushpin: pinned by <@U0CAROL> .*: _waiting for client sign-off_ `held.example.org`/);
  });

  test('stale and cancelled plans lose their buttons', () => {
    for (const v of [view({ stale: true }), view({ state: 'stale', stale: true }), view({ state: 'cancelled' })]) {
      const m = planMessage(v, { compareUrl });
      expect(buttonsOf(m.blocks).filter((b) => !b.url)).toEqual([]);
    }
    expect(blockText(planMessage(view({ stale: true }), { compareUrl }).blocks)).toContain('*Out of date:*');
    expect(blockText(planMessage(view({ state: 'cancelled' }), { compareUrl }).blocks)).toContain('*Cancelled* by <@U0BOB>');
  });

  test('huge plans stay within Slack limits and say how much was left out', () => {
    const m = planMessage(view({ groups: 40, sitesPerGroup: 60, state: 'confirmed', taskStates: Array(200).fill('queued') }), { compareUrl });
    expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    for (const b of m.blocks as Array<LooseJson>) {
      if (b.text?.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
    const text = blockText(m.blocks);
    expect(text).toContain('…and 45 more'); // 60 sites, 15 shown per platform
    expect(text).toContain('…and 30 more platforms with 1,800 sites');
    // 200 queued sites do not fit one section: the rest is counted, never cut mid-line.
    expect(text).toMatch(/\*Queued \(200\)\*\n(.+\n)+…and \d+ more/);
    // With the plan page known, every "…and N more" leads to the page that lists them all.
    const linked = blockText(
      planMessage(view({ groups: 40, sitesPerGroup: 60, state: 'confirmed', taskStates: Array(200).fill('queued') }), {
        compareUrl,
        planUrl: (id) => `https://distro.example.org/upgrades/${id}?sig=x`,
      }).blocks,
    );
    expect(linked).toContain('<https://distro.example.org/upgrades/plan1?sig=x|…and 45 more>');
    expect(linked).toContain('<https://distro.example.org/upgrades/plan1?sig=x|…and 30 more platforms with 1,800 sites>');
    expect(linked).toMatch(/<https:\/\/distro\.example\.org\/upgrades\/plan1\?sig=x\|…and \d+ more>$/m);
    const pending = planMessage(view({ groups: 40, sitesPerGroup: 3 }), { compareUrl });
    expect(pending.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(pending.blocks[pending.blocks.length - 1]!.type).toBe('actions');
  });

  test('waiting sites are grouped per wave, in wave order, and the summary shows no internal id', () => {
    const v = view({ groups: 2, sitesPerGroup: 10, state: 'confirmed', taskStates: ['processing'] });
    const waves = assignWaves(v.plan.moves, { canaries: 1, batchSize: 8 });
    // The canary wave runs (its one site has a task); waves 2 to 4 wait.
    waves[0] = { ...waves[0]!, state: 'running', sites: waves[0]!.sites.map((s) => ({ ...s, taskId: 't0' })) };
    const rollout: Rollout = {
      ...newRolloutRecord({ planId: 'plan1', distributionId: 'd1', targetPlatformId: 'pt', waves, failureThreshold: 0, createdBy: { kind: 'user', id: 'U0BOB', name: 'bob' } }, 3, at),
      id: 'r-internal-1',
      state: 'running',
    };
    // The task of the canary site (assignWaves sorts by name; the view's first move is the first by name too).
    expect(waves[0]!.sites[0]!.siteId).toBe(v.plan.moves[0]!.siteId);
    const m = planMessage({ ...v, rollout }, { compareUrl, planUrl: (id) => `https://distro.example.org/upgrades/${id}?sig=x` });
    const text = blockText(m.blocks);
    expect(text).toContain('*Waiting for a later wave (19)*');
    const waveLines = text.split('\n').filter((l) => l.startsWith(':double_vertical_bar: *Wave'));
    expect(waveLines.map((l) => /\*Wave (\d+)\*: (\d+) sites?/.exec(l)!.slice(1).join(':'))).toEqual(['2:8', '3:8', '4:3']);
    expect(waveLines[2]).toContain(`\`${waves[3]!.sites[0]!.siteName}\``);
    expect(text).not.toContain('waits for its wave');
    // Link targets aside, what a reader sees names no plan or rollout id.
    const visible = text.replace(/<[^|>]+\|/g, '<');
    expect(visible).not.toContain('plan1');
    expect(visible).not.toContain('r-internal-1');
    expect(JSON.stringify(m.blocks)).toContain('<https://distro.example.org/upgrades/plan1?sig=x|All sites and tasks of this upgrade>');
  });
});

describe('kit limits', () => {
  test('withinBlockLimit keeps trailing actions and notes what was dropped', () => {
    const blocks: Block[] = [...Array.from({ length: 60 }, (_, i) => section(`s${i}`)), { type: 'actions', elements: [] }];
    const out = withinBlockLimit(blocks, 50);
    expect(out).toHaveLength(50);
    expect(out[49]!.type).toBe('actions');
    expect(blockText(out[48])).toBe('…and 12 more (too long for one Slack message)');
  });

  test('fitLines and listWithMore', () => {
    expect(listWithMore(['a', 'b', 'c'], 2)).toBe('a, b …and 1 more');
    expect(listWithMore(['a', 'b', 'c'], 2, ', ', 'https://x/all')).toBe('a, b <https://x/all|…and 1 more>');
    expect(listWithMore(['a', 'b'], 2)).toBe('a, b');
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const text = fitLines(lines, { maxChars: 3000 });
    expect(text.length).toBeLessThanOrEqual(3000);
    const shown = text.split('\n');
    const hidden = Number(/…and (\d+) more$/.exec(text)![1]);
    expect(shown.length - 1 + hidden).toBe(500); // every line is either shown whole or counted
    expect(shown.slice(0, -1)).toEqual(lines.slice(0, shown.length - 1));
    expect(fitLines(['a', 'b'], { maxChars: 3000 })).toBe('a\nb');
  });

  test('cutText cuts at a line or a space, never inside a code span, a link or a code block', () => {
    const spans = `200 sites on 15 platforms\n${Array.from({ length: 200 }, (_, i) => `\`site-${i}.example.org\``).join(', ')}`;
    const cut = cutText(spans, 300);
    expect(cut.length).toBeLessThanOrEqual(300);
    expect(cut.endsWith('…')).toBe(true);
    expect((cut.match(/`/g) ?? []).length % 2).toBe(0);
    const oneLine = `${'word '.repeat(10)}<https://distro.example.org/a-very-long-link|see all of them here> tail`;
    expect(cutText(oneLine, 70)).toBe(`${'word '.repeat(10).trimEnd()} …`);
    const block = '```' + Array.from({ length: 100 }, (_, i) => `log line ${i}`).join('\n') + '```';
    const cb = cutText(block, 200);
    expect(cb.startsWith('```')).toBe(true);
    expect(cb.endsWith('```')).toBe(true);
    expect(cb.length).toBeLessThanOrEqual(200);
    expect(section(spans.repeat(20)).type).toBe('section');
  });
});

describe('compare message', () => {
  test('counts, security fixes first, full compare link', () => {
    const m = compareMessage(result([SECURE, DOWNGRADE, pkg('drupal/group', '3.2.0', '3.3.0')], { upgrade: 2, downgrade: 1, securityFixes: 1, warnings: 1 }), 'https://x/compare');
    const text = blockText(m.blocks);
    expect(text.indexOf('Security fixes')).toBeLessThan(text.indexOf('*Check:*'));
    expect(text).toContain('*Other changes:* `drupal/group` 3.2.0 → 3.3.0');
    expect(buttonsOf(m.blocks)[0]).toMatchObject({ url: 'https://x/compare' });
  });
});

describe('errorMessage: the one error mapping', () => {
  const logged: unknown[] = [];
  const logger = { error: (obj: object) => void logged.push(obj) };

  test('NotFoundError: the message and the corrected command', () => {
    const m = errorMessage(new NotFoundError('site', 'comunity.example.org', 'community.example.org'), logger, {
      commandText: 'upgrade comunity.example.org',
      slashCommand: '/distro',
    });
    const text = blockText(m.blocks);
    expect(text).toContain('No site named `comunity.example.org`. Did you mean `community.example.org`?');
    expect(text).toContain('Try `/distro upgrade community.example.org`');
  });

  test('ValidationError lists issues; a rule violation shows its hint', () => {
    expect(blockText(errorMessage(new ValidationError('Invalid site.', ['name: a host name']), logger).blocks)).toContain('• name: a host name');
    const m = errorMessage(new ConflictError('Cannot post here.', { hint: 'Invite me.' }), logger);
    expect(blockText(m.blocks)).toContain('Invite me.');
    expect(blockText(errorMessage(new RuleViolationError('Locked <platform>'), logger).blocks)).toContain('Locked &lt;platform&gt;');
  });

  test('unknown errors: generic text with an id that is logged with the error', () => {
    const before = logged.length;
    const boom = new Error('secret internals');
    const m = errorMessage(boom, logger);
    const id = /error id `([0-9a-f]{8})`/.exec(blockText(m.blocks))?.[1];
    expect(id).toBeDefined();
    expect(blockText(m.blocks)).not.toContain('secret internals');
    expect(logged.slice(before)).toEqual([{ err: boom, errorId: id }]);
  });
});

test('task failure thread reply shows the log tail, escaped', () => {
  const v = view({ state: 'confirmed', taskStates: ['failed'] });
  const task: Task = {
    ...v.tasks[0]!,
    error: 'verify failed',
    log: Array.from({ length: 30 }, (_, i) => ({ at, level: i === 29 ? 'error' : 'info', message: `step ${i} <ok>` })),
  };
  const text = blockText(taskFailureMessage(task).blocks);
  expect(text).toContain('failed: verify failed');
  expect(text).toContain('2025-01-02T03:04:05.000Z ERROR step 29 &lt;ok&gt;');
  expect(text).toContain('step 15 ');
  expect(text).not.toContain('step 14 ');
});

describe('fleet-sized replies', () => {
  const target = platform('pt', 'social-12.4.2');
  const fleet = (platforms: number, sitesEach: number) => ({
    distribution,
    target,
    groups: Array.from({ length: platforms }, (_, g) => {
      const p = platform(`p${g}`, `social-12.${g}.0-with-a-longer-build-name`);
      return { platform: p, sites: Array.from({ length: sitesEach }, (_, i) => site(g * 1000 + i, p.id)) };
    }),
  });

  test('status of 200 sites on 15 platforms: whole lines only, and what is left out is counted and linked', () => {
    const m = statusMessage([fleet(15, 14)], { distributionUrl: (slug) => `https://distro.example.org/distributions/${slug}?sig=x` });
    const text = blockText(m.blocks);
    expect(text).toContain('210 sites on 15 platforms are behind `social-12.4.2`');
    for (const b of m.blocks as Array<LooseJson>) {
      const t: string = b.text?.text ?? '';
      expect(t.length).toBeLessThanOrEqual(LIMITS.sectionText);
      expect((t.match(/`/g) ?? []).length % 2).toBe(0); // no code span left open
    }
    const shown = (text.match(/^• /gm) ?? []).length;
    expect(shown).toBeLessThan(15);
    expect(text).toContain(`<https://distro.example.org/distributions/social?sig=x|…and ${15 - shown} more platforms> (${(15 - shown) * 14} sites)`);
    expect(text).toContain('<https://distro.example.org/distributions/social?sig=x|…and 4 more>'); // 14 sites, 10 named per platform
  });

  test('wording: one site, one platform, one distribution', () => {
    const one = statusMessage([fleet(1, 1)]);
    expect(blockText(one.blocks)).toContain('1 site on 1 platform is behind');
    expect(one.text).toBe('1 out-of-date site');
  });

  test('an automatic target change is attributed to the poll, and its notification text is one short line', () => {
    const outdated = { distribution, target, groups: fleet(15, 14).groups };
    const m = announcementMessage({ distribution, target, previous: null, compare: null, outdated, actor: { kind: 'poll' }, compareUrl: null });
    expect(blockText(m.blocks)).toContain('Set automatically: the update poll found this build.');
    expect(blockText(m.blocks)).not.toContain('Set by');
    expect(m.text).toBe('New upgrade target for social: social-12.4.2. 210 sites out of date.');
    expect(m.text.length).toBeLessThanOrEqual(LIMITS.notificationText);
    const byHand = announcementMessage({ distribution, target, previous: null, compare: null, outdated, actor: { kind: 'user', id: 'U0ALICE' }, compareUrl: null });
    expect(blockText(byHand.blocks)).toContain('Set by <@U0ALICE>.');
  });

  test('a failed task shows the first meaningful line of its error, not raw tar output', () => {
    const task = { ...view({ state: 'confirmed', taskStates: ['failed'] }).tasks[0]!, error: 'tar: site.json: Cannot open: No such file or directory\ntar: Exiting with failure status due to previous errors' };
    const line = taskLine(task);
    expect(line).toContain('tar: site.json: Cannot open: No such file or directory');
    expect(line).not.toContain('Exiting with failure status');
    expect(line.split('\n')).toHaveLength(2);
  });

  test('a failed site in the summary and the task list keeps the error’s last line whole and shortens the command', () => {
    const command = `\`drush --root=/var/aegir/platforms/${'very-long-platform-directory-name/'.repeat(4)}web updb -y\``;
    const cause = 'SQLSTATE[42S02]: Base table or view not found: 1146 Table \'social.group_content_field_data\' doesn\'t exist';
    const error = `${command} exited with 1: [notice] Update started: social_group_update_11001\n${'  > [notice] step\n'.repeat(30)}${cause}`;
    const v = view({ state: 'confirmed', taskStates: ['failed'] });
    v.tasks[0] = { ...v.tasks[0]!, error };
    const summary = blockText(planMessage(v, { compareUrl }).blocks);
    const listed = taskLine(v.tasks[0]!);
    for (const text of [summary, listed]) {
      expect(text).toContain(cause);
      expect(text).toContain('exited with 1');
      expect(text).not.toContain('very-long-platform-directory-name/'.repeat(4));
    }
  });

  test('App Home dates are Slack dates, shown in the reader’s time zone', () => {
    const home = appHomeView([], [], at);
    expect(blockText(home.blocks)).toContain(`Updated <!date^${at.getTime() / 1000}^{date_short_pretty} {time}|${at.toISOString()}>`);
    expect(blockText(home.blocks)).toContain('*0 distributions* · *0 sites* out of date · *0 tasks* running or queued');
  });

  test('a confirmed plan still scheduling says so instead of calling sites skipped', () => {
    const v = view({ state: 'confirmed', taskStates: ['processing'], skipped: null, sitesPerGroup: 3 });
    const text = blockText(planMessage(v, { compareUrl }).blocks);
    expect(text).toContain('scheduling (1 of 3 so far)');
    expect(text).toContain('*Being scheduled (2)*');
    expect(text).not.toContain('skipped');
  });
});
