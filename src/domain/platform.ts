import type { Actor } from './actor.js';

export type PlatformStatus = 'queued' | 'building' | 'ready' | 'failed' | 'locked' | 'deleted';

/** One package (composer package, Drupal project from a makefile) of a built platform. */
export interface PackageEntry {
  name: string;
  version: string;
  /** composer "type" (drupal-module, drupal-core, library…) or makefile project type. */
  type?: string;
  /**
   * For a branch build (`dev-1.x#abc1234`): the version it sorts as, from the lock's `extra.drupal.version`
   * (`1.0-beta2+12-dev`) or `extra.branch-alias` (`1.x-dev`). Absent when the lock says nothing.
   */
  order?: string;
}

export interface Manifest {
  format: 'composer' | 'make' | 'none';
  packages: PackageEntry[];
  /**
   * Small tracked text files kept for the file-level diff on the Compare page (path → content): always the manifest
   * files, plus other small text files within a per-platform budget when the build recorded a `tree`.
   */
  files: Record<string, string>;
  /**
   * Every tracked file of the built commit (path → git object SHA), so Compare can list changed files without their
   * contents. Absent on platforms registered by hand or built where no git checkout was visible.
   */
  tree?: Record<string, string>;
  /** Tracked symbolic links (path → link target as written): recorded so Compare can show them, never followed. */
  links?: Record<string, string>;
}

export const EMPTY_MANIFEST: Manifest = { format: 'none', packages: [], files: {} };

export interface Platform {
  id: string;
  /** Globally unique, human-facing name used in commands (e.g. `social-12.4.2`). */
  name: string;
  distributionId: string;
  source: { ref: string; commit: string };
  manifest: Manifest;
  status: PlatformStatus;
  createdBy: Actor;
  /** Server (web node) the platform is built on; migrations are rate-limited per server. */
  server: string;
  /** Directory the hosting driver built it into, once built. */
  path: string | null;
  /** The newest build log lines (at most LOG_MAX_LINES, see src/persistence/records.ts). */
  buildLog: string[];
  /** How many older build log lines were dropped to keep the record bounded. */
  buildLogDropped: number;
  /** While `building`: until when the building worker holds it (renewed as it builds); an expired lease means it died. */
  buildLeaseUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPlatform = Pick<Platform, 'name' | 'distributionId' | 'source' | 'createdBy'> &
  Partial<Pick<Platform, 'manifest' | 'status' | 'path' | 'server'>>;

/** Statuses on which sites may still live (a locked platform keeps its sites). */
export const LIVE_STATUSES: readonly PlatformStatus[] = ['ready', 'locked'];
