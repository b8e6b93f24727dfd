/**
 * Time as a dependency. Network rules never read the system clock themselves: they take a
 * Clock (or a `now: Date`) so tests drive time by hand and the demo can run a night in
 * minutes.
 */
export interface Clock {
  /** Current instant. */
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to (tests) — starts at `start`. */
export interface ManualClock extends Clock {
  /** Move forward by `ms` milliseconds (negative is refused). */
  advance(ms: number): Date;
  /** Jump to an instant (earlier than now is refused: time does not run backwards). */
  set(instant: Date): void;
}

export function manualClock(start: Date | string = '2026-01-01T00:00:00Z'): ManualClock {
  let t = new Date(start).getTime();
  if (!Number.isFinite(t)) throw new RangeError(`manualClock: bad start time ${String(start)}`);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      if (!(ms >= 0)) throw new RangeError(`manualClock.advance: ms must be >= 0, got ${ms}`);
      t += ms;
      return new Date(t);
    },
    set(instant: Date) {
      const next = instant.getTime();
      if (!(next >= t)) throw new RangeError(`manualClock.set: ${instant.toISOString()} is before now`);
      t = next;
    },
  };
}

/**
 * A clock running `factor` times faster than real time from `start` (the demo's night in
 * minutes). `real` is injectable for tests.
 */
export function acceleratedClock(start: Date, factor: number, real: Clock = systemClock): Clock {
  if (!(factor > 0)) throw new RangeError(`acceleratedClock: factor must be > 0, got ${factor}`);
  const t0Real = real.now().getTime();
  const t0 = start.getTime();
  return { now: () => new Date(t0 + (real.now().getTime() - t0Real) * factor) };
}
