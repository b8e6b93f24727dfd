/**
 * Who the node is to the service. In order:
 *   1. node.id + node.token from the configuration (or OPENASTRO_NODE_TOKEN);
 *   2. the credentials a previous run stored in the state directory;
 *   3. registration with the operator token of [register]: the site is created (unless
 *      register.siteId names one), the node registered, and the token — shown by the
 *      service this once only — stored at once in <stateDir>/credentials.json, mode 0600,
 *      written atomically and fsynced, so a crash right after cannot lose it.
 * A node registered once is never registered again by a restart.
 */
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../platform/config/errors.js';
import { createApiClient, type ApiClient } from '../../platform/api/client.js';
import type { AgentConfig } from '../config.js';
import { statePaths } from '../config.js';
import { AgentError, describeError } from '../errors.js';
import { syncDir } from '../outbox/fs-durable.js';

export interface NodeCredentials {
  nodeId: string;
  token: string;
}

export interface ResolvedCredentials extends NodeCredentials {
  source: 'config' | 'stored' | 'registered';
}

interface StoredCredentials extends NodeCredentials {
  server: string;
  registeredAt: string;
}

export async function readStoredCredentials(file: string): Promise<StoredCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentError('IO', `cannot read the node credentials ${file}: ${describeError(e)}`, { cause: e });
  }
  try {
    const c = JSON.parse(text) as StoredCredentials;
    if (typeof c.nodeId !== 'string' || typeof c.token !== 'string') throw new Error('nodeId or token missing');
    return c;
  } catch (e) {
    throw new AgentError('IO', `the node credentials ${file} are unreadable (${describeError(e)}); restore them or remove the file to register again`, { cause: e });
  }
}

/** Writes the credentials readable by the owner only, atomically and durably. */
export async function storeCredentials(file: string, c: StoredCredentials): Promise<void> {
  const dir = path.dirname(file);
  const tmp = `${file}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await unlink(tmp).catch(() => undefined);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(c, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o600); // whatever the umask
    await rename(tmp, file);
    await syncDir(dir);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new AgentError('IO', `cannot store the node credentials in ${file}: ${describeError(e)}`, { cause: e });
  }
}

export interface ResolveCredentialsOptions {
  /** Operator-authenticated client factory (tests inject fetch through it). */
  operatorClient?: (token: string) => ApiClient;
  now: Date;
}

export async function resolveCredentials(config: AgentConfig, opts: ResolveCredentialsOptions): Promise<ResolvedCredentials> {
  if (config.node.id !== undefined && config.node.token !== undefined) return { nodeId: config.node.id, token: config.node.token, source: 'config' };
  const file = statePaths(config.stateDir).credentials;
  const stored = await readStoredCredentials(file);
  if (stored) {
    if (config.node.id !== undefined && stored.nodeId.toLowerCase() !== config.node.id.toLowerCase()) {
      throw new ConfigError([{ path: 'node.id', problem: `differs from the node ${stored.nodeId} registered in ${file}`, got: config.node.id, source: config.file ?? '(config)' }]);
    }
    return { nodeId: stored.nodeId, token: stored.token, source: 'stored' };
  }
  const reg = config.register;
  if (!reg) {
    throw new ConfigError([
      { path: 'node.token', problem: `no node credentials: give node.id and node.token (or OPENASTRO_NODE_TOKEN), or a [register] section to register once`, source: config.file ?? '(config)' },
    ]);
  }
  const api = (opts.operatorClient ?? ((token: string) => createApiClient({ baseUrl: config.server, token, timeoutMs: config.limits.requestTimeoutS * 1000 })))(reg.operatorToken);
  let siteId = reg.siteId;
  if (siteId === undefined) {
    const s = config.site!;
    const site = await api.post<{ id: string }>('/api/v1/sites', {
      name: s.name ?? reg.name,
      latitudeDeg: s.latDeg,
      longitudeDeg: s.lonDeg,
      elevationM: s.elevationM,
      ...(s.minAltitudeDeg !== undefined ? { minAltitudeDeg: s.minAltitudeDeg } : {}),
    });
    siteId = site.id;
  }
  const o = config.optics!;
  const r = await api.post<{ node: { id: string }; token: string }>('/api/v1/nodes', {
    siteId,
    name: reg.name,
    apertureMm: o.apertureMm,
    focalLengthMm: o.focalLengthMm,
    pixelSizeUm: o.pixelSizeUm,
    sensorWidthPx: o.sensorWidthPx,
    sensorHeightPx: o.sensorHeightPx,
    filters: config.filters,
    ...(o.gainEPerAdu !== undefined ? { gainEPerAdu: o.gainEPerAdu } : {}),
    ...(o.readNoiseE !== undefined ? { readNoiseE: o.readNoiseE } : {}),
    heartbeatIntervalS: reg.heartbeatIntervalS ?? Math.round(config.heartbeatIntervalS),
  });
  await storeCredentials(file, { nodeId: r.node.id, token: r.token, server: config.server, registeredAt: opts.now.toISOString() });
  return { nodeId: r.node.id, token: r.token, source: 'registered' };
}
