import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DRIVER_STEPS, MIGRATION_STEP_SPECS, MIGRATION_STEPS } from '../../../src/domain/migration-steps.js';
import { COMMAND_STEPS, CommandDriver, STEP_PLACEHOLDERS, type CommandTemplates } from '../../../src/hosting/command-driver.js';
import { templateProblems } from '../../../src/hosting/command-templates.js';
import { LocalDriver } from '../../../src/hosting/local-driver.js';
import { MIGRATION_STEP_HANDLERS } from '../../../src/services/migration-service.js';
import { aPlatform, aSite } from '../../support/domain-builders.js';
import { makeTempDir } from '../../support/git-fixtures.js';

/** A template for `step` that journals its name and every placeholder the table allows it. */
const journalingTemplate = (step: string, journal: string): string =>
  `echo ${step} ${STEP_PLACEHOLDERS[step as keyof typeof STEP_PLACEHOLDERS].map((p) => `${p}={${p}}`).join(' ')} >> ${journal}${step === 'backup' ? '; echo /backups/b.tgz' : ''}`;

describe('the one list of migration steps', () => {
  test('MIGRATION_STEPS is the specs in order, and the service has a handler for each, in the same order', () => {
    expect(MIGRATION_STEPS).toEqual(['maintenanceOn', 'backup', 'moveSite', 'postMigrate', 'verify', 'maintenanceOff', 'healthCheck']);
    // The health check is the service's own step: no driver method, no command template.
    expect(DRIVER_STEPS).toEqual(MIGRATION_STEPS.filter((s) => s !== 'healthCheck'));
    expect(MIGRATION_STEPS).toEqual(MIGRATION_STEP_SPECS.map((s) => s.step));
    expect(Object.keys(MIGRATION_STEP_HANDLERS)).toEqual([...MIGRATION_STEPS]);
  });

  test('the command driver knows every driver step, requires each one and restore, not the optional operations', () => {
    expect(COMMAND_STEPS).toEqual(['build', 'installSite', 'listModules', 'readManifest', ...DRIVER_STEPS, 'restore', 'locateSite', 'siteDigest']);
    expect(Object.keys(STEP_PLACEHOLDERS).sort()).toEqual([...COMMAND_STEPS].sort());
    expect(templateProblems({})).toEqual([...DRIVER_STEPS, 'restore'].map((s) => `${s}: template missing`));
  });

  test('the local driver implements every step', () => {
    const driver = new LocalDriver({ root: '/nonexistent-distro-root' });
    for (const step of DRIVER_STEPS) expect([step, typeof driver[step]]).toEqual([step, 'function']);
  });

  test('each service handler runs the command template of its own step, which gets every placeholder the table allows it', async () => {
    const dir = await makeTempDir('distro-steps-');
    const journal = join(dir, 'journal');
    const templates: CommandTemplates = Object.fromEntries([...DRIVER_STEPS, 'restore'].map((s) => [s, journalingTemplate(s, journal)]));
    const driver = new CommandDriver({ templates, platformsRoot: dir });
    const run = { site: aSite('a.example.org'), from: aPlatform('old'), to: aPlatform('new'), log: () => {} };
    const checkpoints: Array<Record<string, string>> = [];
    for (const step of MIGRATION_STEPS) checkpoints.push(await MIGRATION_STEP_HANDLERS[step](driver, run));
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual([...DRIVER_STEPS]);
    // Every allowed placeholder got a value: the move sees both platforms, the steps after it the new one.
    expect(lines[MIGRATION_STEPS.indexOf('moveSite')]).toContain('fromPlatform=old toPlatform=new');
    expect(lines[MIGRATION_STEPS.indexOf('maintenanceOn')]).toContain('platform=old');
    expect(lines[MIGRATION_STEPS.indexOf('maintenanceOff')]).toContain('platform=new');
    expect(checkpoints[MIGRATION_STEPS.indexOf('backup')]).toEqual({ backup: '/backups/b.tgz' });
  });
});
