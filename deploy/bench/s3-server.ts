/**
 * s3rver in a process of its own (the test kit runs it in the caller's process), so the image-store
 * benchmark's direct putObject client and the image store are both clients of a server neither
 * shares an event loop with. Prints "S3 <url>"; stops on SIGTERM or when stdin closes.
 */
import { startS3 } from '@sophon/test-kit';

const s3 = await startS3({ buckets: (process.env.S3_BUCKETS ?? '').split(',').filter(Boolean) });
process.stdout.write(`S3 ${s3.url}\n`);
const stop = () => void s3.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.stdin.on('end', stop).resume();
