import { createServer } from 'node:net';
import { EnvironmentError } from '../core/errors.js';

/**
 * Fails with one line when `127.0.0.1:port` is taken on the host (R137): a login's
 * callback port is published there, and Docker would refuse the start only after the image
 * check. Listens for an instant and closes again.
 */
export async function ensureLoopbackPortFree(port: number, fix: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
        reject(new EnvironmentError(`port 127.0.0.1:${port} on this machine is in use (another login?): ${fix}`));
      } else {
        reject(new EnvironmentError(`cannot check port 127.0.0.1:${port} (${error.code ?? error.message}): ${fix}`));
      }
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
  });
}
