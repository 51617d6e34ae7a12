/** Wording of `/distro list`, `status` and `show` (issue 18 item 6): placeholders survive Slack, platforms by version. */
import { describe, expect, test } from '@jest/globals';
import type { DistributionDetail } from '../../../src/services/distribution-service.js';
import { listMessage } from '../../../src/slack/blocks/list.js';
import { showMessage } from '../../../src/slack/blocks/show.js';
import { statusMessage } from '../../../src/slack/blocks/status.js';
import { aDistribution, aPlatform } from '../../support/domain-builders.js';
import { blockText } from '../../support/slack-stand-in.js';

/** Every mrkdwn text of the message: what Slack parses for `<…>` links and mentions. */
const mrkdwn = (blocks: unknown): string =>
  JSON.stringify(blocks)
    .match(/"type":"mrkdwn","text":"((?:[^"\\]|\\.)*)"/g)!
    .map((m) => JSON.parse(`{${m}}`) as { text: string })
    .map((m) => m.text)
    .join('\n');

describe('placeholders are escaped (Slack reads <…> as a link and drops it)', () => {
  test('list: `show <distribution>`', () => {
    const distribution = aDistribution(null);
    const m = listMessage([{ distribution, target: null, platformCount: 1, siteCount: 1, outdatedSiteCount: 0, pin: null }]);
    expect(mrkdwn(m.blocks)).toContain('`show &lt;distribution&gt;` for its platforms');
    expect(mrkdwn(m.blocks)).not.toMatch(/<distribution>/);
    expect(blockText(m.blocks)).toContain('1 platform · 1 site');
  });

  test('status without a target: `target <slug> <platform>`', () => {
    const m = statusMessage([{ distribution: aDistribution(null), target: null, groups: [] }]);
    expect(mrkdwn(m.blocks)).toContain('`target social &lt;platform&gt;`');
    expect(mrkdwn(m.blocks)).not.toMatch(/<platform>/);
  });

  test('status: one site is "is behind", several "are behind"', () => {
    const target = aPlatform('social-12.4.2');
    const one = statusMessage([{ distribution: aDistribution(null), target, groups: [{ platform: aPlatform('social-12.3.3'), sites: [{ id: 's', name: 'a.example.org' } as never] }] }]);
    expect(blockText(one.blocks)).toContain('1 site on 1 platform is behind');
  });
});

describe('show', () => {
  test('platforms newest version first, whatever order they were registered in', () => {
    const at = (n: number) => new Date(Date.UTC(2024, 0, n));
    const p = (ref: string, created: number, isTarget = false) => ({
      platform: aPlatform(`social-${ref}`, { source: { ref, commit: 'a'.repeat(40) }, createdAt: at(created) }),
      siteCount: 1,
      isTarget,
      lock: null,
    });
    // Registered out of order (a backport after the newer release); 12.10.0 is newer than 12.9.0.
    const platforms = [p('12.9.0', 1), p('12.10.0', 2, true), p('12.4.2', 3), p('12.10.0-beta1', 4)];
    const d: DistributionDetail = { distribution: aDistribution(null), target: platforms[1]!.platform, platformCount: 4, siteCount: 4, outdatedSiteCount: 3, pin: null, platforms };
    const names = [...blockText(showMessage(d).blocks).matchAll(/`(social-[^`]+)` —/g)].map((m) => m[1]);
    expect(names).toEqual(['social-12.10.0', 'social-12.10.0-beta1', 'social-12.9.0', 'social-12.4.2']);
  });
});
