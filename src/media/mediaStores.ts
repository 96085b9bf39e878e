import type { Config } from '../config.ts';
import { localMediaStore, type MediaBackend, type MediaStore } from './mediaStore.ts';
import type { S3Settings } from './s3MediaStore.ts';

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
    const s3 = config.s3 ? lazyS3Store(config.s3) : null;
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

/** The S3 store, its SDK loaded on first use: ~200 ms and ~45 MB a start that never touches S3 saves. */
function lazyS3Store(settings: S3Settings): MediaStore {
  let loaded: Promise<MediaStore> | undefined;
  const store = () => (loaded ??= import('./s3MediaStore.ts').then((m) => m.s3MediaStore(settings)));
  return {
    backend: 's3',
    put: async (key, source, meta) => (await store()).put(key, source, meta),
    get: async (key, range) => (await store()).get(key, range),
    delete: async (key) => (await store()).delete(key),
    directUrl: async (key, ttlSeconds) => (await store()).directUrl(key, ttlSeconds),
  };
}
