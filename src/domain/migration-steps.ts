/**
 * The one list of migration steps: their order, and for each which platforms the hosting driver is given (one
 * platform, or both for the move). HostingDriver's step methods, the service's step dispatch and the command
 * driver's templates and placeholders are all derived from it, so a new step does not compile until each has it.
 * Every step is required: the service runs each one, in this order. Driver operations outside the ordered
 * migration (build, installSite, restore, locateSite, siteDigest) are not steps and are not listed here.
 */
export const MIGRATION_STEP_SPECS = [
  { step: 'maintenanceOn', platforms: 'one' },
  /** Returns a reference to the backup (e.g. a tar path) used by restore. */
  { step: 'backup', platforms: 'one', result: 'backupRef' },
  { step: 'moveSite', platforms: 'fromTo' },
  { step: 'postMigrate', platforms: 'one' },
  { step: 'verify', platforms: 'one' },
  { step: 'maintenanceOff', platforms: 'one' },
] as const;

export type MigrationStepSpec = (typeof MIGRATION_STEP_SPECS)[number];
export type MigrationStep = MigrationStepSpec['step'];

/** The step names in the order the service runs them. */
export const MIGRATION_STEPS: readonly MigrationStep[] = MIGRATION_STEP_SPECS.map((s) => s.step);
