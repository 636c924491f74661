// s3rver 3.7.1 ships no types: only what src/s3.ts uses.

declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** Creates the `configureBuckets` buckets (idempotent). */
    configureBuckets(): Promise<void>;
    /** The Koa request handler, to mount on an http.Server of our own. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}

declare module 's3rver/lib/models/account.js' {
  interface AWSAccount {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  }
  const AWSAccountModule: {
    /** The one account every request runs as; its key pairs are process-wide. */
    DUMMY_ACCOUNT: AWSAccount;
  };
  export default AWSAccountModule;
}
