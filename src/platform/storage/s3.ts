/**
 * Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage, s3rver) through
 * @aws-sdk/client-s3.
 *
 * put() streams: the body is read once, hashed as it goes, and held at most one part
 * (partSizeBytes, default 8 MiB) at a time. A body that ends within the first part is sent
 * as one PutObject; a longer one becomes a multipart upload of sequential parts, completed
 * only after the last part — S3 makes the object visible atomically at completion, and a
 * failure aborts the upload, so a reader never sees a partial object. Parts are sent one
 * at a time: memory stays at one part, and uploads are bounded by the network, not by
 * parallel parts.
 *
 * Flexible checksums (CRC32 on every request, the SDK default since 2025) are turned down
 * to WHEN_REQUIRED: several S3-compatible servers reject them, and we compute SHA-256
 * ourselves.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { StorageError, reasonOf } from './errors.js';
import { checkBody, checkKey, checkPrefix, chunksOf, sha256Hasher, type ObjectInfo, type ObjectStore, type PutResult } from './store.js';

/** S3 refuses parts smaller than this (except the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

export interface S3StoreOptions {
  /** Service URL for S3-compatible servers (http://127.0.0.1:9000); omit for AWS. */
  endpoint?: string;
  bucket: string;
  region: string;
  /** Static credentials; when omitted the SDK's default chain (env, profile, IMDS) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (endpoint/bucket/key), which most self-hosted servers need. */
  forcePathStyle?: boolean;
  /** Prepended to every key inside the bucket ('openastro/'), so one bucket can hold several networks. */
  keyPrefix?: string;
  /** Multipart part size in bytes (≥ 5 MiB; default 8 MiB): the most a put holds in memory. */
  partSizeBytes?: number;
  /** Use this client instead of creating one (tests); close() then leaves it open. */
  client?: S3Client;
}

export function s3Store(opts: S3StoreOptions): ObjectStore {
  if (typeof opts.bucket !== 'string' || opts.bucket === '') throw new StorageError('BAD_CONFIG', 's3 store: bucket must be a non-empty string');
  const partSize = opts.partSizeBytes ?? DEFAULT_PART_BYTES;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_BYTES) {
    throw new StorageError('BAD_CONFIG', `s3 store: partSizeBytes must be an integer ≥ ${MIN_PART_BYTES} (S3's minimum part), got ${partSize}`);
  }
  if ((opts.accessKeyId === undefined) !== (opts.secretAccessKey === undefined)) {
    throw new StorageError('BAD_CONFIG', 's3 store: give both accessKeyId and secretAccessKey, or neither');
  }
  const keyPrefix = opts.keyPrefix ?? '';
  checkPrefix(keyPrefix);
  const Bucket = opts.bucket;
  const ownClient = opts.client === undefined;
  const client =
    opts.client ??
    new S3Client({
      endpoint: opts.endpoint,
      region: opts.region,
      forcePathStyle: opts.forcePathStyle ?? false,
      credentials: opts.accessKeyId !== undefined ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey as string } : undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  let closed = false;
  const where = `s3://${Bucket}/${keyPrefix}`;
  const assertOpen = () => {
    if (closed) throw new StorageError('UNAVAILABLE', `s3 store ${where} has been closed`);
  };

  async function put(key: string, body: Uint8Array | NodeJS.ReadableStream, putOpts: { contentType?: string } = {}): Promise<PutResult> {
    assertOpen();
    checkKey(key);
    checkBody(key, body);
    const Key = keyPrefix + key;
    const ContentType = putOpts.contentType;
    const hash = sha256Hasher();
    let bytes = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];

    const flushPart = async () => {
      if (uploadId === undefined) {
        const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }));
        if (!created.UploadId) throw new StorageError('IO_FAILED', `put ${key}: server returned no multipart upload id`);
        uploadId = created.UploadId;
      }
      const PartNumber = parts.length + 1;
      const Body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const r = await client.send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body, ContentLength: Body.length }));
      parts.push({ PartNumber, ETag: r.ETag });
    };

    try {
      for await (const chunk of chunksOf(body)) {
        hash.update(chunk);
        bytes += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= partSize) await flushPart();
      }
      if (uploadId === undefined) {
        const Body = Buffer.concat(pending, pendingBytes);
        await client.send(new PutObjectCommand({ Bucket, Key, Body, ContentLength: Body.length, ContentType }));
      } else {
        if (pendingBytes > 0) await flushPart();
        await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      }
      return { key, bytes, sha256: hash.digest('hex') };
    } catch (err) {
      if (uploadId !== undefined) {
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => {});
      }
      throw s3Error(err, `put ${JSON.stringify(key)}`, where);
    }
  }

  return {
    kind: 's3',
    put,

    async get(key) {
      assertOpen();
      checkKey(key);
      try {
        const r = await client.send(new GetObjectCommand({ Bucket, Key: keyPrefix + key }));
        if (!r.Body) throw new StorageError('IO_FAILED', `get ${JSON.stringify(key)}: server returned no body`);
        // In Node the SDK's body is an http.IncomingMessage (a Readable).
        return r.Body as unknown as NodeJS.ReadableStream;
      } catch (err) {
        if (isNotFound(err)) throw new StorageError('NOT_FOUND', `no object ${JSON.stringify(key)}`, { cause: err });
        throw s3Error(err, `get ${JSON.stringify(key)}`, where);
      }
    },

    async head(key) {
      assertOpen();
      checkKey(key);
      try {
        const r = await client.send(new HeadObjectCommand({ Bucket, Key: keyPrefix + key }));
        return { bytes: Number(r.ContentLength ?? 0) };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw s3Error(err, `head ${JSON.stringify(key)}`, where);
      }
    },

    async delete(key) {
      assertOpen();
      checkKey(key);
      try {
        await client.send(new DeleteObjectCommand({ Bucket, Key: keyPrefix + key }));
      } catch (err) {
        if (isNotFound(err)) return;
        throw s3Error(err, `delete ${JSON.stringify(key)}`, where);
      }
    },

    list(prefix = ''): AsyncIterable<ObjectInfo> {
      assertOpen();
      checkPrefix(prefix);
      return (async function* () {
        let ContinuationToken: string | undefined;
        do {
          let page;
          try {
            page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: keyPrefix + prefix, ContinuationToken }));
          } catch (err) {
            throw s3Error(err, `list ${JSON.stringify(prefix)}`, where);
          }
          for (const o of page.Contents ?? []) {
            if (o.Key === undefined) continue;
            yield { key: o.Key.slice(keyPrefix.length), bytes: Number(o.Size ?? 0) };
          }
          ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (ContinuationToken !== undefined);
      })();
    },

    async close() {
      if (closed) return;
      closed = true;
      if (ownClient) client.destroy();
    },
  };
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(err) === 404 && name !== 'NoSuchBucket');
}

/** Map an SDK or stream error to a StorageError naming the operation and the bucket (never the keys). */
function s3Error(err: unknown, doing: string, where: string): StorageError {
  if (err instanceof StorageError) return err;
  const name = (err as { name?: string })?.name ?? '';
  const status = statusOf(err);
  const reason = reasonOf(err);
  if (name === 'NoSuchBucket') return new StorageError('BAD_CONFIG', `${doing}: bucket of ${where} does not exist`, { cause: err });
  if (name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || status === 403) {
    return new StorageError('BAD_CONFIG', `${doing}: ${where} refused the credentials (${name || status})`, { cause: err });
  }
  const sysCode = (err as { code?: string })?.code;
  if ((status !== undefined && status >= 500) || name === 'TimeoutError' || (sysCode !== undefined && /^E(CONN|HOST|NET|AI_|PIPE|TIMEDOUT)/.test(sysCode))) {
    return new StorageError('UNAVAILABLE', `${doing}: ${where} unavailable: ${reason}`, { cause: err });
  }
  return new StorageError('IO_FAILED', `${doing} at ${where}: ${reason}`, { cause: err });
}
