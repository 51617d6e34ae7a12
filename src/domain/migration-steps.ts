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
  /**
   * The distribution's health check (policy.rollout.healthCheck), run by the service, not the driver: after
   * maintenance is lifted, since a Drupal site in maintenance answers 503 to any probe. Read-only, so a crash during
   * it resumes it; a failure rolls the site back from its backup like any failed step.
   */
  { step: 'healthCheck', platforms: 'one', by: 'service' },
] as const;

export type MigrationStepSpec = (typeof MIGRATION_STEP_SPECS)[number];
export type MigrationStep = MigrationStepSpec['step'];

/** Steps the service runs itself (no driver method, no command template). */
export type ServiceStep = Extract<MigrationStepSpec, { by: 'service' }>['step'];
/** Steps the hosting driver runs: HostingDriver has a method, the command driver a template, for each. */
export type DriverStep = Exclude<MigrationStep, ServiceStep>;

/** The step names in the order the service runs them. */
export const MIGRATION_STEPS: readonly MigrationStep[] = MIGRATION_STEP_SPECS.map((s) => s.step);

export const isDriverStep = (step: MigrationStep): step is DriverStep => !MIGRATION_STEP_SPECS.some((s) => s.step === step && 'by' in s);
/** The driver's steps, in order. */
export const DRIVER_STEPS: readonly DriverStep[] = MIGRATION_STEPS.filter(isDriverStep);
