/** The INDI client against a scripted in-process server: outcomes, timeouts, broken links. */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/agent/errors.js';
import { decodeMessage, elementsOf, encodeMessage, encodeVector, IndiClient, XmlStream, type IndiMessage, type IndiVector } from '../../src/agent/indi/index.js';

interface Fake {
  port: number;
  server: Server;
  sockets: Socket[];
  received: IndiMessage[];
  /** What to do with each client message. */
  onMessage: (msg: IndiMessage, sock: Socket) => void;
}

const fakes: Fake[] = [];

async function fakeServer(defs: IndiVector[]): Promise<Fake> {
  const fake: Fake = { port: 0, server: createServer(), sockets: [], received: [], onMessage: () => undefined };
  fake.server.on('connection', (sock) => {
    fake.sockets.push(sock);
    const xml = new XmlStream();
    sock.on('data', (chunk) => {
      for (const el of xml.feed(chunk)) {
        const msg = decodeMessage(el);
        fake.received.push(msg);
        if (msg.type === 'getProperties') for (const d of defs) sock.write(encodeVector('def', d));
        else fake.onMessage(msg, sock);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
  fake.port = (fake.server.address() as { port: number }).port;
  fakes.push(fake);
  return fake;
}

afterEach(async () => {
  for (const f of fakes.splice(0)) {
    for (const s of f.sockets) s.destroy();
    await new Promise((r) => f.server.close(r));
  }
});

const DEV = 'Fake CCD';
const defs: IndiVector[] = [
  { kind: 'Switch', device: DEV, name: 'CONNECTION', state: 'Ok', perm: 'rw', rule: 'OneOfMany', elements: elementsOf({ CONNECT: true, DISCONNECT: false }) },
  { kind: 'Number', device: DEV, name: 'CCD_TEMPERATURE', state: 'Idle', perm: 'rw', elements: elementsOf({ CCD_TEMPERATURE_VALUE: 20 }) },
  { kind: 'Number', device: DEV, name: 'CCD_INFO', state: 'Idle', perm: 'ro', elements: elementsOf({ CCD_MAX_X: 100 }) },
  { kind: 'BLOB', device: DEV, name: 'CCD1', state: 'Idle', perm: 'ro', elements: new Map([['CCD1', { name: 'CCD1' }]]) },
];

async function ready(fake: Fake, opts: Parameters<typeof IndiClient.connect>[0] = {}): Promise<IndiClient> {
  const c = await IndiClient.connect({ port: fake.port, ...opts });
  c.getProperties();
  await c.waitForVector(DEV, 'CCD1', { timeoutMs: 5000 });
  return c;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    expect(e).toBeInstanceOf(AgentError);
    return (e as AgentError).code;
  }
}

describe('IndiClient', () => {
  it('update resolves on Ok after Busy, with the cache updated', async () => {
    const fake = await fakeServer(defs);
    fake.onMessage = (m, sock) => {
      if (m.type !== 'new') return;
      const v = m.vector.elements.get('CCD_TEMPERATURE_VALUE')!.value as number;
      sock.write(encodeVector('set', { kind: 'Number', device: DEV, name: 'CCD_TEMPERATURE', state: 'Busy', elements: elementsOf({ CCD_TEMPERATURE_VALUE: 5 }) }));
      setTimeout(() => sock.write(encodeVector('set', { kind: 'Number', device: DEV, name: 'CCD_TEMPERATURE', state: 'Ok', elements: elementsOf({ CCD_TEMPERATURE_VALUE: v }) })), 20);
    };
    const c = await ready(fake);
    const v = await c.update('Number', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: -10 }, { timeoutMs: 5000 });
    expect(v.state).toBe('Ok');
    expect(c.value(DEV, 'CCD_TEMPERATURE', 'CCD_TEMPERATURE_VALUE')).toBe(-10);
    const sent = fake.received.find((m) => m.type === 'new')!;
    expect(sent.type === 'new' && sent.vector.elements.get('CCD_TEMPERATURE_VALUE')!.value).toBe(-10);
    await c.close();
  });

  it('Alert is DEVICE_ERROR carrying the driver message', async () => {
    const fake = await fakeServer(defs);
    fake.onMessage = (m, sock) => {
      if (m.type !== 'new') return;
      sock.write(encodeMessage(DEV, '[ERROR] cooler failure: fan stalled'));
      sock.write(encodeVector('set', { kind: 'Number', device: DEV, name: 'CCD_TEMPERATURE', state: 'Alert', elements: elementsOf({ CCD_TEMPERATURE_VALUE: 20 }) }));
    };
    const c = await ready(fake);
    const err = await c.update('Number', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: -10 }, { timeoutMs: 5000 }).catch((e: AgentError) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe('DEVICE_ERROR');
    expect((err as AgentError).message).toMatch(/fan stalled/);
    expect(c.closed).toBe(false);
    await c.close();
  });

  it('a silent driver is TIMEOUT; an abort is ABORTED; bad requests are refused before sending', async () => {
    const fake = await fakeServer(defs);
    const c = await ready(fake);
    expect(await codeOf(c.update('Number', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: 0 }, { timeoutMs: 100 }))).toBe('TIMEOUT');
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 30);
    expect(await codeOf(c.update('Number', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: 0 }, { signal: ctl.signal }))).toBe('ABORTED');
    const before = fake.received.length;
    expect(await codeOf(c.update('Number', DEV, 'NOPE', { X: 1 }))).toBe('NOT_FOUND');
    expect(await codeOf(c.update('Number', DEV, 'CCD_INFO', { CCD_MAX_X: 1 }))).toBe('BAD_ARGUMENT');
    expect(await codeOf(c.update('Number', DEV, 'CCD_TEMPERATURE', { WRONG: 1 }))).toBe('BAD_ARGUMENT');
    expect(await codeOf(c.update('Switch', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: true }))).toBe('PROTOCOL');
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.received.length).toBe(before);
    await c.close();
  });

  it('a dropped link rejects pending waits with CONNECTION and later calls with NOT_CONNECTED', async () => {
    const fake = await fakeServer(defs);
    fake.onMessage = (m, sock) => {
      if (m.type === 'new') sock.destroy();
    };
    const c = await ready(fake);
    expect(await codeOf(c.update('Number', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: 0 }, { timeoutMs: 5000 }))).toBe('CONNECTION');
    expect(c.closed).toBe(true);
    expect(() => c.send('Number', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: 0 })).toThrow(/closed/);
    expect(await codeOf(c.waitFor('anything', () => 1, { timeoutMs: 1000 }))).toBe('CONNECTION');
  });

  it('malformed XML closes the link with PROTOCOL; a bad message alone is skipped with a warning', async () => {
    const fake = await fakeServer(defs);
    const warnings: AgentError[] = [];
    fake.onMessage = (m, sock) => {
      if (m.type !== 'new') return;
      sock.write('<setNumberVector device="Fake CCD" name="CCD_TEMPERATURE" state="Ok"><oneNumber name="CCD_TEMPERATURE_VALUE">warm</oneNumber></setNumberVector>\n');
      setTimeout(() => sock.write('<setNumberVector device="Fake CCD"></setSwitchVector>'), 50);
    };
    const c = await ready(fake, { onWarning: (e) => warnings.push(e) });
    expect(await codeOf(c.update('Number', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: 0 }, { timeoutMs: 5000 }))).toBe('PROTOCOL');
    expect(warnings.length).toBe(1);
    expect(warnings[0].message).toMatch(/warm/);
    expect(c.closeReason?.code).toBe('PROTOCOL');
  });

  it('receives a BLOB cut into tiny TCP segments', async () => {
    const fake = await fakeServer(defs);
    const data = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) & 0xff);
    fake.onMessage = (m, sock) => {
      if (m.type !== 'new') return;
      const xml = Buffer.from(encodeVector('set', { kind: 'BLOB', device: DEV, name: 'CCD1', state: 'Ok', elements: new Map([['CCD1', { name: 'CCD1', value: { data, format: '.fits', size: data.length, compressed: true } }]]) }, { blobLineChars: 76 }));
      let i = 0;
      const step = (): void => {
        if (sock.destroyed) return;
        sock.write(xml.subarray(i, i + 997));
        i += 997;
        if (i < xml.length) setImmediate(step);
      };
      step();
    };
    const c = await ready(fake);
    const wait = c.waitFor('image', (m) => (m.type === 'set' && m.vector.name === 'CCD1' ? m.vector.elements.get('CCD1')!.value : undefined), { timeoutMs: 10_000 });
    c.send('Number', DEV, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: 1 });
    const blob = (await wait) as { data: Uint8Array; format: string; compressed: boolean };
    expect(blob.format).toBe('.fits');
    expect(blob.compressed).toBe(true);
    expect(Buffer.from(blob.data).equals(Buffer.from(data))).toBe(true);
    await c.close();
  });

  it('connecting to a port nobody listens on is CONNECTION; a bad port is BAD_ARGUMENT', async () => {
    const fake = await fakeServer(defs);
    const port = fake.port;
    await new Promise((r) => fake.server.close(r));
    fakes.splice(fakes.indexOf(fake), 1);
    expect(await codeOf(IndiClient.connect({ port, connectTimeoutMs: 2000 }))).toBe('CONNECTION');
    expect(await codeOf(IndiClient.connect({ port: 70000 }))).toBe('BAD_ARGUMENT');
  });
});
