import { connect } from 'node:net';

/** The error code of a TCP connect to 127.0.0.1:`port` (e.g. ECONNREFUSED), undefined when it connects. */
export function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}
