import { describe, expect, test } from '@jest/globals';
import { firstErrorLine } from '../../../src/lib/first-error-line.js';
import { redactUrl } from '../../../src/lib/redact.js';
import { plural } from '../../../src/lib/plural.js';
import { RecentClicks } from '../../../src/slack/recent-clicks.js';
import { TokenBucket } from '../../../src/slack/token-bucket.js';

describe('plural', () => {
  test('agrees with the count, with thousands separators', () => {
    expect(plural(1, 'site')).toBe('1 site');
    expect(plural(0, 'site')).toBe('0 sites');
    expect(plural(1000, 'site')).toBe('1,000 sites');
    expect(plural(2, 'security fix', 'security fixes')).toBe('2 security fixes');
  });
});

describe('firstErrorLine', () => {
  test('git: the cause, not the generic advice after it', () => {
    const stderr =
      "fatal: '/srv/upstream-moved-away' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\n" +
      'Please make sure you have the correct access rights\nand the repository exists.\n';
    expect(firstErrorLine(stderr)).toBe("fatal: '/srv/upstream-moved-away' does not appear to be a git repository");
  });

  test('tar: the file that failed, not the summary', () => {
    expect(firstErrorLine('tar: site.json: Cannot open: No such file or directory\ntar: Exiting with failure status due to previous errors')).toBe(
      'tar: site.json: Cannot open: No such file or directory',
    );
  });

  test('credentials in URLs are redacted; long lines are cut; empty output has a fallback', () => {
    expect(firstErrorLine("fatal: unable to access 'https://deploy:s3cr3t@git.example.org/x.git/': 403")).toBe(
      "fatal: unable to access 'https://***@git.example.org/x.git/': 403",
    );
    expect(redactUrl('see https://token@github.com/a and ssh://u:p@h/b')).toBe('see https://***@github.com/a and ssh://***@h/b');
    expect(firstErrorLine('x'.repeat(500), 100)).toHaveLength(100);
    expect(firstErrorLine('\n\n')).toBe('failed (no error output)');
  });
});

describe('TokenBucket', () => {
  test('a burst, then the refill rate; a pause empties it until Retry-After has passed', () => {
    let now = 0;
    const bucket = new TokenBucket({ capacity: 3, perMinute: 60, now: () => now });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.waitMs()).toBe(1000);
    now = 1000;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now = 60_000;
    bucket.pause(5000);
    expect(bucket.take()).toBe(false);
    expect(bucket.waitMs()).toBe(5000);
    now = 65_000;
    expect(bucket.take()).toBe(false); // the burst starts empty after a 429
    now = 66_000;
    expect(bucket.take()).toBe(true);
  });
});

describe('RecentClicks', () => {
  test('the same click within the window acts once; after it, again', () => {
    let now = 0;
    const clicks = new RecentClicks(60_000, 2, () => now);
    expect(clicks.first('a')).toBe(true);
    expect(clicks.first('a')).toBe(false);
    expect(clicks.first('b')).toBe(true);
    now = 60_000;
    expect(clicks.first('a')).toBe(true);
    // Bounded: the oldest key is forgotten first.
    expect(clicks.first('c')).toBe(true);
    expect(clicks.first('b')).toBe(true);
  });
});
