/**
 * Observed mid-transit times: one row per transit with the planet it belongs to, its epoch
 * number, the time (days, BJD_TDB in practice) and its 1σ uncertainty (days).
 *
 * CSV form: a header naming the columns (case-insensitive), then rows. Columns:
 * `planet` (a name from the model, or a 0-based index into the model's planets),
 * `epoch` (integer), `time` (also `tc`, `bjd_tdb`, `time_days`, `tt_d`) and `sigma` (also
 * `err`, `error`, `sigma_days`, `ett_d`). Other columns are ignored — so the table that
 * `openastro transit fit` exports can be read directly. Lines starting with '#' and blank
 * lines are skipped; commas, tabs, semicolons or runs of spaces separate cells. Any bad
 * cell rejects the whole table with its line.
 */
import { TtvError } from './errors.js';

export interface TransitTimeData {
  /** Planet label of each row as written (a name or an index). */
  planet: string[];
  epoch: Int32Array;
  timeDays: Float64Array;
  sigmaDays: Float64Array;
}

/** Largest table accepted (rows). */
export const MAX_TRANSIT_ROWS = 1_000_000;

const ROLES = {
  planet: ['planet', 'body', 'name'],
  epoch: ['epoch', 'n', 'cycle'],
  time: ['time', 'tc', 'bjd_tdb', 'time_days', 'tt_d', 't0', 't_0', 'tmid'],
  sigma: ['sigma', 'err', 'error', 'sigma_days', 'ett_d', 'et_0', 'tc_err', 'time_err'],
} as const;

export function parseTransitTimesCsv(text: string, source?: string): TransitTimeData {
  const lines = text.split(/\r\n|\r|\n/);
  const where = (line: number) => (source === undefined ? { line } : { file: source, line });
  let headerIndex = -1;
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s !== '' && !s.startsWith('#')) {
      headerIndex = i;
      break;
    }
  }
  if (headerIndex < 0) throw new TtvError('BAD_DATA', 'no header row (expected planet,epoch,time,sigma)', source === undefined ? {} : { file: source });
  const headerText = lines[headerIndex].replace(/^\uFEFF/, '');
  const split = splitterFor(headerText);
  const header = split(headerText).map((h) => h.trim().toLowerCase());
  const col: Record<keyof typeof ROLES, number> = { planet: -1, epoch: -1, time: -1, sigma: -1 };
  for (const role of Object.keys(ROLES) as Array<keyof typeof ROLES>) {
    for (const name of ROLES[role]) {
      const i = header.indexOf(name);
      if (i >= 0) {
        col[role] = i;
        break;
      }
    }
    if (col[role] < 0) {
      throw new TtvError('BAD_DATA', `header has no ${role} column (one of ${ROLES[role].join(', ')}); found: ${header.join(', ')}`, where(headerIndex + 1));
    }
  }
  const needed = Math.max(col.planet, col.epoch, col.time, col.sigma) + 1;
  const planet: string[] = [];
  const epoch: number[] = [];
  const time: number[] = [];
  const sigma: number[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s === '' || s.startsWith('#')) continue;
    const lineNo = i + 1;
    if (planet.length >= MAX_TRANSIT_ROWS) throw new TtvError('TOO_LARGE', `more than ${MAX_TRANSIT_ROWS} transit times`, where(lineNo));
    const cells = split(s);
    if (cells.length < needed) throw new TtvError('BAD_DATA', `has ${cells.length} cells, expected at least ${needed}`, where(lineNo));
    const num = (c: number, what: string): number => {
      const cell = cells[c].trim();
      const v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v)) throw new TtvError('BAD_DATA', `${what} '${cell}' is not a finite number`, where(lineNo));
      return v;
    };
    const label = cells[col.planet].trim();
    if (label === '') throw new TtvError('BAD_DATA', 'planet is empty', where(lineNo));
    const e = num(col.epoch, 'epoch');
    if (!Number.isInteger(e) || Math.abs(e) > 1e8) throw new TtvError('BAD_DATA', `epoch ${e} is not an integer`, where(lineNo));
    const t = num(col.time, 'time');
    const sg = num(col.sigma, 'sigma');
    if (!(sg > 0)) throw new TtvError('BAD_DATA', `sigma ${sg} must be positive`, where(lineNo));
    planet.push(label);
    epoch.push(e);
    time.push(t);
    sigma.push(sg);
  }
  if (planet.length === 0) throw new TtvError('BAD_DATA', 'no transit times after the header', source === undefined ? {} : { file: source });
  return { planet, epoch: Int32Array.from(epoch), timeDays: Float64Array.from(time), sigmaDays: Float64Array.from(sigma) };
}

/** Checks a table built in code: equal lengths, integer epochs, finite times, σ > 0. */
export function validateTransitTimes(data: TransitTimeData): void {
  const n = data.planet.length;
  if (data.epoch.length !== n || data.timeDays.length !== n || data.sigmaDays.length !== n) {
    throw new TtvError('BAD_DATA', `planet (${n}), epoch (${data.epoch.length}), time (${data.timeDays.length}) and sigma (${data.sigmaDays.length}) differ in length`);
  }
  if (n === 0) throw new TtvError('BAD_DATA', 'no transit times');
  if (n > MAX_TRANSIT_ROWS) throw new TtvError('TOO_LARGE', `${n} transit times exceed ${MAX_TRANSIT_ROWS}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data.timeDays[i])) throw new TtvError('BAD_DATA', `row ${i}: time ${data.timeDays[i]} is not finite`);
    if (!(data.sigmaDays[i] > 0) || !Number.isFinite(data.sigmaDays[i])) throw new TtvError('BAD_DATA', `row ${i}: sigma ${data.sigmaDays[i]} must be positive and finite`);
  }
}

/** CSV text `planet,epoch,time,sigma` of a table (shortest round-trip numbers). */
export function formatTransitTimesCsv(data: TransitTimeData): string {
  const rows = ['planet,epoch,time,sigma'];
  for (let i = 0; i < data.planet.length; i++) rows.push(`${data.planet[i]},${data.epoch[i]},${data.timeDays[i]},${data.sigmaDays[i]}`);
  return rows.join('\n') + '\n';
}

function splitterFor(header: string): (line: string) => string[] {
  if (header.includes(',')) return (l) => l.split(',');
  if (header.includes('\t')) return (l) => l.split('\t');
  if (header.includes(';')) return (l) => l.split(';');
  return (l) => l.trim().split(/\s+/);
}
