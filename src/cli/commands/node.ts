/** `openastro node register|list|show`: telescopes of the network, through the service's API. */
import { Command } from 'commander';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { addApiOptions, apiClientFrom, type ApiFlags } from '../api-options.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';

interface SiteJson {
  id: string;
  name: string;
  latitudeDeg: number;
  longitudeDeg: number;
}

interface NodeJson {
  id: string;
  siteId: string;
  name: string;
  state: string;
  apertureMm: number;
  focalLengthMm: number;
  pixelSizeUm: number;
  sensorWidthPx: number;
  sensorHeightPx: number;
  filters: string[];
  lastHeartbeatAt: string | null;
  currentTarget?: string | null;
}

interface RegisterFlags extends ApiFlags {
  name: string;
  siteId?: string;
  siteName?: string;
  lat?: string;
  lon?: string;
  elevation?: string;
  aperture: string;
  focalLength: string;
  pixel: string;
  sensor: string;
  filters: string;
  gain?: string;
  readNoise?: string;
  heartbeat?: string;
  json?: boolean;
}

/** "4096x4096" → [4096, 4096]. */
export function parseSensor(text: string): [number, number] {
  const m = /^(\d+)\s*[x×]\s*(\d+)$/i.exec(text.trim());
  if (!m) throw new CliError(`--sensor must be WIDTHxHEIGHT in pixels, e.g. 4096x4096 (got '${text}')`, 2);
  return [parseInteger(m[1], '--sensor width', 1), parseInteger(m[2], '--sensor height', 1)];
}

export function nodeCommand(io: CliIo): Command {
  const cmd = new Command('node').description('Telescopes (nodes) of the network, through the service API');

  addApiOptions(
    cmd
      .command('register')
      .description('Register a telescope (operator token); prints its node token once — give it to the node agent')
      .requiredOption('--name <name>', 'node name')
      .option('--site-id <id>', 'existing site id')
      .option('--site-name <name>', 'create a site with this name (with --lat/--lon)')
      .option('--lat <deg>', 'new site latitude, degrees north')
      .option('--lon <deg>', 'new site longitude, degrees east')
      .option('--elevation <m>', 'new site elevation, metres')
      .requiredOption('--aperture <mm>', 'aperture diameter, mm')
      .requiredOption('--focal-length <mm>', 'focal length, mm')
      .requiredOption('--pixel <um>', 'pixel size, µm')
      .requiredOption('--sensor <WxH>', 'sensor size in pixels, e.g. 4096x4096')
      .requiredOption('--filters <list>', 'comma-separated filter names, e.g. L,R,G,B,V')
      .option('--gain <e/adu>', 'camera gain, e⁻/ADU')
      .option('--read-noise <e>', 'read noise, e⁻')
      .option('--heartbeat <s>', 'heartbeat interval, 15–30 s')
      .option('--json', 'print {"site","node","token"}'),
  ).action(async (opts: RegisterFlags) => {
    const api = apiClientFrom(opts);
    let siteId = opts.siteId;
    let site: SiteJson | undefined;
    if (siteId === undefined) {
      if (opts.lat === undefined || opts.lon === undefined) {
        throw new CliError('give --site-id, or --lat and --lon (and --site-name) to create the site', 2);
      }
      site = await api.post<SiteJson>('/api/v1/sites', {
        name: opts.siteName ?? `${opts.name} site`,
        latitudeDeg: parseFiniteNumber(opts.lat, '--lat'),
        longitudeDeg: parseFiniteNumber(opts.lon, '--lon'),
        ...(opts.elevation !== undefined ? { elevationM: parseFiniteNumber(opts.elevation, '--elevation') } : {}),
      });
      siteId = site.id;
    }
    const [w, h] = parseSensor(opts.sensor);
    const filters = opts.filters
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f.length > 0);
    const res = await api.post<{ node: NodeJson; token: string }>('/api/v1/nodes', {
      siteId,
      name: opts.name,
      apertureMm: parseFiniteNumber(opts.aperture, '--aperture'),
      focalLengthMm: parseFiniteNumber(opts.focalLength, '--focal-length'),
      pixelSizeUm: parseFiniteNumber(opts.pixel, '--pixel'),
      sensorWidthPx: w,
      sensorHeightPx: h,
      filters,
      ...(opts.gain !== undefined ? { gainEPerAdu: parseFiniteNumber(opts.gain, '--gain') } : {}),
      ...(opts.readNoise !== undefined ? { readNoiseE: parseFiniteNumber(opts.readNoise, '--read-noise') } : {}),
      ...(opts.heartbeat !== undefined ? { heartbeatIntervalS: parseInteger(opts.heartbeat, '--heartbeat', 15, 30) } : {}),
    });
    emit(io, Boolean(opts.json), { site: site ?? null, node: res.node, token: res.token }, () =>
      [
        ...(site ? [`site ${site.id}  ${site.name}`] : []),
        `node ${res.node.id}  ${res.node.name}`,
        `token ${res.token}`,
        '(the token is shown only now: put it in the node agent config)',
      ].join('\n'),
    );
  });

  addApiOptions(
    cmd
      .command('list')
      .description('List nodes with their state and last heartbeat')
      .option('--state <state>', 'only ONLINE, BUSY, PARKED or FAULTED nodes')
      .option('--json', 'print {"nodes":[…]}'),
  ).action(async (opts: ApiFlags & { state?: string; json?: boolean }) => {
    const state = opts.state?.toUpperCase();
    if (state !== undefined && !['ONLINE', 'BUSY', 'PARKED', 'FAULTED'].includes(state)) {
      throw new CliError(`--state must be ONLINE, BUSY, PARKED or FAULTED (got '${opts.state}')`, 2);
    }
    const res = await apiClientFrom(opts).get<{ nodes: NodeJson[] }>('/api/v1/nodes', { query: { state } });
    emit(io, Boolean(opts.json), res, () =>
      res.nodes.length === 0
        ? 'no nodes'
        : res.nodes
            .map(
              (n) =>
                `${n.id}  ${n.name.padEnd(20)} ${n.state.padEnd(8)} ${String(n.apertureMm).padStart(5)} mm f=${n.focalLengthMm} mm  ` +
                `filters ${n.filters.join(',')}  last heartbeat ${n.lastHeartbeatAt ?? 'never'}`,
            )
            .join('\n'),
    );
  });

  addApiOptions(
    cmd.command('show').description('One node').argument('<id>', 'node id').option('--json', 'print the node as JSON'),
  ).action(async (id: string, opts: ApiFlags & { json?: boolean }) => {
    const n = await apiClientFrom(opts).get<NodeJson>(`/api/v1/nodes/${encodeURIComponent(id)}`);
    emit(io, Boolean(opts.json), n, () =>
      [
        `${n.name} (${n.id})`,
        `state ${n.state}, last heartbeat ${n.lastHeartbeatAt ?? 'never'}, target ${n.currentTarget ?? '-'}`,
        `optics ${n.apertureMm} mm aperture, f=${n.focalLengthMm} mm, ${n.pixelSizeUm} µm pixels, ${n.sensorWidthPx}×${n.sensorHeightPx}`,
        `filters ${n.filters.join(', ')}`,
      ].join('\n'),
    );
  });

  return cmd;
}
