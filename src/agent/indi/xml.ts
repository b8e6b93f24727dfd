/**
 * A streaming parser for the XML subset INDI speaks: elements, attributes, character
 * data, the five predefined entities and character references, CDATA, comments and
 * processing instructions (skipped). INDI sends an unbounded sequence of top-level
 * elements over TCP, cut into chunks anywhere — inside a tag, an entity, a multi-byte
 * UTF-8 sequence — so the parser keeps what it cannot finish and resumes on the next
 * chunk. Each completed top-level element is returned as a small tree.
 *
 * Malformed input (mismatched tags, stray text between messages, bad attribute syntax,
 * unknown entities, DOCTYPE, limits exceeded) fails with AgentError PROTOCOL; the stream
 * is then unusable (a TCP peer that sent bad XML cannot be resynchronised reliably).
 *
 * Cost is linear in the input: text runs (a BLOB's base64 can be 100+ MB) are found with
 * indexOf and kept as slices, never rescanned.
 */
import { AgentError } from '../errors.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside the element (entities decoded), untrimmed. */
  text: string;
}

export interface XmlStreamOptions {
  /** Largest text of one element, characters; default 400 M (a ~300 MB BLOB). */
  maxTextChars?: number;
  /** Deepest nesting; default 16 (INDI uses 2). */
  maxDepth?: number;
  /** Longest tag, comment or processing instruction, characters; default 1 M. */
  maxTagChars?: number;
}

interface Open {
  el: XmlElement;
  parts: string[];
  chars: number;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*$/;
const ENTITY = /&([^;&]*);?/g;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export class XmlStream {
  private buf = '';
  private readonly stack: Open[] = [];
  private readonly decoder = new TextDecoder('utf-8');
  private failed: AgentError | undefined;
  private consumed = 0;
  private readonly maxText: number;
  private readonly maxDepth: number;
  private readonly maxTag: number;

  constructor(opts: XmlStreamOptions = {}) {
    this.maxText = opts.maxTextChars ?? 400_000_000;
    this.maxDepth = opts.maxDepth ?? 16;
    this.maxTag = opts.maxTagChars ?? 1_000_000;
  }

  /** True between top-level elements (nothing half-read). */
  get idle(): boolean {
    return this.stack.length === 0 && this.buf.trim() === '';
  }

  /** Feeds a chunk; returns the top-level elements it completed. */
  feed(chunk: Uint8Array | string): XmlElement[] {
    if (this.failed) throw this.failed;
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    try {
      return this.parse(text);
    } catch (e) {
      this.failed = e instanceof AgentError ? e : new AgentError('PROTOCOL', `XML parser failure: ${String(e)}`, { cause: e });
      throw this.failed;
    }
  }

  /** Declares the end of input: fails if an element is unfinished. */
  end(): void {
    if (this.failed) throw this.failed;
    const rest = this.buf + this.decoder.decode();
    if (this.stack.length > 0) throw this.fail(`input ended inside <${this.stack[this.stack.length - 1].el.name}>`);
    if (rest.trim() !== '') throw this.fail(`input ended inside markup: '${rest.slice(0, 40)}'`);
  }

  private fail(msg: string): AgentError {
    this.failed = new AgentError('PROTOCOL', `malformed XML near character ${this.consumed}: ${msg}`);
    return this.failed;
  }

  private parse(chunk: string): XmlElement[] {
    const out: XmlElement[] = [];
    const buf = this.buf + chunk;
    let pos = 0;
    const n = buf.length;
    while (pos < n) {
      if (buf.charCodeAt(pos) !== 60 /* < */) {
        const lt = buf.indexOf('<', pos);
        let end = lt < 0 ? n : lt;
        if (lt < 0) {
          // Hold back an entity that may be cut by the chunk boundary.
          const amp = buf.lastIndexOf('&', n - 1);
          if (amp >= pos && n - amp < 16 && buf.indexOf(';', amp) < 0) end = amp;
        }
        if (end > pos) this.text(buf.slice(pos, end));
        this.consumed += end - pos;
        pos = end;
        if (lt < 0) break;
        continue;
      }
      const rest = n - pos;
      if (rest < 2) break;
      const c1 = buf.charCodeAt(pos + 1);
      if (c1 === 33 /* ! */) {
        if (buf.startsWith('<!--', pos)) {
          const e = buf.indexOf('-->', pos + 4);
          if (e < 0) {
            this.checkPending(rest);
            break;
          }
          this.consumed += e + 3 - pos;
          pos = e + 3;
          continue;
        }
        if (buf.startsWith('<![CDATA[', pos)) {
          const e = buf.indexOf(']]>', pos + 9);
          if (e < 0) {
            this.checkPending(rest);
            break;
          }
          if (this.stack.length === 0) throw this.fail('CDATA outside an element');
          this.rawText(buf.slice(pos + 9, e));
          this.consumed += e + 3 - pos;
          pos = e + 3;
          continue;
        }
        const head = buf.slice(pos, pos + 9);
        if (rest < 9 && ('<![CDATA['.startsWith(head) || '<!--'.startsWith(head))) break;
        throw this.fail(`unsupported markup '${head}' (DOCTYPE and declarations are not allowed)`);
      }
      if (c1 === 63 /* ? */) {
        const e = buf.indexOf('?>', pos + 2);
        if (e < 0) {
          this.checkPending(rest);
          break;
        }
        this.consumed += e + 2 - pos;
        pos = e + 2;
        continue;
      }
      // A tag: find its '>' outside quoted attribute values.
      let j = pos + 1;
      let quote = 0;
      for (; j < n; j++) {
        const c = buf.charCodeAt(j);
        if (quote !== 0) {
          if (c === quote) quote = 0;
        } else if (c === 34 || c === 39) quote = c;
        else if (c === 62 /* > */) break;
        else if (c === 60 /* < */) throw this.fail("'<' inside a tag");
      }
      if (j >= n) {
        this.checkPending(rest);
        break;
      }
      const el = this.tag(buf.slice(pos + 1, j));
      if (el) out.push(el);
      this.consumed += j + 1 - pos;
      pos = j + 1;
    }
    this.buf = buf.slice(pos);
    return out;
  }

  private checkPending(chars: number): void {
    if (chars > this.maxTag) throw this.fail(`markup longer than ${this.maxTag} characters`);
  }

  private text(raw: string): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (raw.trim() !== '') throw this.fail(`text outside any element: '${raw.trim().slice(0, 40)}'`);
      return;
    }
    this.rawText(raw.indexOf('&') >= 0 ? decodeEntities(raw, (m) => this.fail(m)) : raw);
  }

  private rawText(s: string): void {
    const top = this.stack[this.stack.length - 1];
    top.chars += s.length;
    if (top.chars > this.maxText) throw this.fail(`text of <${top.el.name}> longer than ${this.maxText} characters`);
    top.parts.push(s);
  }

  /** Handles the inside of one tag; returns a completed top-level element. */
  private tag(inner: string): XmlElement | undefined {
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim();
      const top = this.stack.pop();
      if (!top) throw this.fail(`closing tag </${name}> with no element open`);
      if (top.el.name !== name) throw this.fail(`closing tag </${name}> does not match <${top.el.name}>`);
      top.el.text = top.parts.length === 1 ? top.parts[0] : top.parts.join('');
      return this.stack.length === 0 ? top.el : undefined;
    }
    const selfClosing = inner.endsWith('/');
    const body = selfClosing ? inner.slice(0, -1) : inner;
    const m = /^([^\s/>]+)/.exec(body);
    if (!m || !NAME.test(m[1])) throw this.fail(`bad element name in <${inner.slice(0, 40)}>`);
    const el: XmlElement = { name: m[1], attrs: parseAttributes(body.slice(m[1].length), m[1], (msg) => this.fail(msg)), children: [], text: '' };
    if (this.stack.length >= this.maxDepth) throw this.fail(`elements nested deeper than ${this.maxDepth}`);
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.el.children.push(el);
    if (selfClosing) return parent ? undefined : el;
    this.stack.push({ el, parts: [], chars: 0 });
    return undefined;
  }
}

function parseAttributes(s: string, element: string, fail: (m: string) => AgentError): Record<string, string> {
  const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  const n = s.length;
  const ws = (): void => {
    while (i < n && /\s/.test(s[i])) i++;
  };
  while (true) {
    ws();
    if (i >= n) return attrs;
    const start = i;
    while (i < n && !/[\s=]/.test(s[i])) i++;
    const name = s.slice(start, i);
    if (!NAME.test(name)) throw fail(`bad attribute name '${name}' in <${element}>`);
    ws();
    if (s[i] !== '=') throw fail(`attribute '${name}' of <${element}> has no value`);
    i++;
    ws();
    const q = s[i];
    if (q !== '"' && q !== "'") throw fail(`attribute '${name}' of <${element}> is not quoted`);
    const close = s.indexOf(q, i + 1);
    if (close < 0) throw fail(`attribute '${name}' of <${element}> is not closed`);
    const raw = s.slice(i + 1, close);
    if (raw.includes('<')) throw fail(`'<' in the value of attribute '${name}' of <${element}>`);
    if (Object.prototype.hasOwnProperty.call(attrs, name)) throw fail(`attribute '${name}' repeated in <${element}>`);
    attrs[name] = raw.includes('&') ? decodeEntities(raw, fail) : raw;
    i = close + 1;
  }
}

function decodeEntities(s: string, fail: (m: string) => AgentError): string {
  return s.replace(ENTITY, (whole, body: string) => {
    if (!whole.endsWith(';')) throw fail(`unterminated entity '${whole.slice(0, 12)}'`);
    const pre = PREDEFINED[body];
    if (pre !== undefined) return pre;
    const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(body);
    if (!m) throw fail(`unknown entity '&${body.slice(0, 12)};'`);
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw fail(`character reference '&${body};' is not a character`);
    return String.fromCodePoint(cp);
  });
}

/** Escapes text for an XML attribute value or character data. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}
