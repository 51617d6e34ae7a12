import type { ChildProcess } from 'node:child_process';
export declare const RUN_VARIABLE: string;
export declare const PIDS_VARIABLE: string;
export declare const CHILD_MARK: string;
export declare const beginRun: () => void;
export declare const childEnv: () => Record<string, string>;
export declare const trackChild: <C extends ChildProcess>(child: C, label: string) => C;
export declare const survivingChildren: () => Map<number, string>;
export declare const endRun: () => void;
