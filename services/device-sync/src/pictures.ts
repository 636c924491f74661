import { createObjectStore, s3ErrorCode, type ObjectStoreSettings } from '@sophon/object-store';

export interface PictureStore {
  /** The object's bytes; `missing` when there is no such object (yet: image-store may not have stored it). */
  read(key: string): Promise<Buffer | 'missing' | 'too-large'>;
  close(): void;
}

export interface PictureStoreSettings extends ObjectStoreSettings {
  bucket: string;
  maxBytes: number;
}

const MISSING = new Set(['NoSuchKey', 'NotFound']);

/**
 * Reads face pictures from the pictures bucket, through the product's S3 client. Size is
 * checked with a HEAD before the bytes are read. Other S3 failures throw: the batch is retried
 * by the consumer runner.
 */
export function createPictureStore(settings: PictureStoreSettings): PictureStore {
  const { client, close } = createObjectStore(settings);
  return {
    async read(key) {
      try {
        const stat = await client.statObject(settings.bucket, key);
        if (stat.size > settings.maxBytes) return 'too-large';
        const chunks: Buffer[] = [];
        for await (const chunk of await client.getObject(settings.bucket, key)) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      } catch (error) {
        if (MISSING.has(s3ErrorCode(error) ?? '')) return 'missing';
        throw error;
      }
    },
    close,
  };
}
