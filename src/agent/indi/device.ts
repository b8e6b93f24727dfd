/** What every INDI device wrapper does first: find the driver, switch it on, wait for its properties. */
import { AgentError, type DeadlineOptions } from '../errors.js';
import type { IndiClient } from './client.js';

/**
 * Asks the server for the device's properties, switches CONNECTION on (unless it is) and
 * waits until `needs` are defined (drivers define most properties only once connected).
 */
export async function connectDevice(client: IndiClient, device: string, needs: string[], opts: DeadlineOptions): Promise<void> {
  const deadline = opts.timeoutMs ?? 30_000;
  const started = performance.now();
  const left = (): number => Math.max(1, deadline - (performance.now() - started));
  client.getProperties(device);
  try {
    await client.waitForVector(device, 'CONNECTION', { timeoutMs: left(), signal: opts.signal });
  } catch (e) {
    if (e instanceof AgentError && e.code === 'TIMEOUT') {
      const known = client.devices();
      throw new AgentError('NOT_FOUND', `INDI device not found on ${client.host}:${client.port} (devices: ${known.length ? known.join(', ') : 'none'})`, { device, cause: e });
    }
    throw e;
  }
  if (client.value(device, 'CONNECTION', 'CONNECT') !== true) {
    await client.update('Switch', device, 'CONNECTION', { CONNECT: true }, { timeoutMs: left(), signal: opts.signal, until: (v) => v.elements.get('CONNECT')?.value === true });
  }
  for (const name of needs) await client.waitForVector(device, name, { timeoutMs: left(), signal: opts.signal });
}

export async function disconnectDevice(client: IndiClient, device: string, opts: DeadlineOptions): Promise<void> {
  if (client.closed || client.value(device, 'CONNECTION', 'CONNECT') !== true) return;
  await client.update('Switch', device, 'CONNECTION', { DISCONNECT: true }, { timeoutMs: opts.timeoutMs ?? 30_000, signal: opts.signal, until: (v) => v.elements.get('CONNECT')?.value !== true });
}

export function requireLink(client: IndiClient, connected: boolean, device: string): void {
  if (client.closed) throw new AgentError('NOT_CONNECTED', `INDI link is closed: ${client.closeReason?.message ?? ''}`, { device });
  if (!connected) throw new AgentError('NOT_CONNECTED', 'device is not connected', { device });
}
