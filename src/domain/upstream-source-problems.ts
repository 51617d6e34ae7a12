/**
 * Checks an upstream source before it is stored: its URL (see upstream-url.ts), its branch as a git ref name, and
 * its manifest path as a path inside the checkout. One `upstream.<field>: problem` line per mistake.
 */
import type { UpstreamSource } from './distribution.js';
import { initialBuildsProblem } from './initial-builds.js';
import { refNameProblem } from './ref-name.js';
import { upstreamUrlProblem, type UpstreamUrlPolicy } from './upstream-url.js';

const MAX_MANIFEST_PATH_LENGTH = 1024;

const manifestPathProblem = (path: string): string | null => {
  if (path.length > MAX_MANIFEST_PATH_LENGTH) return `longer than ${MAX_MANIFEST_PATH_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(path)) return 'contains control characters or a backslash';
  if (path.startsWith('/') || path.startsWith('-')) return 'must be a relative path inside the repository';
  if (path.split('/').includes('..')) return 'must not contain ".."';
  return null;
};

export const upstreamSourceProblems = (upstream: UpstreamSource, policy: UpstreamUrlPolicy): string[] => {
  const problems: string[] = [];
  if (upstream.kind === 'git') {
    const { problem } = upstreamUrlProblem(upstream.url, policy);
    if (problem) problems.push(`upstream.url: ${problem}`);
  }
  if (upstream.branch !== undefined) {
    const problem = refNameProblem(upstream.branch);
    if (problem) problems.push(`upstream.branch: not a valid git branch name (${problem})`);
  }
  if (upstream.initialBuilds !== undefined) {
    const problem = initialBuildsProblem(upstream.initialBuilds);
    if (problem) problems.push(`upstream.initialBuilds: ${problem}`);
  }
  const manifest = manifestPathProblem(upstream.manifestPath);
  if (manifest) problems.push(`upstream.manifestPath: ${manifest}`);
  return problems;
};
