// Types of scripts/build.mjs (plain JavaScript so that it runs before anything is compiled), for the tests.
export interface BuildInput {
  path: string;
  content: string | Uint8Array;
}
export interface BuildStampRecord {
  stamp: string;
  builtAt: string;
  outputs: string[];
}
export declare const inputStamp: (inputs: readonly BuildInput[]) => string;
export declare const isUpToDate: (stamp: string, previous: BuildStampRecord | null, outputsPresent: boolean) => boolean;
export declare const build: (options?: { root?: string; outDir?: string; force?: boolean }) => Promise<{ built: boolean; files: number }>;
export declare const runBuild: (options?: { root?: string; outDir?: string; force?: boolean }) => Promise<{ built: boolean; files: number }>;
