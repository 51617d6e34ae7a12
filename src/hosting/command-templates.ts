/**
 * HOSTING_COMMANDS templates: which steps exist, which placeholders each may use, and how values reach the shell.
 * A placeholder is replaced by a positional parameter (`"${3}"`) and its value passed as a separate argument to
 * `sh -c`, so no value is ever parsed as shell syntax. That holds only for placeholders written as plain words:
 * inside quotes, backticks, `$(…)`, `${…}` or a here-document the shell (or a nested `sh -c "…"`) would parse the
 * value again, so such templates are refused at start, naming the step and the template.
 */
import { ValidationError } from '../domain/errors.js';
import { DRIVER_STEPS, MIGRATION_STEP_SPECS, type DriverStep } from '../domain/migration-steps.js';
import { shellQuote } from './run-command.js';

const SITE_VARS = ['site', 'platform', 'platformPath', 'platformAlias', 'server'] as const;
const MOVE_VARS = ['site', 'fromPlatform', 'toPlatform', 'fromPlatformPath', 'toPlatformPath', 'fromPlatformAlias', 'toPlatformAlias', 'server'] as const;

type OperationSpec = { placeholders: readonly string[]; required: boolean };

/**
 * Driver operations outside the ordered migration, with their placeholders and whether a template is required:
 * setting a platform or site up, and recovery's (restore is required, else a failed migration cannot be rolled back).
 */
const SETUP_OPERATIONS = {
  build: { placeholders: ['platform', 'platformPath', 'platformAlias', 'server', 'commit', 'ref', 'repo', 'distribution'], required: false },
  installSite: { placeholders: SITE_VARS, required: false },
  // Adoption and import only read: enabled modules as drush prints them, and an existing code base's manifest.
  listModules: { placeholders: SITE_VARS, required: false },
  readManifest: { placeholders: ['root', 'manifestPath', 'server'], required: false },
} as const satisfies Record<string, OperationSpec>;
const RECOVERY_OPERATIONS = {
  restore: { placeholders: [...MOVE_VARS, 'backup'], required: true },
  locateSite: { placeholders: MOVE_VARS, required: false },
  siteDigest: { placeholders: SITE_VARS, required: false },
} as const satisfies Record<string, OperationSpec>;
const OPERATIONS: Readonly<Record<Operation, OperationSpec>> = { ...SETUP_OPERATIONS, ...RECOVERY_OPERATIONS };
type Operation = keyof typeof SETUP_OPERATIONS | keyof typeof RECOVERY_OPERATIONS;

export type CommandStep = DriverStep | Operation;
export type CommandTemplates = Partial<Record<CommandStep, string>>;

const keysOf = <K extends string>(record: Record<K, unknown>): K[] => Object.keys(record) as K[];

/** Every template name: setup operations, the migration steps in their order, then recovery's operations. */
export const COMMAND_STEPS: readonly CommandStep[] = [...keysOf(SETUP_OPERATIONS), ...DRIVER_STEPS, ...keysOf(RECOVERY_OPERATIONS)];

const isOperation = (step: CommandStep): step is Operation => Object.hasOwn(OPERATIONS, step);

/** A migration runs every step, so each step's template is required (as is restore, to roll back). */
const REQUIRED_STEPS: readonly CommandStep[] = COMMAND_STEPS.filter((step) => !isOperation(step) || OPERATIONS[step].required);

/** A migration step gets its one platform's values, or both platforms' for the move. */
const placeholdersOf = (step: CommandStep): readonly string[] =>
  isOperation(step) ? OPERATIONS[step].placeholders : MIGRATION_STEP_SPECS.find((s) => s.step === step)?.platforms === 'fromTo' ? MOVE_VARS : SITE_VARS;

/** Which placeholders each step may use: a typo like `{plaform}` is refused at start, not at 3 a.m. */
export const STEP_PLACEHOLDERS = Object.fromEntries(COMMAND_STEPS.map((step) => [step, placeholdersOf(step)])) as Readonly<Record<CommandStep, readonly string[]>>;

/** `{name}`; a `{` right after `$` is shell parameter syntax (`${HOME}`), not a placeholder. */
const PLACEHOLDER = /\{([A-Za-z]+)\}/y;

type Context = 'single quotes' | 'double quotes' | "ANSI-C quotes ($'…')" | 'backticks' | '$( … )' | '${ … }' | 'a here-document';

export interface PlaceholderUse {
  name: string;
  /** Offset of the `{` in the template. */
  at: number;
  /** Null when the placeholder is a plain word (or part of one) at the top level of the command. */
  context: Context | null;
}

/**
 * Finds the placeholders of a template and the shell quoting context each sits in, with a small POSIX sh lexer
 * (quotes, backslashes, backticks, `$( )`, `$(( ))`, `${ }`, `$'…'`, and here-documents from `<<` on).
 */
export const scanPlaceholders = (template: string): PlaceholderUse[] => {
  const uses: PlaceholderUse[] = [];
  const stack: Context[] = [];
  let heredoc = false;
  const top = (): Context | undefined => stack[stack.length - 1];
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    const next = template[i + 1];
    const context = top();
    if (context === 'single quotes' || context === "ANSI-C quotes ($'…')") {
      if (c === '\\' && context !== 'single quotes') i++;
      else if (c === "'") stack.pop();
      else if (c === '{') pushPlaceholder(template, i, context, uses);
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '$' && next === "'" && context !== 'double quotes') {
      stack.push("ANSI-C quotes ($'…')");
      i++;
      continue;
    }
    if (c === '$' && next === '(') {
      stack.push('$( … )');
      i++;
      continue;
    }
    if (c === '$' && next === '{') {
      stack.push('${ … }');
      i++;
      continue;
    }
    if (c === '`') {
      if (context === 'backticks') stack.pop();
      else stack.push('backticks');
      continue;
    }
    if (c === '"') {
      if (context === 'double quotes') stack.pop();
      else stack.push('double quotes');
      continue;
    }
    if (context === 'double quotes') {
      // Only $, backticks and backslashes are special between double quotes; a placeholder here is quoted.
      if (c === '{') pushPlaceholder(template, i, 'double quotes', uses);
      continue;
    }
    if (c === "'") {
      stack.push('single quotes');
      continue;
    }
    if (c === ')' && context === '$( … )') {
      stack.pop();
      continue;
    }
    if (c === '(' && context === '$( … )') {
      // Nested parentheses ($(( … )) arithmetic, subshells) close with their own `)`.
      stack.push('$( … )');
      continue;
    }
    if (c === '}' && context === '${ … }') {
      stack.pop();
      continue;
    }
    if (c === '#' && (i === 0 || /[\s;&|(]/.test(template[i - 1]!))) {
      // A comment runs to the end of the line; quotes in it (`# it's`) open nothing.
      const eol = template.indexOf('\n', i);
      i = eol < 0 ? template.length : eol;
      continue;
    }
    if (c === '<' && next === '<' && template[i + 2] !== '<') heredoc = true;
    if (c === '{') pushPlaceholder(template, i, context ?? (heredoc ? 'a here-document' : null), uses);
  }
  return uses;
};

const pushPlaceholder = (template: string, at: number, context: Context | null, uses: PlaceholderUse[]): void => {
  PLACEHOLDER.lastIndex = at;
  const m = PLACEHOLDER.exec(template);
  if (m) uses.push({ name: m[1]!, at, context });
};

/** Problems of one step's template: unknown placeholders, placeholders the shell would parse again. */
const stepProblems = (step: CommandStep, template: string): string[] => placeholderProblems(step, template, STEP_PLACEHOLDERS[step]);

/**
 * Problems of a template named `step` that may use the `allowed` placeholders (also for templates outside
 * HOSTING_COMMANDS, such as HEALTH_CHECK_COMMAND).
 */
export const placeholderProblems = (step: string, template: string, allowed: readonly string[]): string[] => {
  const problems: string[] = [];
  if (!template.trim()) problems.push(`${step}: empty template`);
  for (const use of scanPlaceholders(template)) {
    if (!allowed.includes(use.name)) problems.push(`${step}: unknown placeholder {${use.name}} (allowed: ${allowed.map((a) => `{${a}}`).join(' ')})`);
    else if (use.context) {
      problems.push(
        `${step}: placeholder {${use.name}} is inside ${use.context} in \`${template}\`; write it as a plain word (its value is passed as one separate argument) or use $${envName(use.name)}`,
      );
    }
  }
  return problems;
};

/** Checks templates: known step names, required steps present, only placeholders the step provides, none quoted. */
export const templateProblems = (templates: Record<string, unknown>): string[] => {
  const problems: string[] = [];
  for (const [step, template] of Object.entries(templates)) {
    if (!(COMMAND_STEPS as readonly string[]).includes(step)) {
      problems.push(`unknown step \`${step}\` (known: ${COMMAND_STEPS.join(', ')})`);
      continue;
    }
    if (typeof template !== 'string') problems.push(`${step}: template must be a string`);
    else problems.push(...stepProblems(step as CommandStep, template));
  }
  for (const step of REQUIRED_STEPS) if (!templates[step]) problems.push(`${step}: template missing`);
  return problems;
};

export const validateTemplates = (templates: Record<string, string>): CommandTemplates => {
  const problems = templateProblems(templates);
  if (problems.length) throw new ValidationError(`Invalid hosting command templates: ${problems.join('; ')}`, problems);
  return templates as CommandTemplates;
};

/** Environment name of a value (`toPlatformPath` → DISTRO_TO_PLATFORM_PATH); every value is also in the environment. */
export const envName = (key: string): string => `DISTRO_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

const substitute = (template: string, vars: Record<string, string>, replace: (name: string, value: string) => string): string => {
  let out = '';
  let from = 0;
  for (const use of scanPlaceholders(template)) {
    const value = vars[use.name];
    if (value === undefined) throw new ValidationError(`Placeholder {${use.name}} has no value here.`);
    out += template.slice(from, use.at) + replace(use.name, value);
    from = use.at + use.name.length + 2;
  }
  return out + template.slice(from);
};

/** The script for `sh -c script distro <args…>`: each placeholder becomes a quoted positional parameter. */
export const renderScript = (template: string, vars: Record<string, string>): { script: string; args: string[] } => {
  const args: string[] = [];
  const script = substitute(template, vars, (_name, value) => {
    args.push(value);
    return `"\${${args.length}}"`;
  });
  return { script, args };
};

/** The command as a person would type it (values single-quoted), for the task log. */
export const renderTemplate = (template: string, vars: Record<string, string>): string => substitute(template, vars, (_name, value) => shellQuote(value));
