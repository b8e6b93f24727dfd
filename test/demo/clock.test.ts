import { describe, expect, it } from 'vitest';
import { elasticClock } from '../../src/demo/clock.js';
import { DemoError } from '../../src/demo/errors.js';

/** A hand-driven real time and interval timer. */
function fakeReal() {
  let now = 0;
  let fn: (() => void) | null = null;
  return {
    realNowMs: () => now,
    timers: {
      setInterval: (f: () => void) => {
        fn = f;
        return 1;
      },
      clearInterval: () => {
        fn = null;
      },
    },
    /** Real time passes by `ms` in one go, then the ticker runs once (a stall of ms). */
    stall(ms: number) {
      now += ms;
      fn?.();
    },
    /** Real time passes in ticks of `tick` ms, the ticker running after each. */
    run(ms: number, tick = 10) {
      for (let t = 0; t < ms; t += tick) this.stall(tick);
    },
  };
}

const START = new Date('2026-03-20T02:00:00Z');

describe('elasticClock', () => {
  it('stands still until started, then runs `speed` times real time while ticks keep up', () => {
    const r = fakeReal();
    const c = elasticClock({ start: START, speed: 300, realNowMs: r.realNowMs, timers: r.timers });
    r.run(1000);
    expect(c.now().getTime()).toBe(START.getTime());
    c.start();
    r.run(1000);
    expect(c.now().getTime() - START.getTime()).toBe(300_000);
    expect(c.stats().pausedRealMs).toBe(0);
  });

  it('counts at most maxStepMs of a stall and reports the rest as paused', () => {
    const r = fakeReal();
    const c = elasticClock({ start: START, speed: 100, tickMs: 10, maxStepMs: 50, realNowMs: r.realNowMs, timers: r.timers });
    c.start();
    r.stall(2000); // a 2 s blocked event loop
    expect(c.now().getTime() - START.getTime()).toBe(50 * 100);
    expect(c.stats().pausedRealMs).toBe(1950);
  });

  it('never passes its limit, and goes on once the limit moves', () => {
    const r = fakeReal();
    let limit = START.getTime() + 60_000;
    const c = elasticClock({ start: START, speed: 1000, realNowMs: r.realNowMs, timers: r.timers, limitMs: () => limit });
    c.start();
    r.run(1000); // would be 1000 s of simulated time
    expect(c.now().getTime()).toBe(limit);
    expect(c.stats().pausedRealMs).toBeCloseTo(940, 6);
    limit += 30_000;
    r.run(1000);
    expect(c.now().getTime()).toBe(limit);
  });

  it('wakes sleepers in simulated time, in order', async () => {
    const r = fakeReal();
    const c = elasticClock({ start: START, speed: 60, realNowMs: r.realNowMs, timers: r.timers });
    c.start();
    const woke: string[] = [];
    const a = c.sleep(30_000).then(() => woke.push('30 s'));
    const b = c.sleep(10_000).then(() => woke.push('10 s'));
    r.run(100); // 6 simulated seconds
    await Promise.resolve();
    expect(woke).toEqual([]);
    r.run(500); // 36 s in all
    await Promise.all([a, b]);
    expect(woke).toEqual(['10 s', '30 s']);
  });

  it('rejects a sleep when its signal aborts or the clock stops', async () => {
    const r = fakeReal();
    const c = elasticClock({ start: START, speed: 60, realNowMs: r.realNowMs, timers: r.timers });
    c.start();
    const ctl = new AbortController();
    const p = c.sleep(60_000, ctl.signal);
    ctl.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    const q = c.sleep(60_000);
    c.stop();
    await expect(q).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(c.sleep(1)).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('changes speed from the moment it is told', () => {
    const r = fakeReal();
    const c = elasticClock({ start: START, speed: 100, realNowMs: r.realNowMs, timers: r.timers });
    c.start();
    r.run(100);
    c.setSpeed(1);
    r.run(1000);
    expect(c.now().getTime() - START.getTime()).toBe(100 * 100 + 1000);
    expect(c.speed).toBe(1);
  });

  it('refuses bad options with a typed error', () => {
    expect(() => elasticClock({ start: START, speed: 0 })).toThrow(DemoError);
    expect(() => elasticClock({ start: new Date('nope'), speed: 1 })).toThrow(/start/);
    expect(() => elasticClock({ start: START, speed: 1, tickMs: 10, maxStepMs: 5 })).toThrow(/maxStepMs/);
  });
});
