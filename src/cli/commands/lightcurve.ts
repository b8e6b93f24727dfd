/**
 * `openastro lightcurve …`: light curves from files.
 *   import FILE --format …  -o LC.csv     archival formats → our CSV (BJD_TDB)
 *   merge FILES… -o LC.csv                many instruments → one curve (offsets, outliers, errors, binning)
 *   export LC.csv --format aavso-extended|csv   → AAVSO Extended File Format or CSV
 *   plot LC.csv -o LC.svg                 SVG with one colour per site
 * With --json each prints exactly one JSON document; files are written atomically.
 */
import { Command, Option } from 'commander';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { svgPlot, type PlotSeries } from '../../plot/svg.js';
import {
  bandsOf,
  binLightCurve,
  concatLightCurves,
  formatAavsoExtended,
  formatLightCurveCsv,
  importLightCurve,
  LIGHTCURVE_FORMATS,
  mergeLightCurves,
  parseTimeReference,
  selectBand,
  sitesOf,
  type ImportReport,
  type LightCurve,
  type LightCurveFormat,
  type LightCurveWarning,
  type MergeModel,
} from '../../science/lightcurve/index.js';
import type { ObservatorySite, SkyTarget } from '../../science/time/index.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';

/** Largest light-curve file read (bytes). */
const MAX_FILE_BYTES = 1 << 30;

export function lightcurveCommand(io: CliIo): Command {
  const cmd = new Command('lightcurve').description('Light curves: import archival formats, merge instruments, export, plot');
  cmd.addCommand(importSub(io));
  cmd.addCommand(mergeSub(io));
  cmd.addCommand(exportSub(io));
  cmd.addCommand(plotSub(io));
  return cmd;
}

// ---------------------------------------------------------------------------------------
// Shared reading

export interface ReadOptions {
  format?: string;
  ra?: string;
  dec?: string;
  lat?: string;
  lon?: string;
  height?: string;
  timeRef?: string;
  timeStamp?: string;
  exposure?: string;
  kind?: string;
  band?: string;
  site?: string;
  fluxColumn?: string;
  keepFlagged?: boolean;
  normalize?: boolean;
  includeDiscrepant?: boolean;
  missingError?: string;
}

/** Adds the options every reader of light-curve files takes. */
export function readerOptions(c: Command, formats = true): Command {
  if (formats) c.addOption(new Option('--format <name>', 'input format').choices(['auto', ...LIGHTCURVE_FORMATS]).default('auto'));
  return c
    .option('--ra <deg>', 'target RA (ICRS, degrees): needed to turn JD/HJD (UTC) times into BJD_TDB')
    .option('--dec <deg>', 'target Dec (ICRS, degrees)')
    .option('--lat <deg>', 'observatory latitude (degrees; default: geocentric correction)')
    .option('--lon <deg>', 'observatory longitude (degrees east)')
    .option('--height <m>', 'observatory height above the ellipsoid (m)', '0')
    .option('--time-ref <ref>', 'how the file’s times are expressed: bjd_tdb, bjd_utc, hjd_utc, jd_utc, mjd_utc (default: from the file/format)')
    .addOption(new Option('--time-stamp <when>', 'ETD/ExoClock: instant of the exposure the times stamp').choices(['start', 'mid', 'end']))
    .option('--exposure <s>', 'exposure time (s), for --time-stamp start|end')
    .addOption(new Option('--kind <kind>', 'values are magnitudes or fluxes (CSV, ETD, ExoClock)').choices(['mag', 'flux']))
    .option('--site <label>', 'site label for files without one (default: the file name)')
    .option('--flux-column <name>', 'Kepler/TESS flux column', 'PDCSAP_FLUX')
    .option('--keep-flagged', 'Kepler/TESS: keep cadences with quality flags')
    .option('--normalize', 'Kepler/TESS: divide fluxes by their median')
    .option('--include-discrepant', 'AAVSO: keep data flagged discrepant')
    .option('--missing-error <mag>', 'AAVSO: error for observations without one (default: skip them)');
}

function targetOf(o: ReadOptions): SkyTarget | undefined {
  if (o.ra === undefined && o.dec === undefined) return undefined;
  if (o.ra === undefined || o.dec === undefined) throw new CliError('give both --ra and --dec', 2);
  const raDeg = parseFiniteNumber(o.ra, '--ra');
  const decDeg = parseFiniteNumber(o.dec, '--dec');
  if (raDeg < 0 || raDeg >= 360) throw new CliError(`--ra: ${o.ra} is outside [0, 360)`, 2);
  if (decDeg < -90 || decDeg > 90) throw new CliError(`--dec: ${o.dec} is outside [−90, 90]`, 2);
  return { raDeg, decDeg };
}

function siteOf(o: ReadOptions): ObservatorySite | undefined {
  if (o.lat === undefined && o.lon === undefined) return undefined;
  if (o.lat === undefined || o.lon === undefined) throw new CliError('give both --lat and --lon', 2);
  const latDeg = parseFiniteNumber(o.lat, '--lat');
  const lonDeg = parseFiniteNumber(o.lon, '--lon');
  const heightM = parseFiniteNumber(o.height ?? '0', '--height');
  if (Math.abs(latDeg) > 90) throw new CliError(`--lat: ${o.lat} is outside [−90, 90]`, 2);
  if (lonDeg < -360 || lonDeg > 360) throw new CliError(`--lon: ${o.lon} is outside [−360, 360]`, 2);
  return { latDeg, lonDeg, heightM };
}

async function readBytes(io: CliIo, file: string): Promise<Uint8Array> {
  const path = resolve(io.cwd, file);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError(`${file}: not a file`);
    size = info.size;
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${file}: no such file`);
  }
  if (size > MAX_FILE_BYTES) throw new CliError(`${file}: ${size} bytes is more than the ${MAX_FILE_BYTES}-byte limit`);
  return new Uint8Array(await readFile(path));
}

/** Reads any supported light-curve file; the site label defaults to the file's name. */
export async function readLightCurveFile(io: CliIo, file: string, o: ReadOptions, defaults: { band?: boolean; uncorrected?: boolean } = {}): Promise<ImportReport> {
  const bytes = await readBytes(io, file);
  let timeReference;
  try {
    timeReference = o.timeRef === undefined ? undefined : parseTimeReference(o.timeRef);
  } catch (e) {
    throw new CliError(`--time-ref: ${(e as Error).message}`, 2);
  }
  const format = (o.format ?? 'auto') as LightCurveFormat | 'auto';
  const stem = basename(file, extname(file)) || file;
  return importLightCurve(bytes, {
    format,
    source: file,
    target: targetOf(o),
    site: siteOf(o),
    timeReference,
    timeStamp: o.timeStamp as 'start' | 'mid' | 'end' | undefined,
    exposureS: o.exposure === undefined ? undefined : parseFiniteNumber(o.exposure, '--exposure'),
    kind: o.kind as 'mag' | 'flux' | undefined,
    // ETD/ExoClock points take the band as a label; AAVSO filters by it.
    band: defaults.band === false ? undefined : o.band,
    siteLabel: o.site ?? stem,
    fluxColumn: o.fluxColumn,
    keepFlagged: o.keepFlagged,
    normalize: o.normalize,
    includeDiscrepant: o.includeDiscrepant,
    missingErrorMag: o.missingError === undefined ? undefined : parseFiniteNumber(o.missingError, '--missing-error'),
    uncorrected: defaults.uncorrected,
  });
}

/** Writes text through a temporary file beside `path`: a failure leaves nothing half-written. */
async function writeAtomically(io: CliIo, file: string, text: string): Promise<string> {
  const path = resolve(io.cwd, file);
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new CliError(`cannot write '${file}': ${(err as Error).message}`);
  }
  return path;
}

function warn(io: CliIo, warnings: LightCurveWarning[]): void {
  for (const w of warnings) io.stderr(`openastro: warning ${w.code}: ${w.message}\n`);
}

function describeLc(lc: LightCurve): { points: number; bands: string[]; sites: string[]; kind: string; target: string | null; firstBjdTdb: number | null; lastBjdTdb: number | null } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of lc.t) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return {
    points: lc.t.length,
    bands: bandsOf(lc),
    sites: sitesOf(lc),
    kind: lc.kind,
    target: lc.target ?? null,
    firstBjdTdb: lc.t.length ? lo : null,
    lastBjdTdb: lc.t.length ? hi : null,
  };
}

// ---------------------------------------------------------------------------------------
// import

interface ImportCliOptions extends ReadOptions {
  output: string;
  json?: boolean;
}

function importSub(io: CliIo): Command {
  return readerOptions(
    new Command('import')
      .description('Read an archival light curve (AAVSO, ETD, ExoClock, Kepler/TESS FITS, CSV) and write it as CSV with BJD_TDB times')
      .argument('<file>', 'input light curve')
      .requiredOption('-o, --output <file>', 'output CSV: t_bjd_tdb,y,dy[,band][,site]')
      .option('--band <name>', 'AAVSO: keep only this band; ETD/ExoClock: the band of every point')
      .option('--json', 'print {format, points, bands, sites, kind, target, details, output, warnings}'),
  ).action(async (file: string, opts: ImportCliOptions) => {
    const r = await readLightCurveFile(io, file, opts);
    const lc = r.lightCurve;
    const out = await writeAtomically(io, opts.output, formatLightCurveCsv(lc, { comments: [`imported from ${basename(file)} (${r.format})`] }));
    warn(io, lc.warnings);
    const d = describeLc(lc);
    emit(io, Boolean(opts.json), { format: r.format, ...d, details: r.details, output: out, warnings: lc.warnings }, () =>
      [
        `${file}: ${r.format}, ${d.points} points${d.target ? ` of ${d.target}` : ''} (${d.kind}), BJD_TDB ${d.firstBjdTdb?.toFixed(5)} – ${d.lastBjdTdb?.toFixed(5)}`,
        `bands: ${d.bands.join(', ') || '—'}; sites: ${d.sites.join(', ') || '—'}`,
        `details: ${Object.entries(r.details).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `wrote ${out}`,
      ].join('\n'),
    );
  });
}

// ---------------------------------------------------------------------------------------
// merge

interface MergeCliOptions extends ReadOptions {
  output: string;
  target?: string;
  reference?: string;
  model: string;
  binDays: string;
  period?: string;
  nterms: string;
  sigma: string;
  outliers: string;
  windowDays: string;
  inflate: string;
  outputBinDays?: string;
  binErrors: string;
  json?: boolean;
}

function mergeSub(io: CliIo): Command {
  return readerOptions(
    new Command('merge')
      .description('Merge light curves of one target and band from several instruments: per-site offsets fitted jointly, outliers rejected, errors inflated, optional binning')
      .argument('<files...>', 'light curves (any importable format); points without a site take their file name')
      .requiredOption('-o, --output <file>', 'merged CSV (offsets removed, BJD_TDB)')
      .option('--band <name>', 'band to merge (required when the files hold several)')
      .option('--target <name>', 'target name written to the output')
      .option('--reference <site>', 'site held fixed (default: the best-measured)')
      .addOption(new Option('--model <kind>', 'model of the star’s signal the offsets are fitted with').choices(['bins', 'periodic', 'constant']).default('bins'))
      .option('--bin-days <d>', 'time-bin width of the bins model (days)', '0.02')
      .option('--period <d>', 'period of the periodic model (days; implies --model periodic)')
      .option('--nterms <n>', 'harmonics of the periodic model', '2')
      .option('--sigma <k>', 'outlier threshold (σ)', '4')
      .addOption(new Option('--outliers <how>', 'outlier rejection').choices(['model', 'running-median', 'none']).default('model'))
      .option('--window-days <d>', 'running-median window (days)', '0.05')
      .addOption(new Option('--inflate <how>', 'error inflation from √χ²ν').choices(['per-site', 'global', 'none']).default('per-site'))
      .option('--output-bin-days <d>', 'bin the merged light curve in time (days)')
      .addOption(new Option('--bin-errors <how>', 'error of a bin').choices(['propagated', 'scatter', 'larger']).default('propagated'))
      .option('--json', 'print {points, kept, rejected, band, target, reference, offsets:[{site, offset, offsetErr, points, rejected, errorScale}], reducedChi2, output, warnings}'),
  ).action(async (files: string[], opts: MergeCliOptions) => {
    const model = mergeModel(opts);
    const sigma = parseFiniteNumber(opts.sigma, '--sigma');
    if (!(sigma > 0)) throw new CliError(`--sigma: must be > 0, got ${opts.sigma}`, 2);
    const windowDays = parseFiniteNumber(opts.windowDays, '--window-days');
    if (!(windowDays > 0)) throw new CliError(`--window-days: must be > 0, got ${opts.windowDays}`, 2);
    const outBin = opts.outputBinDays === undefined ? undefined : parseFiniteNumber(opts.outputBinDays, '--output-bin-days');
    if (outBin !== undefined && !(outBin > 0)) throw new CliError(`--output-bin-days: must be > 0, got ${opts.outputBinDays}`, 2);
    const parts: LightCurve[] = [];
    const labels: string[] = [];
    for (const f of files) {
      // --band selects points here (below), not inside the readers.
      const r = await readLightCurveFile(io, f, opts, { band: false });
      parts.push(r.lightCurve);
      labels.push(opts.site ?? (basename(f, extname(f)) || f));
    }
    const kinds = new Set(parts.map((p) => p.kind));
    if (kinds.size > 1) throw new CliError(`the files mix magnitudes and fluxes (${files.map((f, k) => `${f}: ${parts[k].kind}`).join(', ')}); convert them first`, 2);
    let all = concatLightCurves(parts, labels);
    const bands = bandsOf(all).filter((b) => b !== '');
    if (opts.band !== undefined) {
      if (!all.band || !bands.includes(opts.band)) throw new CliError(`no points in band '${opts.band}' (bands: ${bands.join(', ') || 'none given'})`, 2);
      all = selectBand(all, opts.band);
    } else if (bands.length > 1) {
      throw new CliError(`the files hold several bands (${bands.join(', ')}): choose one with --band`, 2);
    }
    const targets = [...new Set(parts.map((p) => p.target).filter((t): t is string => Boolean(t)))];
    const warnings: LightCurveWarning[] = [...all.warnings];
    if (opts.target === undefined && targets.length > 1) warnings.push({ code: 'TARGETS_DIFFER', message: `the files name different targets (${targets.join(', ')}); give --target to name the result` });
    const result = mergeLightCurves(all, {
      reference: opts.reference,
      model,
      outliers: opts.outliers === 'none' ? false : { against: opts.outliers as 'model' | 'running-median', sigma, windowDays },
      inflateErrors: opts.inflate as 'per-site' | 'global' | 'none',
    });
    let merged = result.lightCurve;
    merged.target = opts.target ?? (targets.length === 1 ? targets[0] : undefined);
    if (outBin !== undefined) merged = binLightCurve(merged, { binDays: outBin, errors: opts.binErrors as 'propagated' | 'scatter' | 'larger' }).lightCurve;
    merged.warnings = warnings;
    const comments = [
      `merged from ${files.length} file(s); model ${describeModel(model)}; ${result.rejected} outlier(s) rejected; reduced chi2 ${result.reducedChi2.toFixed(3)}`,
      ...result.offsets.map((o) => `site ${o.site}: offset ${o.offset.toFixed(5)} +- ${o.offsetErr.toFixed(5)} mag${o.reference ? ' (reference)' : ''}, error scale ${o.errorScale.toFixed(3)}, ${o.rejected}/${o.points} rejected`),
    ];
    const out = await writeAtomically(io, opts.output, formatLightCurveCsv(merged, { comments }));
    warn(io, warnings);
    const ref = result.offsets.find((o) => o.reference)!;
    const doc = {
      points: result.kept.length,
      kept: result.kept.length - result.rejected,
      rejected: result.rejected,
      written: merged.t.length,
      band: opts.band ?? (bands.length === 1 ? bands[0] : null),
      target: merged.target ?? null,
      kind: merged.kind,
      model,
      reference: ref.site,
      offsets: result.offsets.map((o) => ({
        site: o.site,
        offset: o.offset,
        offsetErr: o.offsetErr,
        fluxRatio: o.fluxRatio,
        reference: o.reference,
        points: o.points,
        rejected: o.rejected,
        errorScale: o.errorScale,
      })),
      reducedChi2: result.reducedChi2,
      output: out,
      warnings,
    };
    emit(io, Boolean(opts.json), doc, () =>
      [
        `merged ${doc.points} points from ${files.length} file(s) into ${doc.written}${outBin ? ` bins of ${outBin} d` : ''}; ${doc.rejected} rejected; χ²ν ${result.reducedChi2.toFixed(3)}; model ${describeModel(model)}`,
        ' site                 offset (mag)         error scale  rejected',
        ...result.offsets.map(
          (o) =>
            ` ${o.site.padEnd(20)} ${o.reference ? '0 (reference)'.padEnd(20) : `${o.offset.toFixed(4)} ± ${o.offsetErr.toFixed(4)}`.padEnd(20)} ${o.errorScale.toFixed(3).padEnd(12)} ${o.rejected}/${o.points}`,
        ),
        `wrote ${out}`,
      ].join('\n'),
    );
  });
}

function mergeModel(opts: MergeCliOptions): MergeModel {
  const kind = opts.period !== undefined ? 'periodic' : opts.model;
  if (kind === 'periodic') {
    if (opts.period === undefined) throw new CliError('--model periodic needs --period <days>', 2);
    const periodDays = parseFiniteNumber(opts.period, '--period');
    if (!(periodDays > 0)) throw new CliError(`--period: must be > 0 days, got ${opts.period}`, 2);
    return { kind: 'periodic', periodDays, nterms: parseInteger(opts.nterms, '--nterms', 1, 20) };
  }
  if (kind === 'constant') return { kind: 'constant' };
  const binDays = parseFiniteNumber(opts.binDays, '--bin-days');
  if (!(binDays > 0)) throw new CliError(`--bin-days: must be > 0, got ${opts.binDays}`, 2);
  return { kind: 'bins', binDays };
}

function describeModel(m: MergeModel): string {
  return m.kind === 'bins' ? `time bins of ${m.binDays} d` : m.kind === 'periodic' ? `periodic, P = ${m.periodDays} d, ${m.nterms} harmonic(s)` : 'constant';
}

// ---------------------------------------------------------------------------------------
// export

interface ExportCliOptions extends ReadOptions {
  to: string;
  output?: string;
  observerCode?: string;
  starId?: string;
  filter?: string;
  obstype: string;
  mtype: string;
  transformed?: boolean;
  compName?: string;
  checkName?: string;
  chart?: string;
  json?: boolean;
}

function exportSub(io: CliIo): Command {
  const c = new Command('export')
    .description('Write a light curve as an AAVSO Extended File Format report or as CSV with BJD_TDB')
    .argument('<file>', 'light curve (our CSV, or any importable format)')
    .addOption(new Option('--format <name>', 'output format').choices(['aavso-extended', 'csv']).makeOptionMandatory())
    .addOption(new Option('--input-format <name>', 'input format').choices(['auto', ...LIGHTCURVE_FORMATS]).default('auto'))
    .option('-o, --output <file>', 'output file (default: standard output; required with --json)')
    .option('--observer-code <code>', 'AAVSO observer code (aavso-extended)')
    .option('--star-id <id>', 'STARID (default: the light curve’s target)')
    .option('--band <name>', 'export only this band')
    .option('--filter <code>', 'AAVSO filter for every point (default: each point’s band)')
    .addOption(new Option('--obstype <type>', '#OBSTYPE').choices(['CCD', 'DSLR', 'PEP', 'CMOS']).default('CCD'))
    .addOption(new Option('--mtype <type>', 'MTYPE: standardised, differential or absolute').choices(['STD', 'DIF', 'ABS']).default('STD'))
    .option('--transformed', 'TRANS = YES (transformation coefficients applied)')
    .option('--comp-name <name>', 'CNAME (default ENSEMBLE)')
    .option('--check-name <name>', 'KNAME')
    .option('--chart <id>', 'AAVSO chart id')
    .option('--json', 'print {format, points, output, warnings}');
  return readerOptions(c, false).action(async (file: string, opts: ExportCliOptions & { format: string; inputFormat: string }) => {
    if (opts.json && opts.output === undefined) throw new CliError('--json needs -o/--output (the JSON document goes to standard output)', 2);
    const r = await readLightCurveFile(io, file, { ...opts, format: opts.inputFormat }, { band: false });
    let lc = r.lightCurve;
    if (opts.band !== undefined) lc = selectBand(lc, opts.band);
    if (lc.t.length === 0) throw new CliError(`${file}: no points${opts.band !== undefined ? ` in band '${opts.band}'` : ''}`, 2);
    let text: string;
    const warnings = [...lc.warnings];
    if (opts.format === 'aavso-extended') {
      if (!opts.observerCode) throw new CliError('--format aavso-extended needs --observer-code', 2);
      const target = targetOf(opts);
      if (!target) throw new CliError('--format aavso-extended needs the target’s --ra and --dec (the AAVSO DATE is a JD on UTC, computed back from BJD_TDB)', 2);
      const rep = formatAavsoExtended(lc, {
        observerCode: opts.observerCode,
        target,
        site: siteOf(opts),
        starId: opts.starId,
        filter: opts.filter,
        obsType: opts.obstype as 'CCD',
        mtype: opts.mtype as 'STD',
        transformed: opts.transformed,
        compName: opts.compName,
        checkName: opts.checkName,
        chart: opts.chart,
        software: 'OpenAstro lightcurve export',
      });
      text = rep.text;
      for (const w of rep.warnings) if (!warnings.some((x) => x.code === w.code)) warnings.push(w);
    } else {
      text = formatLightCurveCsv(lc);
    }
    warn(io, warnings);
    if (opts.output === undefined) {
      io.stdout(text);
      return;
    }
    const out = await writeAtomically(io, opts.output, text);
    emit(io, Boolean(opts.json), { format: opts.format, points: lc.t.length, output: out, warnings }, () => `wrote ${lc.t.length} points to ${out} (${opts.format})`);
  });
}

// ---------------------------------------------------------------------------------------
// plot

interface PlotCliOptions extends ReadOptions {
  output: string;
  title?: string;
  json?: boolean;
}

function plotSub(io: CliIo): Command {
  return readerOptions(
    new Command('plot')
      .description('Plot a light curve as SVG, one colour per site')
      .argument('<file>', 'light curve (our CSV, or any importable format)')
      .requiredOption('-o, --output <file>', 'SVG file')
      .option('--band <name>', 'plot only this band')
      .option('--title <text>', 'plot title (default: the target and band)')
      .option('--json', 'print {points, sites, bands, output}'),
  ).action(async (file: string, opts: PlotCliOptions) => {
    const r = await readLightCurveFile(io, file, opts, { band: false });
    let lc = r.lightCurve;
    if (opts.band !== undefined) lc = selectBand(lc, opts.band);
    if (lc.t.length === 0) throw new CliError(`${file}: no points${opts.band !== undefined ? ` in band '${opts.band}'` : ''} to plot`, 2);
    const sites = sitesOf(lc);
    const bands = bandsOf(lc);
    // Times relative to a round day so the axis labels stay short.
    const t0 = Math.floor(Math.min(...lc.t));
    const groups = sites.length > 0 ? sites : [undefined];
    const series: PlotSeries[] = groups.map((s) => {
      const idx: number[] = [];
      for (let i = 0; i < lc.t.length; i++) if (s === undefined || lc.site![i] === s) idx.push(i);
      const dy = Float64Array.from(idx, (i) => lc.dy[i]);
      return {
        x: Float64Array.from(idx, (i) => lc.t[i] - t0),
        y: Float64Array.from(idx, (i) => lc.y[i]),
        yErr: dy.some((e) => Number.isFinite(e)) ? dy : undefined,
        kind: 'points',
        label: s === undefined ? undefined : `${s} (${idx.length})`,
      };
    });
    const title = opts.title ?? `${lc.target ?? basename(file)}${bands.length === 1 && bands[0] ? ` — ${bands[0]}` : ''}`;
    const svg = svgPlot(series, {
      title,
      xLabel: `BJD_TDB − ${t0} (days)`,
      yLabel: lc.kind === 'mag' ? 'magnitude' : 'flux',
      invertY: lc.kind === 'mag',
    });
    const out = await writeAtomically(io, opts.output, svg);
    warn(io, lc.warnings);
    emit(io, Boolean(opts.json), { points: lc.t.length, sites, bands, output: out }, () => `plotted ${lc.t.length} points (${sites.length || 1} site(s)) to ${out}`);
  });
}
