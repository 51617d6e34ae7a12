/** Creating or editing a distribution's upstream/policy (re)schedules its recurring poll; bad policies are refused. */
import { describe, expect, test } from '@jest/globals';
import { ValidationError } from '../../src/domain/errors.js';
import { GitUpstreamChecker } from '../../src/upstream/git-checker.js';
import { createServices } from '../../src/services/create-services.js';
import { POLL_JOB, pollScheduleKey } from '../../src/domain/jobs.js';
import { embeddedStore } from '../support/embedded.js';

const setup = () => {
  const { repos, queue } = embeddedStore();
  const jobs = queue();
  const services = createServices({ repos, jobs, checkers: { git: new GitUpstreamChecker({ allowLocalUpstreams: true }) }, defaultPollIntervalMinutes: 15, allowLocalUpstreams: true, links: { secret: 's'.repeat(16), ttlMs: 1000, publicUrl: 'http://x' } });
  const recurring = async (id: string) => (await jobs.list(POLL_JOB)).find((j) => j.recurringKey === pollScheduleKey(id));
  return { services, recurring };
};

const upstream = { kind: 'git' as const, url: 'https://example.org/social.git', branch: 'main', manifestPath: 'composer.lock' };

describe('distribution policy and poll scheduling', () => {
  test('a new distribution with an upstream polls on the configured default interval', async () => {
    const { services, recurring } = setup();
    const d = await services.distributions.create({ slug: 'social', title: 'Social', upstream });
    expect(d.policy).toEqual({ pollIntervalMinutes: 15, autoTarget: true });
    expect((await recurring(d.id))?.intervalMs).toBe(15 * 60_000);
  });

  test('without an upstream nothing is scheduled; adding one schedules, interval 0 cancels', async () => {
    const { services, recurring } = setup();
    const d = await services.distributions.create({ slug: 'social', title: 'Social', policy: { autoTarget: false } });
    expect((await recurring(d.id))).toBeUndefined();
    await services.distributions.update('social', { upstream });
    expect((await recurring(d.id))?.intervalMs).toBe(15 * 60_000);
    const slower = await services.distributions.update('social', { policy: { pollIntervalMinutes: 120 } });
    expect(slower.policy).toEqual({ pollIntervalMinutes: 120, autoTarget: false });
    expect((await recurring(d.id))?.intervalMs).toBe(120 * 60_000);
    await services.distributions.update('social', { policy: { pollIntervalMinutes: 0 } });
    expect((await recurring(d.id))).toBeUndefined();
  });

  test('invalid policies and titles are refused without changing anything', async () => {
    const { services, recurring } = setup();
    const d = await services.distributions.create({ slug: 'social', title: 'Social', upstream });
    await expect(services.distributions.update('social', { policy: { pollIntervalMinutes: -5 } })).rejects.toThrow(ValidationError);
    await expect(services.distributions.update('social', { title: '  ' })).rejects.toMatchObject({ issues: ['title: required'] });
    await expect(services.distributions.create({ slug: 'Bad Slug', title: 'x' })).rejects.toThrow(ValidationError);
    expect((await services.distributions.get('social')).policy.pollIntervalMinutes).toBe(15);
    expect((await recurring(d.id))?.intervalMs).toBe(15 * 60_000);
  });
});
