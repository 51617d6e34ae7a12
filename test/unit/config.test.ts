import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('config', () => {
  test('embedded defaults need no environment at all', () => {
    const c = loadConfig({});
    expect(c.role).toBe('all');
    expect(c.mongoUri).toBeNull();
    expect(c.http).toEqual({ host: '127.0.0.1', port: 3000, publicUrl: 'http://localhost:3000', trustProxy: false, connections: { max: 2048, perAddress: 256 } });
    expect(c.devDefaults).toEqual(['SLACK_SIGNING_SECRET', 'LINK_SECRET']);
    expect(c.slack.apiUrl).toBe('https://slack.com/api/');
  });

  test('the embedded database lives in DATA_DIR unless DATABASE_FILE says otherwise', () => {
    expect(loadConfig({ DATA_DIR: '/srv/distro' }).databaseFile).toBe('/srv/distro/distro.db');
    expect(loadConfig({ DATA_DIR: '/srv/distro', DATABASE_FILE: '/var/lib/distro/state.db' }).databaseFile).toBe('/var/lib/distro/state.db');
    expect(() => loadConfig({ DATABASE_FILE: '' })).toThrow(/DATABASE_FILE/);
  });

  test('production fails fast naming every missing variable', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['SLACK_SIGNING_SECRET', 'LINK_SECRET', 'ADMIN_TOKEN']) expect(message).toContain(name);
  });

  test('the advisory feed defaults to the real repository; a file, URL or off can be set; bad values are named', () => {
    expect(loadConfig({}).advisoryFeed).toEqual({
      git: { url: 'https://github.com/drupal-composer/drupal-security-advisories.git', branch: '9.x' },
      file: null,
      pollMinutes: 60,
      maxBytes: 5 * 1024 * 1024,
    });
    const c = loadConfig({ ADVISORY_FEED_URL: 'off', ADVISORY_FEED_FILE: '/etc/distro/advisories.json', ADVISORY_POLL_MINUTES: '15', ADVISORY_FEED_MAX_MB: '2' });
    expect(c.advisoryFeed).toEqual({ git: null, file: '/etc/distro/advisories.json', pollMinutes: 15, maxBytes: 2 * 1024 * 1024 });
    expect(loadConfig({ ADVISORY_FEED_FILE: 'https://example.org/conflicts.json' }).advisoryFeed.file).toBe('https://example.org/conflicts.json');
    expect(() => loadConfig({ ADVISORY_FEED_BRANCH: '-x' })).toThrow(/ADVISORY_FEED_BRANCH: must be a valid git branch name/);
    expect(() => loadConfig({ ADVISORY_POLL_MINUTES: '-1' })).toThrow(/ADVISORY_POLL_MINUTES/);
    expect(() => loadConfig({ ADVISORY_FEED_MAX_MB: '0' })).toThrow(/ADVISORY_FEED_MAX_MB/);
  });

  test('bad values are named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ MONGODB_URI: 'postgres://x' })).toThrow(/MONGODB_URI: must start with mongodb/);
    expect(() => loadConfig({ HOSTING_DRIVER: 'command' })).toThrow(/HOSTING_COMMANDS: required/);
    expect(() => loadConfig({ HOSTING_COMMANDS: '[1,2]' })).toThrow(/HOSTING_COMMANDS: must be a JSON object/);
    expect(() => loadConfig({ ADMIN_USER: 'a' })).toThrow(/set both or neither/);
    expect(() => loadConfig({ DISTRO_ROLE: 'both' })).toThrow(/DISTRO_ROLE/);
    expect(() => loadConfig({ DISTRO_ROLE: 'worker' })).toThrow(/MONGODB_URI: required for DISTRO_ROLE=worker/);
    expect(() => loadConfig({}, { role: 'web' })).toThrow(/MONGODB_URI: required for DISTRO_ROLE=web/);
    // The crash suite's kill switch never reaches production.
    const prod = { NODE_ENV: 'production', SLACK_SIGNING_SECRET: 's', LINK_SECRET: 'l'.repeat(16), ADMIN_TOKEN: 't'.repeat(16) };
    expect(loadConfig(prod).testCrash).toEqual({ point: null, file: null });
    expect(() => loadConfig({ ...prod, DISTRO_TEST_CRASH_AT: 'moveSite:renamed' })).toThrow(/DISTRO_TEST_CRASH_AT.*refused when NODE_ENV=production/);
    expect(loadConfig({ DISTRO_TEST_CRASH_AT: 'moveSite:renamed' }).testCrash.point).toBe('moveSite:renamed');
    expect(() => loadConfig({ MONGODB_FAIL_FAST: 'yes' })).toThrow(/MONGODB_FAIL_FAST/);
    expect(() => loadConfig({ ALLOW_LOCAL_UPSTREAMS: 'yes' })).toThrow(/ALLOW_LOCAL_UPSTREAMS/);
  });

  test('GIT_TIMEOUT_SECONDS: 60 s by default, 1–3600, anything else named', () => {
    expect(loadConfig({}).git.timeoutMs).toBe(60_000);
    expect(loadConfig({ GIT_TIMEOUT_SECONDS: '5' }).git.timeoutMs).toBe(5_000);
    for (const bad of ['0', '3601', 'soon', '1.5']) expect(() => loadConfig({ GIT_TIMEOUT_SECONDS: bad })).toThrow(/GIT_TIMEOUT_SECONDS/);
  });

  test('local upstreams are refused unless the operator allows them', () => {
    expect(loadConfig({}).hosting.allowLocalUpstreams).toBe(false);
    expect(loadConfig({ ALLOW_LOCAL_UPSTREAMS: 'true' }).hosting.allowLocalUpstreams).toBe(true);
  });

  test('values are parsed', () => {
    const c = loadConfig({
      PORT: '8080', PUBLIC_URL: 'https://distro.example.org/', SLACK_CONFIRMERS: 'U1, U2,,', POST_MIGRATE_COMMANDS: 'drush updb -y;; drush cr',
      HOSTING_COMMANDS: '{"backup":"echo {site}"}', MONGODB_URI: 'mongodb://127.0.0.1/distro',
    }, { role: 'worker' });
    expect(c.http.publicUrl).toBe('https://distro.example.org');
    expect(c.slack.confirmers).toEqual(['U1', 'U2']);
    expect(c.hosting.postMigrate).toEqual(['drush updb -y', 'drush cr']);
    expect(c.hosting.commands).toEqual({ backup: 'echo {site}' });
    expect(c.role).toBe('worker');
    expect(c.mongoUri).toBe('mongodb://127.0.0.1/distro');
    expect(c.mongoFailFast).toBe(false);
    expect(loadConfig({ MONGODB_FAIL_FAST: 'true' }).mongoFailFast).toBe(true);
    expect(loadConfig({ MONGODB_FAIL_FAST: '1' }).mongoFailFast).toBe(true);
  });
});
