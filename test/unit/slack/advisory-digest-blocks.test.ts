import { describe, expect, test } from '@jest/globals';
import type { AdvisoryDigest } from '../../../src/services/advisory-service.js';
import { advisoryDigestMessage } from '../../../src/slack/blocks/advisory-digest.js';
import { ACTIONS, LIMITS } from '../../../src/slack/blocks/kit.js';
import { aDistribution, aPlatform } from '../../support/domain-builders.js';
import { blockText, buttonsOf } from '../../support/slack-stand-in.js';

const digest = (over: Partial<AdvisoryDigest> = {}): AdvisoryDigest => ({
  distribution: aDistribution(null),
  exposedSites: 1,
  totalSites: 1200,
  packages: [
    { name: 'drupal/core', sites: 1, versions: ['10.0.11'], fix: { platform: aPlatform('social-12.4.2'), isTarget: true } },
    { name: 'drupal/<b>', sites: 1, versions: ['1', '2', '3', '4', '5', '6'], fix: null },
  ],
  target: aPlatform('social-12.4.2'),
  targetFixes: 0,
  ...over,
});

describe('advisory digest message', () => {
  test('singular and plural, escaped names, what fixes each package, no button when the target fixes no site entirely', () => {
    const m = advisoryDigestMessage(digest(), 'https://distro.example.org/distributions/social?exp=1&sig=x');
    const text = blockText(m.blocks);
    expect(text).toContain('Weekly security digest: 1 site of');
    expect(text).toContain('*1 site* of 1,200 in `social`');
    expect(text).toContain('`drupal/core` 10.0.11: 1 site; the target `social-12.4.2` fixes it');
    expect(text).toContain('`drupal/&lt;b&gt;` 1, 2, 3, 4 and 2 more versions: 1 site; no platform fixes it yet');
    expect(buttonsOf(m.blocks).some((b) => b.action_id === ACTIONS.reviewUpgrades)).toBe(false);
    expect(m.text.length).toBeLessThanOrEqual(LIMITS.notificationText);
  });

  test('a build that fixes it but is not the target is named; Review upgrades counts the sites the target fixes', () => {
    const d = digest({
      exposedSites: 40,
      targetFixes: 12,
      packages: [{ name: 'drupal/swiftmailer', sites: 40, versions: ['2.3.0'], fix: { platform: aPlatform('social-12.4.3'), isTarget: false } }],
    });
    const m = advisoryDigestMessage(d, null);
    expect(blockText(m.blocks)).toContain('`drupal/swiftmailer` 2.3.0: 40 sites; `social-12.4.3` fixes it (not the target yet)');
    expect(JSON.stringify(m.blocks)).toContain('Review upgrades (12 sites)');
    expect(m.text).toBe('Weekly security digest: 40 sites of social still exposed; the target fixes 12 sites.');
  });

  test('hundreds of packages still fit, the rest counted', () => {
    const packages = Array.from({ length: 400 }, (_, i) => ({ name: `drupal/module_${i}`, sites: 3, versions: ['1.0.0'], fix: null }));
    const m = advisoryDigestMessage(digest({ packages, exposedSites: 900 }), null);
    for (const b of m.blocks as Array<{ text?: { text: string } }>) if (b.text?.text) expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(blockText(m.blocks)).toMatch(/…and [\d,]+ more/);
  });
});
