export interface WireServer {
  uri: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}
export declare const WIRE_URI_VARIABLE: string;
export declare const startWireServer: (options?: { port?: number }) => Promise<WireServer>;
