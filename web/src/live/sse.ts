/**
 * An incremental Server-Sent Events parser (the WHATWG "event stream interpretation"):
 * feed it text as it arrives, in chunks cut anywhere, and get whole events back. We parse
 * ourselves rather than use EventSource because EventSource cannot send an Authorization
 * header, and a service with closed reads needs one.
 */
export interface SseEvent {
  /** 'message' when the event has no `event:` field. */
  event: string;
  data: string;
  /** The last `id:` seen on the stream so far ('' if none). */
  lastEventId: string;
}

export interface SseParser {
  /** Parse a chunk; returns the events it completed. */
  feed(chunk: string): SseEvent[];
  /** Reconnection delay the server asked for (ms), if any. */
  readonly retryMs: number | undefined;
}

export function createSseParser(): SseParser {
  let buffer = '';
  let skipLeadingLf = false;
  let data: string[] = [];
  let event = '';
  let lastEventId = '';
  let retryMs: number | undefined;
  let first = true;

  const line = (text: string, out: SseEvent[]) => {
    if (text === '') {
      if (data.length > 0) out.push({ event: event || 'message', data: data.join('\n'), lastEventId });
      data = [];
      event = '';
      return;
    }
    if (text.startsWith(':')) return; // comment (keep-alive)
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') {
      if (!value.includes('\0')) lastEventId = value;
    } else if (field === 'retry') {
      if (/^\d+$/.test(value)) retryMs = Number(value);
    }
  };

  return {
    feed(chunk) {
      const out: SseEvent[] = [];
      let text = chunk;
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM
      }
      if (skipLeadingLf && text.startsWith('\n')) text = text.slice(1);
      skipLeadingLf = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const ch = buffer[i];
        if (ch !== '\n' && ch !== '\r') continue;
        line(buffer.slice(start, i), out);
        if (ch === '\r') {
          if (i + 1 < buffer.length) {
            if (buffer[i + 1] === '\n') i++;
          } else {
            // A CR at the end of a chunk may be half of a CRLF.
            skipLeadingLf = true;
          }
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      return out;
    },
    get retryMs() {
      return retryMs;
    },
  };
}
