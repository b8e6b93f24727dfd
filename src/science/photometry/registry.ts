/**
 * Instrument registry: colour terms measured night after night for one site + camera +
 * filter (and colour index), combined so that a frame with too few comparison stars (or
 * too narrow a colour range) to fit its own colour term can borrow a well-measured one and
 * fit only its zero point.
 *
 * The combined colour term is the inverse-variance weighted mean of the nightly values;
 * its error is the formal 1/√Σw scaled by the Birge ratio √χ²_ν when the nights disagree
 * by more than their errors (the colour term of a real instrument drifts a little with
 * airmass and season, and this keeps the error honest about it).
 *
 * Each measurement carries an id (a frame or night id): adding the same id again replaces
 * it, so a pipeline stage re-run after a crash leaves the registry as it was.
 *
 * Persistence is the caller's: `toDocument`/`registryFromDocument` give a plain JSON
 * document, and any `RegistryStore` (a file, a database row, object storage) can keep it.
 */
import { PhotometryError, requireFinite } from './errors.js';

export interface InstrumentKey {
  site: string;
  camera: string;
  filter: string;
  /** Colour index the term multiplies, e.g. 'B-V' or 'BP-RP'; default '' (the catalog's). */
  colourIndex?: string;
}

export interface ColourTermMeasurement {
  /** Unique per frame or night; re-adding an id replaces its measurement. */
  id: string;
  value: number;
  /** 1σ error, > 0. */
  err: number;
  /** Observation time of the frame or night (ISO-8601), for the record. */
  observedAt?: string;
  /** Comparison stars used. */
  stars?: number;
}

export interface CombinedColourTerm {
  value: number;
  err: number;
  /** Measurements combined. */
  count: number;
  /** χ² of the measurements about the mean over count − 1 (NaN for one measurement). */
  reducedChi2: number;
}

export interface RegistryDocument {
  format: 'openastro-instrument-registry';
  version: 1;
  instruments: Array<{ key: InstrumentKey; measurements: ColourTermMeasurement[] }>;
}

/** Loads and saves the registry document wherever the caller keeps it. */
export interface RegistryStore {
  load(): Promise<RegistryDocument | undefined>;
  save(document: RegistryDocument): Promise<void>;
}

/** Most measurements kept per instrument (the oldest go first). */
export const MAX_MEASUREMENTS = 10_000;
const FORMAT = 'openastro-instrument-registry';

/** 'site/camera/filter[/colourIndex]', with '/' and '%' escaped inside the parts. */
export function instrumentKeyString(key: InstrumentKey): string {
  const k = checkKey(key);
  const parts = [k.site, k.camera, k.filter];
  if (k.colourIndex) parts.push(k.colourIndex);
  return parts.map((p) => p.replace(/%/g, '%25').replace(/\//g, '%2F')).join('/');
}

export class InstrumentRegistry {
  private readonly entries = new Map<string, { key: InstrumentKey; measurements: ColourTermMeasurement[] }>();

  /** Records (or replaces, by id) one colour-term measurement. */
  add(key: InstrumentKey, measurement: ColourTermMeasurement): void {
    const k = checkKey(key);
    const m = checkMeasurement(measurement, instrumentKeyString(k));
    const name = instrumentKeyString(k);
    let entry = this.entries.get(name);
    if (!entry) {
      entry = { key: k, measurements: [] };
      this.entries.set(name, entry);
    }
    const at = entry.measurements.findIndex((e) => e.id === m.id);
    if (at >= 0) entry.measurements[at] = m;
    else {
      entry.measurements.push(m);
      if (entry.measurements.length > MAX_MEASUREMENTS) entry.measurements.shift();
    }
  }

  /** Removes one measurement by id; true when it existed. */
  remove(key: InstrumentKey, id: string): boolean {
    const entry = this.entries.get(instrumentKeyString(key));
    if (!entry) return false;
    const at = entry.measurements.findIndex((e) => e.id === id);
    if (at < 0) return false;
    entry.measurements.splice(at, 1);
    return true;
  }

  /** The combined colour term of an instrument, or undefined when it has no measurement. */
  colourTerm(key: InstrumentKey): CombinedColourTerm | undefined {
    const entry = this.entries.get(instrumentKeyString(key));
    if (!entry || entry.measurements.length === 0) return undefined;
    return combineMeasurements(entry.measurements);
  }

  measurements(key: InstrumentKey): ColourTermMeasurement[] {
    return (this.entries.get(instrumentKeyString(key))?.measurements ?? []).map((m) => ({ ...m }));
  }

  keys(): InstrumentKey[] {
    return [...this.entries.values()].map((e) => ({ ...e.key }));
  }

  toDocument(): RegistryDocument {
    const names = [...this.entries.keys()].sort();
    return {
      format: FORMAT,
      version: 1,
      instruments: names.map((n) => {
        const e = this.entries.get(n)!;
        return { key: { ...e.key }, measurements: e.measurements.map((m) => ({ ...m })) };
      }),
    };
  }
}

/** Inverse-variance weighted mean with a Birge-ratio error. */
export function combineMeasurements(measurements: ReadonlyArray<Pick<ColourTermMeasurement, 'value' | 'err'>>): CombinedColourTerm {
  if (measurements.length === 0) throw new PhotometryError('BAD_ARGUMENT', 'no measurements to combine', { parameter: 'measurements' });
  let sw = 0;
  let swv = 0;
  for (const m of measurements) {
    const w = 1 / (m.err * m.err);
    sw += w;
    swv += w * m.value;
  }
  const mean = swv / sw;
  let chi2 = 0;
  for (const m of measurements) chi2 += ((m.value - mean) / m.err) ** 2;
  const n = measurements.length;
  const reducedChi2 = n > 1 ? chi2 / (n - 1) : NaN;
  const birge = n > 1 ? Math.sqrt(Math.max(1, reducedChi2)) : 1;
  return { value: mean, err: birge / Math.sqrt(sw), count: n, reducedChi2 };
}

/** Rebuilds a registry from its document, validating every field (BAD_DOCUMENT otherwise). */
export function registryFromDocument(doc: unknown): InstrumentRegistry {
  const bad = (message: string): never => {
    throw new PhotometryError('BAD_DOCUMENT', message, { parameter: 'document' });
  };
  if (doc === null || typeof doc !== 'object') bad('is not an object');
  const d = doc as Partial<RegistryDocument>;
  if (d.format !== FORMAT) bad(`format is ${JSON.stringify(d.format)}, expected '${FORMAT}'`);
  if (d.version !== 1) bad(`version ${JSON.stringify(d.version)} is not supported (expected 1)`);
  if (!Array.isArray(d.instruments)) bad("'instruments' is not an array");
  const registry = new InstrumentRegistry();
  d.instruments!.forEach((inst, i) => {
    if (inst === null || typeof inst !== 'object' || !Array.isArray(inst.measurements)) bad(`instruments[${i}] needs 'key' and 'measurements'`);
    inst.measurements.forEach((m, j) => {
      try {
        registry.add(inst.key, m);
      } catch (e) {
        if (e instanceof PhotometryError) bad(`instruments[${i}].measurements[${j}]: ${e.message}`);
        throw e;
      }
    });
  });
  return registry;
}

/** Parses a registry from JSON text (BAD_DOCUMENT for malformed JSON). */
export function registryFromJson(text: string): InstrumentRegistry {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PhotometryError('BAD_DOCUMENT', `not valid JSON (${(e as Error).message})`, { parameter: 'document' });
  }
  return registryFromDocument(doc);
}

/** Reads the registry from a store; an empty registry when the store has none yet. */
export async function loadRegistry(store: RegistryStore): Promise<InstrumentRegistry> {
  const doc = await store.load();
  return doc === undefined ? new InstrumentRegistry() : registryFromDocument(doc);
}

export async function saveRegistry(store: RegistryStore, registry: InstrumentRegistry): Promise<void> {
  await store.save(registry.toDocument());
}

/** A store in memory (tests, one-shot tools); holds a deep copy of what was saved. */
export function memoryRegistryStore(initial?: RegistryDocument): RegistryStore & { document(): RegistryDocument | undefined } {
  let saved: string | undefined = initial === undefined ? undefined : JSON.stringify(initial);
  return {
    load: () => Promise.resolve(saved === undefined ? undefined : (JSON.parse(saved) as RegistryDocument)),
    save: (document) => {
      saved = JSON.stringify(document);
      return Promise.resolve();
    },
    document: () => (saved === undefined ? undefined : (JSON.parse(saved) as RegistryDocument)),
  };
}

function checkKey(key: InstrumentKey): InstrumentKey {
  if (key === null || typeof key !== 'object') throw new PhotometryError('BAD_ARGUMENT', 'must be { site, camera, filter }', { parameter: 'key' });
  for (const f of ['site', 'camera', 'filter'] as const) {
    const v = key[f];
    if (typeof v !== 'string' || v.trim() === '') throw new PhotometryError('BAD_ARGUMENT', 'must be a non-empty string', { parameter: `key.${f}` });
  }
  if (key.colourIndex !== undefined && typeof key.colourIndex !== 'string') throw new PhotometryError('BAD_ARGUMENT', 'must be a string', { parameter: 'key.colourIndex' });
  return { site: key.site.trim(), camera: key.camera.trim(), filter: key.filter.trim(), colourIndex: key.colourIndex?.trim() || undefined };
}

function checkMeasurement(m: ColourTermMeasurement, key: string): ColourTermMeasurement {
  if (m === null || typeof m !== 'object') throw new PhotometryError('BAD_ARGUMENT', 'must be { id, value, err }', { parameter: 'measurement', key });
  if (typeof m.id !== 'string' || m.id === '') throw new PhotometryError('BAD_ARGUMENT', 'must be a non-empty string', { parameter: 'measurement.id', key });
  requireFinite(m.value, 'measurement.value', -10, 10);
  requireFinite(m.err, 'measurement.err', 0, 10);
  if (!(m.err > 0)) throw new PhotometryError('BAD_ARGUMENT', 'must be > 0', { parameter: 'measurement.err', key });
  if (m.observedAt !== undefined && typeof m.observedAt !== 'string') throw new PhotometryError('BAD_ARGUMENT', 'must be an ISO-8601 string', { parameter: 'measurement.observedAt', key });
  if (m.stars !== undefined && !(Number.isInteger(m.stars) && m.stars >= 0)) throw new PhotometryError('BAD_ARGUMENT', 'must be an integer ≥ 0', { parameter: 'measurement.stars', key });
  const out: ColourTermMeasurement = { id: m.id, value: m.value, err: m.err };
  if (m.observedAt !== undefined) out.observedAt = m.observedAt;
  if (m.stars !== undefined) out.stars = m.stars;
  return out;
}
