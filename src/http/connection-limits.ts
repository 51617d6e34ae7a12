/**
 * Connection caps for the HTTP server: at most `max` open sockets in all (Node refuses the rest at accept) and
 * `perAddress` from one client address, so one client cannot hold every file descriptor (idle keep-alive sockets or
 * slow requests). Counted on socket addresses: behind a proxy (TRUST_PROXY) all clients share the proxy's, so raise
 * or disable (0) the per-address cap there and let the proxy limit its clients.
 */
import type { Server, Socket } from 'node:net';

export interface ConnectionLimits {
  max: number;
  /** 0: no per-address cap. */
  perAddress: number;
}

/** Applies the caps to `server`; returns the live count per address (tests, metrics). */
export const limitConnections = (server: Server, limits: ConnectionLimits): Map<string, number> => {
  if (limits.max > 0) server.maxConnections = limits.max;
  const open = new Map<string, number>();
  if (limits.perAddress <= 0) return open;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.perAddress) {
      // Closed before a byte is read: no request of it is ever handled.
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  return open;
};
