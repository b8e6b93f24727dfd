/**
 * An INDI client over TCP (default port 7624). It keeps the properties the server has
 * defined, applies set*Vector updates to them, and lets callers send new*Vector requests
 * and wait for their outcome: the property's state going Ok (or Idle) with the values
 * asked for, or Alert — reported as DEVICE_ERROR with the driver's last message.
 *
 * Failure handling: a message that does not decode (a driver bug in one property) is
 * skipped and reported through onWarning; malformed XML or a dropped link closes the
 * client and rejects every pending wait with PROTOCOL or CONNECTION. Every wait has a
 * timeout and honours an AbortSignal.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { AgentError, withDeadline, type DeadlineOptions } from '../errors.js';
import {
  decodeMessage,
  elementsOf,
  encodeEnableBlob,
  encodeGetProperties,
  encodeVector,
  type BlobMode,
  type IndiKind,
  type IndiMessage,
  type IndiValue,
  type IndiVector,
} from './protocol.js';
import { XmlStream, type XmlStreamOptions } from './xml.js';

export const INDI_DEFAULT_PORT = 7624;

export interface IndiClientOptions {
  host?: string;
  port?: number;
  /** Real ms to establish the TCP connection; default 5000. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  xml?: XmlStreamOptions;
  /** Messages that failed to decode and were skipped (the link stays up). */
  onWarning?: (err: AgentError) => void;
}

export interface UpdateOptions extends DeadlineOptions {
  /** Extra condition on the updated vector before the update counts as done. */
  until?: (v: IndiVector) => boolean;
  /** Count a Busy state as accepted (long operations such as cooling). */
  acceptBusy?: boolean;
}

type Listener = (msg: IndiMessage) => void;

const MESSAGES_KEPT = 20;

export class IndiClient {
  private readonly socket: Socket;
  private readonly xml: XmlStream;
  private readonly listeners = new Set<Listener>();
  private readonly closeListeners = new Set<(err: AgentError) => void>();
  private readonly props = new Map<string, Map<string, IndiVector>>();
  private readonly messages = new Map<string, string[]>();
  private closedWith: AgentError | undefined;
  private readonly onWarning: (err: AgentError) => void;
  readonly host: string;
  readonly port: number;

  private constructor(socket: Socket, host: string, port: number, opts: IndiClientOptions) {
    this.socket = socket;
    this.host = host;
    this.port = port;
    this.xml = new XmlStream(opts.xml);
    this.onWarning = opts.onWarning ?? (() => undefined);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e: Error) => this.shut(new AgentError('CONNECTION', `INDI link to ${host}:${port} failed: ${e.message}`, { cause: e })));
    socket.on('close', () => this.shut(new AgentError('CONNECTION', `INDI server ${host}:${port} closed the connection`)));
  }

  /** Opens the TCP connection (and nothing else: ask for properties with getProperties). */
  static connect(opts: IndiClientOptions = {}): Promise<IndiClient> {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? INDI_DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return Promise.reject(new AgentError('BAD_ARGUMENT', `INDI port must be 1 … 65535, got ${port}`));
    return withDeadline(`connecting to INDI server ${host}:${port}`, { timeoutMs: opts.connectTimeoutMs ?? 5000, signal: opts.signal }, (signal) =>
      new Promise<IndiClient>((resolve, reject) => {
        const socket = tcpConnect({ host, port });
        const onError = (e: Error): void => {
          socket.destroy();
          reject(new AgentError('CONNECTION', `cannot connect to INDI server ${host}:${port}: ${e.message}`, { cause: e }));
        };
        const onAbort = (): void => {
          socket.destroy();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('error', onError);
        socket.once('connect', () => {
          socket.off('error', onError);
          signal.removeEventListener('abort', onAbort);
          socket.setNoDelay(true);
          socket.setKeepAlive(true, 30_000);
          resolve(new IndiClient(socket, host, port, opts));
        });
      }),
    );
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Why the link closed (undefined while open). */
  get closeReason(): AgentError | undefined {
    return this.closedWith;
  }

  private receive(chunk: Buffer): void {
    if (this.closedWith) return;
    let elements;
    try {
      elements = this.xml.feed(chunk);
    } catch (e) {
      this.shut(e instanceof AgentError ? e : new AgentError('PROTOCOL', String(e), { cause: e }));
      this.socket.destroy();
      return;
    }
    for (const el of elements) {
      let msg: IndiMessage;
      try {
        msg = decodeMessage(el);
      } catch (e) {
        this.onWarning(e instanceof AgentError ? e : new AgentError('PROTOCOL', String(e), { cause: e }));
        continue;
      }
      this.apply(msg);
      for (const l of [...this.listeners]) l(msg);
    }
  }

  private apply(msg: IndiMessage): void {
    switch (msg.type) {
      case 'def': {
        let dev = this.props.get(msg.vector.device);
        if (!dev) this.props.set(msg.vector.device, (dev = new Map()));
        dev.set(msg.vector.name, msg.vector);
        break;
      }
      case 'set': {
        const cur = this.props.get(msg.vector.device)?.get(msg.vector.name);
        if (!cur || cur.kind !== msg.vector.kind) break;
        const u = msg.vector;
        if (u.state !== undefined) cur.state = u.state;
        if (u.timeoutS !== undefined) cur.timeoutS = u.timeoutS;
        if (u.timestamp !== undefined) cur.timestamp = u.timestamp;
        if (u.message !== undefined) cur.message = u.message;
        for (const e of u.elements.values()) {
          const target = cur.elements.get(e.name);
          // BLOB data go to whoever waits for them, not into the cache.
          if (target && cur.kind !== 'BLOB') target.value = e.value;
        }
        if (u.message) this.remember(u.device, u.message);
        break;
      }
      case 'del':
        if (msg.device === undefined) this.props.clear();
        else if (msg.name === undefined) this.props.delete(msg.device);
        else this.props.get(msg.device)?.delete(msg.name);
        break;
      case 'message':
        this.remember(msg.device ?? '', msg.message);
        break;
      default:
        break;
    }
  }

  private remember(device: string, text: string): void {
    let list = this.messages.get(device);
    if (!list) this.messages.set(device, (list = []));
    list.push(text);
    if (list.length > MESSAGES_KEPT) list.shift();
  }

  private shut(err: AgentError): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const l of [...this.closeListeners]) l(err);
    this.closeListeners.clear();
    this.listeners.clear();
  }

  /** The driver's recent <message>s (newest last). */
  recentMessages(device: string): string[] {
    return [...(this.messages.get(device) ?? [])];
  }

  devices(): string[] {
    return [...this.props.keys()];
  }

  vector(device: string, name: string): IndiVector | undefined {
    return this.props.get(device)?.get(name);
  }

  /** A defined property, of the expected kind; NOT_FOUND otherwise. */
  requireVector(device: string, name: string, kind?: IndiKind): IndiVector {
    const v = this.vector(device, name);
    if (!v) throw new AgentError('NOT_FOUND', `INDI property not defined (is the driver running and the device connected?)`, { device, property: name });
    if (kind && v.kind !== kind) throw new AgentError('PROTOCOL', `property is a ${v.kind} vector, expected ${kind}`, { device, property: name });
    return v;
  }

  /** Current value of one element of a defined property. */
  value(device: string, name: string, element: string): IndiValue | undefined {
    return this.vector(device, name)?.elements.get(element)?.value;
  }

  onMessage(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private write(text: string): void {
    if (this.closedWith) throw new AgentError('NOT_CONNECTED', `INDI link is closed: ${this.closedWith.message}`, { cause: this.closedWith });
    this.socket.write(text);
  }

  getProperties(device?: string, name?: string): void {
    this.write(encodeGetProperties({ device, name }));
  }

  enableBlob(mode: BlobMode, device: string, name?: string): void {
    this.write(encodeEnableBlob(mode, device, name));
  }

  /** Sends new values without waiting. */
  send(kind: IndiKind, device: string, name: string, values: Record<string, IndiValue>): void {
    this.write(encodeVector('new', { kind, device, name, elements: elementsOf(values) }));
  }

  /**
   * Waits until `test` returns something other than undefined for a message received
   * from now on. Rejects when the link closes.
   */
  waitFor<T>(what: string, test: (msg: IndiMessage) => T | undefined, opts: DeadlineOptions = {}): Promise<T> {
    return withDeadline(what, opts, (signal) => this.listen(test, signal));
  }

  private listen<T>(test: (msg: IndiMessage) => T | undefined, signal: AbortSignal, onListening?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      const cleanup = (): void => {
        this.listeners.delete(listener);
        this.closeListeners.delete(onClose);
        signal.removeEventListener('abort', onAbort);
      };
      const listener: Listener = (msg) => {
        let r: T | undefined;
        try {
          r = test(msg);
        } catch (e) {
          cleanup();
          reject(e);
          return;
        }
        if (r !== undefined) {
          cleanup();
          resolve(r);
        }
      };
      const onClose = (err: AgentError): void => {
        cleanup();
        reject(err);
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal.reason);
      };
      this.listeners.add(listener);
      this.closeListeners.add(onClose);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        onListening?.();
      } catch (e) {
        cleanup();
        reject(e);
      }
    });
  }

  /** A property once the server has defined it (at once if it already has). */
  waitForVector(device: string, name: string, opts: DeadlineOptions = {}): Promise<IndiVector> {
    const have = this.vector(device, name);
    if (have) return Promise.resolve(have);
    return this.waitFor(`INDI property ${device}.${name}`, (m) => (m.type === 'def' && m.vector.device === device && m.vector.name === name ? m.vector : undefined), opts);
  }

  /**
   * Sends new values and waits for the driver to report the property Ok or Idle (and
   * `until` to hold on it). Alert fails with DEVICE_ERROR carrying the driver's message.
   */
  update(kind: IndiKind, device: string, name: string, values: Record<string, IndiValue>, opts: UpdateOptions = {}): Promise<IndiVector> {
    let vec: IndiVector;
    try {
      vec = this.requireVector(device, name, kind);
      if (vec.perm === 'ro') throw new AgentError('BAD_ARGUMENT', 'property is read-only', { device, property: name });
      for (const el of Object.keys(values)) {
        if (!vec.elements.has(el)) throw new AgentError('BAD_ARGUMENT', `no element '${el}' (it has ${[...vec.elements.keys()].join(', ')})`, { device, property: name });
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const what = `INDI ${device}.${name}`;
    return withDeadline(what, { timeoutMs: opts.timeoutMs ?? Math.max(10_000, (vec.timeoutS ?? 0) * 1000 * 2), signal: opts.signal }, (signal) =>
      this.listen<IndiVector>(
        (m) => {
          if (m.type !== 'set' || m.vector.device !== device || m.vector.name !== name) return undefined;
          const cur = this.vector(device, name) ?? m.vector;
          if (m.vector.state === 'Alert') {
            const said = m.vector.message ?? this.recentMessages(device).at(-1);
            throw new AgentError('DEVICE_ERROR', `driver reported Alert${said ? `: ${said}` : ''}`, { device, property: name });
          }
          // `until` sees every update (Busy ones too), so it can follow the progress.
          const wanted = opts.until ? opts.until(cur) : true;
          const accepted = m.vector.state !== 'Busy' || opts.acceptBusy === true;
          return accepted && wanted ? cur : undefined;
        },
        signal,
        () => this.send(kind, device, name, values),
      ),
    );
  }

  /** Closes the link; pending waits fail with CONNECTION. */
  async close(): Promise<void> {
    if (this.socket.destroyed) {
      this.shut(new AgentError('CONNECTION', 'INDI client closed'));
      return;
    }
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.shut(new AgentError('CONNECTION', 'INDI client closed'));
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}
