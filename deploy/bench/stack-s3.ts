/**
 * s3rver in a process of its own for the local stack the benchmarks run on. The test kit would run
 * it in this process, where it would share an event loop (and its CPU figure) with the load
 * generator; on its own it has both to itself, as MinIO has in compose.
 */
import type { S3Server } from '@sophon/test-kit';
import { startScript } from './child-processes.js';

export async function startS3Process(buckets: string[]): Promise<{ server: S3Server; pid: number; stop(): Promise<void> }> {
  const child = await startScript('deploy/bench/s3-server.ts', 'S3', { S3_BUCKETS: buckets.join(',') });
  const url = new URL(child.value);
  const notHere = () => Promise.reject(new Error("the benchmarks' s3rver process is not stopped or restarted under load"));
  const server: S3Server = {
    endPoint: '127.0.0.1',
    port: Number(url.port),
    url: url.origin,
    accessKey: 'S3RVER', // s3rver's built-in key pair, which the script keeps
    secretKey: 'S3RVER',
    region: 'us-east-1',
    directory: '', // the script's own temp directory, removed when it stops
    stop: notHere,
    start: notHere,
    close: () => child.stop(),
  };
  return { server, pid: child.pid, stop: () => child.stop() };
}
