/** Advisory messages and the App Home section stay within Slack's limits at fleet scale and say the way out. */
import { describe, expect, test } from '@jest/globals';
import type { AdvisoryEvent } from '../../../src/domain/advisory-feed.js';
import type { EventAssessment } from '../../../src/services/advisory-service.js';
import { advisoryAnnouncementMessage, advisoryFixedMessage } from '../../../src/slack/blocks/advisory-announcement.js';
import { appHomeView } from '../../../src/slack/blocks/app-home.js';
import { LIMITS, type Block } from '../../../src/slack/blocks/kit.js';
import { aDistribution, aPlatform, aSite } from '../../support/domain-builders.js';
import { blockText } from '../../support/slack-stand-in.js';

const event: AdvisoryEvent = {
  id: 'e1',
  seq: 2,
  source: 'git:x#9.x',
  snapshotId: 's2',
  previousSnapshotId: 's1',
  commit: 'a'.repeat(40),
  at: new Date('2024-10-16T12:00:00Z'),
  changes: [],
  initial: false,
  announced: false,
};

const withinLimits = (blocks: Block[]) => {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
  for (const b of blocks as Array<{ type: string; text?: { text: string } }>) {
    if (b.type === 'header') expect(b.text!.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    else if (b.text?.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
  }
};

/** 300 platforms of 1,000 sites each exposed by 40 packages: everything still fits, with the rest counted. */
const huge = (fix: boolean): EventAssessment => {
  const platforms = Array.from({ length: 300 }, (_, i) => ({
    platform: aPlatform(`social-12.${i}.0`),
    packages: Array.from({ length: 40 }, (_, k) => ({ name: `drupal/package_with_a_long_name_${k}`, version: `1.${i}.${k}` })),
    sites: Array.from({ length: 1000 }, (_, k) => aSite(`s${i}-${k}.example.org`)),
  }));
  return {
    event,
    distribution: { ...aDistribution(null), title: 'Open Social 12' },
    packages: platforms[0]!.packages.map((p) => p.name),
    platforms,
    exposedSites: 300_000,
    fix: fix ? { platform: aPlatform('social-12.9.9'), sitesToMove: 300_000 } : null,
  };
};

describe('advisory announcement', () => {
  test('at fleet scale it fits Slack limits and counts what it leaves out', () => {
    const m = advisoryAnnouncementMessage(huge(true), 'https://distro.example.org/advisories/e1?exp=1&sig=x');
    withinLimits(m.blocks);
    expect(m.text.length).toBeLessThanOrEqual(LIMITS.notificationText);
    const text = blockText(m.blocks);
    expect(text).toContain('300,000 sites of Open Social 12 newly exposed');
    expect(text).toMatch(/…and [\d,]+ more/);
    expect(text).toContain('The target `social-12.9.9` fixes it.');
    expect(JSON.stringify(m.blocks)).toContain('Review upgrades (300,000 sites)');
  });

  test('without a fix it says so and offers no button; text from upstream is escaped', () => {
    const a = huge(false);
    a.distribution = { ...a.distribution, title: '<!channel> & co' };
    const m = advisoryAnnouncementMessage(a, null);
    expect(blockText(m.blocks)).toContain('No platform of this distribution fixes it yet');
    expect(JSON.stringify(m.blocks)).not.toContain('distro_review_upgrades');
    // Headers are plain text (never a mention); mrkdwn sections never carry the title unescaped.
    const mrkdwn = (m.blocks as Array<{ type: string; text?: { type: string; text: string } }>).filter((b) => b.text?.type === 'mrkdwn');
    expect(mrkdwn.map((b) => b.text!.text).join('\n')).not.toContain('<!channel>');
    expect(blockText(m.blocks)).toContain('and 294 more versions');
  });

  test('the follow-up names the build and offers Review upgrades only when it is the target', () => {
    const base = { event, platform: aPlatform('social-12.4.3'), distribution: aDistribution(null), exposedSites: 6 };
    expect(JSON.stringify(advisoryFixedMessage({ ...base, isTarget: true }).blocks)).toContain('Review upgrades (6 sites)');
    const notTarget = advisoryFixedMessage({ ...base, isTarget: false });
    expect(blockText(notTarget.blocks)).toContain('it is not the upgrade target of `social` yet');
    expect(JSON.stringify(notTarget.blocks)).not.toContain('distro_review_upgrades');
  });
});

describe('App Home', () => {
  test('a security section lists exposed distributions and the feed', () => {
    const distribution = aDistribution(null);
    const home = appHomeView([], [], new Date(), {
      summary: [{ distribution, exposedSites: 7, totalSites: 9, packages: [{ name: 'drupal/core', sites: 7 }], target: aPlatform('social-12.4.2'), targetExposed: [] }],
      feeds: [{ source: 'git:x', label: 'github.com/drupal-composer/drupal-security-advisories', snapshot: { commit: 'b'.repeat(40), fetchedAt: new Date(), packages: 248 }, lastError: null, lastCheckedAt: null }],
    });
    const text = blockText(home.blocks);
    expect(text).toContain('Security exposure');
    expect(text).toContain('7 sites of 9 exposed: `drupal/core` (7); the target `social-12.4.2` fixes them');
    expect(text).toContain('at `bbbbbbbbbb` (248 packages)');
    expect(home.blocks.length).toBeLessThanOrEqual(LIMITS.homeBlocks);
  });
});
