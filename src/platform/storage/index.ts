export { type ObjectStore, type ObjectInfo, type PutResult, checkKey, checkPrefix, MAX_KEY_BYTES } from './store.js';
export { localStore, TMP_PREFIX, type LocalStoreOptions } from './local.js';
export { s3Store, MIN_PART_BYTES, DEFAULT_PART_BYTES, type S3StoreOptions } from './s3.js';
export { StorageError, type StorageErrorCode } from './errors.js';
