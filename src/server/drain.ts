// Graceful stop for an HTTP(S) server: refuse new connections, let requests already
// received finish, and close each connection as soon as its last response is sent.
//
// `server.close()` alone is not enough: a keep-alive connection that was busy when close
// was called goes back to idle afterwards and then holds the server open until
// keepAliveTimeout (120 s here), far past a Pod's grace period. Marking in-flight responses
// `Connection: close` ends those connections right after their response instead.

import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export interface Drainer {
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Stops accepting and waits for in-flight requests, at most `timeoutMs`; then closes what
   * is left. Resolves with how many requests were cut off (0 on a clean drain).
   */
  drain(timeoutMs: number): Promise<number>;
}

export function trackInFlight(server: HttpServer | HttpsServer): Drainer {
  const open = new Set<ServerResponse>();
  let draining = false;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    if (draining) res.shouldKeepAlive = false;
  });
  return {
    inFlight: () => open.size,
    drain: async (timeoutMs) => {
      draining = true;
      for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => { timer = setTimeout(() => resolve('expired'), timeoutMs); });
      const outcome = await Promise.race([closed, expired]);
      clearTimeout(timer);
      if (outcome !== 'expired') return 0;
      const cut = open.size;
      server.closeAllConnections();
      // A socket still in its TLS handshake is not an HTTP connection yet and is not closed
      // above; do not let it hold the process.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      return cut;
    },
  };
}
