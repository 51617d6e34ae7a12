/** Application services on given ports, with the real advisory map, for service-level and e2e tests. */
import { loadAdvisories } from '../../src/advisories/load-advisories.js';
import type { AdvisoryFeedReader, JobQueue, Repositories } from '../../src/domain/ports.js';
import type { DomainEvent } from '../../src/domain/ports.js';
import { createServices } from '../../src/services/create-services.js';
import { EventBus } from '../../src/services/event-bus.js';
import type { Services } from '../../src/services/services.js';
import { join } from 'node:path';
import { FIXTURES_DIR } from './fixtures.js';

export const ADVISORIES_FILE = join(FIXTURES_DIR, 'drupal-security-advisories', 'composer.json');
export const LINK_SECRET = 'test-link-secret-0123456789abcdef';

export interface Harness {
  services: Services;
  repos: Repositories;
  jobs: JobQueue;
  /** Every event published, in order. */
  events: DomainEvent[];
}

export const createHarness = (repos: Repositories, jobs: JobQueue, publicUrl = 'http://127.0.0.1:1', advisoryFeeds?: AdvisoryFeedReader[]): Harness => {
  const published: DomainEvent[] = [];
  const bus = new EventBus();
  bus.subscribe((e) => {
    published.push(e);
  });
  const services = createServices({
    repos,
    jobs,
    events: bus,
    advisories: () => loadAdvisories(ADVISORIES_FILE),
    ...(advisoryFeeds ? { advisoryFeeds } : {}),
    links: { secret: LINK_SECRET, ttlMs: 3_600_000, publicUrl },
    allowLocalUpstreams: true,
  });
  return { services, repos, jobs, events: published };
};
