import type { Config } from '../config.ts';
import { localMediaStore, type MediaBackend, type MediaStore } from './mediaStore.ts';
import { s3MediaStore } from './s3MediaStore.ts';

/**
 * The stores of this configuration (built once per Config): `current` receives new uploads
 * (S3 when S3_BUCKET is set, else the folder); `forBackend` reads a row from wherever it was
 * stored, so uploads kept in the folder before S3 was configured keep working.
 */
export type MediaStores = { current: MediaStore; forBackend(backend: MediaBackend): MediaStore };

const cache = new WeakMap<Config, MediaStores>();

export function mediaStores(config: Config): MediaStores {
  let stores = cache.get(config);
  if (!stores) {
    const local = localMediaStore(config.dataDir);
    const s3 = config.s3 ? s3MediaStore(config.s3) : null;
    stores = {
      current: s3 ?? local,
      forBackend(backend) {
        if (backend === 'local') return local;
        if (!s3) throw new Error('this upload is kept in S3, but S3 storage is not configured (S3_BUCKET)');
        return s3;
      },
    };
    cache.set(config, stores);
  }
  return stores;
}
