/**
 * A TTV fit described in a file (JSON, or YAML when the text is not JSON): the model
 * (TtvModelConfig, see model.ts) and an optional `sampler` section. Unknown keys are
 * rejected with their path, so a typo ("masEarth") is not silently a default.
 *
 *   stellarMassMsun: 1.0
 *   jitterDays: { prior: log-uniform, min: 1.0e-5, max: 0.01 }   # optional
 *   planets:
 *     - name: b                      # periodDays / conjunctionDays default from its times
 *       massEarth: { prior: log-uniform, min: 1, max: 300 }
 *       eccentricity: { prior: uniform-disk, max: 0.3 }
 *     - name: c
 *       massEarth: { prior: log-uniform, min: 1, max: 300 }
 *       periodDays: { prior: uniform, min: 38, max: 40 }
 *       conjunctionDays: { prior: uniform, min: 2454960, max: 2454980 }
 *   sampler: { kind: ensemble, nWalkers: 40, nSteps: 3000, burnIn: 1500, seed: 1, threads: 2 }
 */
import { parse as parseYaml } from 'yaml';
import { TtvError } from './errors.js';
import type { TtvModelConfig } from './model.js';

export interface SamplerConfig {
  kind?: 'ensemble' | 'nested';
  seed?: number;
  nWalkers?: number;
  nSteps?: number;
  burnIn?: number;
  thin?: number;
  threads?: number;
  nLive?: number;
  dlogz?: number;
  posteriorDraws?: number;
}

export interface TtvFileConfig {
  model: TtvModelConfig;
  sampler: SamplerConfig;
}

const TOP_KEYS = ['stellarMassMsun', 'planets', 'jitterDays', 'referenceEpochDays', 'stepDays', 'endDays', 'sampler'];
const PLANET_KEYS = ['name', 'massEarth', 'periodDays', 'conjunctionDays', 'eccentricity', 'incDeg', 'nodeDeg'];
const SPEC_KEYS = ['prior', 'min', 'max', 'mean', 'sigma', 'init', 'fixed'];
const ECC_KEYS = ['prior', 'max', 'init', 'ecc', 'omegaDeg'];
const SAMPLER_KEYS: Record<keyof SamplerConfig, 'int' | 'number' | 'kind'> = {
  kind: 'kind',
  seed: 'int',
  nWalkers: 'int',
  nSteps: 'int',
  burnIn: 'int',
  thin: 'int',
  threads: 'int',
  nLive: 'int',
  dlogz: 'number',
  posteriorDraws: 'int',
};

/** Parses and shape-checks a configuration text; values are checked by buildTtvModel. */
export function parseTtvConfig(text: string, source?: string): TtvFileConfig {
  const at = (path: string) => (source === undefined ? { path } : { file: source, path });
  let doc: unknown;
  const trimmed = text.trimStart();
  try {
    doc = trimmed.startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new TtvError('BAD_CONFIG', `not valid ${trimmed.startsWith('{') ? 'JSON' : 'YAML'}: ${msg}`, source === undefined ? {} : { file: source });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new TtvError('BAD_CONFIG', 'the configuration must be a mapping (object)', source === undefined ? {} : { file: source });
  const o = doc as Record<string, unknown>;
  onlyKeys(o, TOP_KEYS, '', at);
  if (!Array.isArray(o.planets)) throw new TtvError('BAD_CONFIG', 'must be a list of planets', at('planets'));
  o.planets.forEach((p, i) => {
    const path = `planets[${i}]`;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new TtvError('BAD_CONFIG', 'must be a mapping', at(path));
    const q = p as Record<string, unknown>;
    onlyKeys(q, PLANET_KEYS, path, at);
    for (const k of ['massEarth', 'periodDays', 'conjunctionDays', 'incDeg', 'nodeDeg']) {
      if (q[k] !== undefined && typeof q[k] === 'object' && q[k] !== null) onlyKeys(q[k] as Record<string, unknown>, SPEC_KEYS, `${path}.${k}`, at);
    }
    if (q.eccentricity !== undefined && typeof q.eccentricity === 'object' && q.eccentricity !== null) onlyKeys(q.eccentricity as Record<string, unknown>, ECC_KEYS, `${path}.eccentricity`, at);
  });
  if (o.jitterDays !== undefined && typeof o.jitterDays === 'object' && o.jitterDays !== null) onlyKeys(o.jitterDays as Record<string, unknown>, SPEC_KEYS, 'jitterDays', at);
  const sampler: SamplerConfig = {};
  if (o.sampler !== undefined) {
    if (o.sampler === null || typeof o.sampler !== 'object' || Array.isArray(o.sampler)) throw new TtvError('BAD_CONFIG', 'must be a mapping', at('sampler'));
    const s = o.sampler as Record<string, unknown>;
    onlyKeys(s, Object.keys(SAMPLER_KEYS), 'sampler', at);
    for (const [k, kind] of Object.entries(SAMPLER_KEYS) as Array<[keyof SamplerConfig, string]>) {
      const v = s[k];
      if (v === undefined) continue;
      if (kind === 'kind') {
        if (v !== 'ensemble' && v !== 'nested') throw new TtvError('BAD_CONFIG', `must be 'ensemble' or 'nested', got ${JSON.stringify(v)}`, at(`sampler.${k}`));
      } else if (typeof v !== 'number' || !Number.isFinite(v) || (kind === 'int' && !Number.isInteger(v))) {
        throw new TtvError('BAD_CONFIG', `must be ${kind === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`, at(`sampler.${k}`));
      }
      (sampler as Record<string, unknown>)[k] = v;
    }
  }
  const model: Record<string, unknown> = { ...o };
  delete model.sampler;
  return { model: model as unknown as TtvModelConfig, sampler };
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], path: string, at: (p: string) => { path: string }): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new TtvError('BAD_CONFIG', `unknown key (allowed: ${allowed.join(', ')})`, at(path === '' ? k : `${path}.${k}`));
  }
}
