export { createObjectStore, type ObjectStore, type ObjectStoreSettings } from './client.js';
export { createBucket, ensureBucket, type Bucket } from './bucket.js';
export { objectStoreSettings, s3Env, type S3Config, type S3Endpoint } from './env.js';
export { s3ErrorCode } from './errors.js';
