/** The dashboard's SSE parser against the WHATWG event-stream rules. */
import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../web/src/live/sse.js';

describe('createSseParser', () => {
  it('dispatches on a blank line; joins data lines with \\n; default event "message"', () => {
    const p = createSseParser();
    expect(p.feed('data: a\ndata:b\n\n')).toEqual([{ event: 'message', data: 'a\nb', lastEventId: '' }]);
    expect(p.feed('event: diff\nid: 7\ndata: {"x":1}\n\n')).toEqual([{ event: 'diff', data: '{"x":1}', lastEventId: '7' }]);
    // The id persists for later events; the event name does not.
    expect(p.feed('data: z\n\n')).toEqual([{ event: 'message', data: 'z', lastEventId: '7' }]);
  });

  it('handles CRLF, CR, chunks cut anywhere (even between CR and LF), comments and a BOM', () => {
    const text = '\ufeff: keep-alive\r\nretry: 2500\r\nevent: snapshot\rdata: one\r\n\r\nevent: diff\ndata:  two\n\n';
    const whole = createSseParser().feed(text);
    expect(whole).toEqual([
      { event: 'snapshot', data: 'one', lastEventId: '' },
      { event: 'diff', data: ' two', lastEventId: '' },
    ]);
    for (let cut = 1; cut < text.length; cut++) {
      const p = createSseParser();
      const got = [...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))];
      expect(got, `cut at ${cut}`).toEqual(whole);
      expect(p.retryMs).toBe(2500);
    }
    // One character at a time.
    const p = createSseParser();
    expect([...text].flatMap((c) => p.feed(c))).toEqual(whole);
  });

  it('ignores events without data, unknown fields, bad retry values and ids with NUL; holds an unfinished event', () => {
    const p = createSseParser();
    expect(p.feed('event: x\n\nfoo: bar\nretry: soon\nid: a\0b\ndata\n\n')).toEqual([{ event: 'message', data: '', lastEventId: '' }]);
    expect(p.retryMs).toBeUndefined();
    expect(p.feed('data: pending')).toEqual([]);
    expect(p.feed('\n')).toEqual([]);
    expect(p.feed('\n')).toEqual([{ event: 'message', data: 'pending', lastEventId: '' }]);
  });
});
