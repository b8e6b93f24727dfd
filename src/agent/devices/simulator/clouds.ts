/**
 * Cloud cover over the simulated site as a function of time: the fraction of starlight
 * getting through (transparency, 0 … 1). Deterministic in time — a given instant always
 * has the same sky, however often and in whatever order it is asked — so a camera and a
 * weather station looking at the same moment agree.
 */
import { deriveSeed, Rng } from '../../../science/inference/random.js';
import { AgentError } from '../../errors.js';

export type CloudModel =
  | { kind: 'clear' }
  | { kind: 'overcast'; transparency: number }
  /**
   * Clouds passing: time is cut into cells of `cellS` seconds (default 600); a cell is
   * cloudy with probability `cloudyFraction` (default 0.3), with a transparency drawn
   * uniformly in [minTransparency, maxTransparency] (defaults 0.02, 0.5) over a random
   * stretch of it (a cloud of 30–100 % of the cell).
   */
  | { kind: 'passing'; seed: number; cellS?: number; cloudyFraction?: number; minTransparency?: number; maxTransparency?: number }
  | { kind: 'custom'; transparencyAt: (at: Date) => number };

export function checkCloudModel(m: CloudModel): void {
  if (m === null || typeof m !== 'object') throw new AgentError('BAD_ARGUMENT', 'cloud model is required');
  const frac = (v: number | undefined, name: string): void => {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new AgentError('BAD_ARGUMENT', `clouds.${name} must be in [0, 1], got ${v}`);
  };
  switch (m.kind) {
    case 'clear':
      return;
    case 'overcast':
      if (m.transparency === undefined) throw new AgentError('BAD_ARGUMENT', 'clouds.transparency is required for overcast');
      frac(m.transparency, 'transparency');
      return;
    case 'passing':
      if (!Number.isSafeInteger(m.seed)) throw new AgentError('BAD_ARGUMENT', `clouds.seed must be a safe integer, got ${m.seed}`);
      if (m.cellS !== undefined && !(m.cellS >= 1)) throw new AgentError('BAD_ARGUMENT', `clouds.cellS must be ≥ 1 s, got ${m.cellS}`);
      frac(m.cloudyFraction, 'cloudyFraction');
      frac(m.minTransparency, 'minTransparency');
      frac(m.maxTransparency, 'maxTransparency');
      if ((m.minTransparency ?? 0.02) > (m.maxTransparency ?? 0.5)) throw new AgentError('BAD_ARGUMENT', 'clouds.minTransparency exceeds maxTransparency');
      return;
    case 'custom':
      if (typeof m.transparencyAt !== 'function') throw new AgentError('BAD_ARGUMENT', 'clouds.transparencyAt must be a function');
      return;
    default:
      throw new AgentError('BAD_ARGUMENT', `unknown cloud model '${String((m as { kind: unknown }).kind)}' (clear, overcast, passing, custom)`);
  }
}

/** Transparency at an instant, 0 … 1. */
export function transparencyAt(m: CloudModel, at: Date): number {
  switch (m.kind) {
    case 'clear':
      return 1;
    case 'overcast':
      return m.transparency;
    case 'passing': {
      const cellMs = (m.cellS ?? 600) * 1000;
      const t = at.getTime();
      const cell = Math.floor(t / cellMs);
      const rng = new Rng(deriveSeed(m.seed, cell));
      if (!(rng.uniform() < (m.cloudyFraction ?? 0.3))) return 1;
      const lo = m.minTransparency ?? 0.02;
      const hi = m.maxTransparency ?? 0.5;
      const value = lo + (hi - lo) * rng.uniform();
      const length = 0.3 + 0.7 * rng.uniform();
      const start = (1 - length) * rng.uniform();
      const phase = (t - cell * cellMs) / cellMs;
      return phase >= start && phase < start + length ? value : 1;
    }
    case 'custom': {
      const v = m.transparencyAt(at);
      if (!(v >= 0 && v <= 1)) throw new AgentError('BAD_ARGUMENT', `clouds.transparencyAt(${at.toISOString()}) gave ${v}, outside [0, 1]`);
      return v;
    }
  }
}

/** Mean transparency over [start, start + durationS] (flux-weighted, midpoint rule). */
export function meanTransparency(m: CloudModel, start: Date, durationS: number, samples = 16): number {
  if (!(durationS > 0)) return transparencyAt(m, start);
  let s = 0;
  for (let k = 0; k < samples; k++) s += transparencyAt(m, new Date(start.getTime() + ((k + 0.5) / samples) * durationS * 1000));
  return s / samples;
}
