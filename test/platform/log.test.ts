/**
 * The logger: JSON lines at the configured level, secrets censored on every path in the
 * redaction list, level names rather than numbers.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS, REDACTED } from '../../src/platform/log/index.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** An object with `secret` placed at a redaction path ('*' as some key). */
function placeAt(p: string, secret: string): Record<string, unknown> {
  const parts = p.split('.').map((s) => (s === '*' ? 'anything' : s));
  const root: Record<string, unknown> = {};
  let at = root;
  parts.forEach((s, i) => {
    if (i === parts.length - 1) at[s] = secret;
    else at = (at[s] = {}) as Record<string, unknown>;
  });
  return root;
}

describe('createLogger', () => {
  it('writes JSON lines with level names, filtered by level', () => {
    const { stream, lines } = capture();
    const log = createLogger({ level: 'warn', destination: stream, base: { service: 'test' } });
    log.info('hidden');
    log.warn({ nodeId: 'n1' }, 'shown');
    const out = lines();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ level: 'warn', msg: 'shown', nodeId: 'n1', service: 'test' });
    expect(typeof out[0].time).toBe('string');
    expect(new Date(out[0].time as string).toISOString()).toBe(out[0].time);
  });

  it.each(REDACT_PATHS)('censors %s', (p) => {
    const { stream, lines } = capture();
    const log = createLogger({ level: 'info', destination: stream });
    const secret = 'Bearer s3cr3t-value-that-must-not-leak';
    log.info(placeAt(p, secret), 'request');
    const raw = JSON.stringify(lines());
    expect(raw).not.toContain('s3cr3t');
    expect(raw).toContain(REDACTED);
  });

  it('censors an Authorization header in a logged request and keeps the rest', () => {
    const { stream, lines } = capture();
    const log = createLogger({ destination: stream });
    log.info({ req: { method: 'POST', url: '/api/v1/nodes/x/heartbeat', headers: { authorization: 'Bearer tok', 'user-agent': 'agent/1' } } });
    const [line] = lines();
    expect(line.req).toEqual({ method: 'POST', url: '/api/v1/nodes/x/heartbeat', headers: { authorization: REDACTED, 'user-agent': 'agent/1' } });
  });
});
