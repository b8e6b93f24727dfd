/** `openastro mission create|list|show|cancel`: observation requests, through the service's API. */
import { Command } from 'commander';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { addApiOptions, apiClientFrom, type ApiFlags } from '../api-options.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';

interface MissionJson {
  id: string;
  name: string;
  targetName: string | null;
  raDeg: number | null;
  decDeg: number | null;
  filter: string;
  totalExposureS: number;
  subExposureS: number;
  priority: number;
  state: string;
  deliveredExposureS: number;
  taskCount?: number;
}

interface ProgressJson {
  mission: MissionJson;
  deliveredExposureS: number;
  requiredExposureS: number;
  remainingExposureS: number;
  fraction: number;
  tasks: Array<{ id: string; state: string; nodeId: string | null; exposureS: number; deliveredExposureS: number }>;
  reassignments?: number;
}

interface CreateFlags extends ApiFlags {
  name?: string;
  target?: string;
  ra?: string;
  dec?: string;
  filter: string;
  total: string;
  sub: string;
  cadence?: string;
  windowStart?: string;
  windowEnd?: string;
  priority?: string;
  minAltitude?: string;
  maxAirmass?: string;
  minMoonSeparation?: string;
  twilight?: string;
  json?: boolean;
}

const TWILIGHTS = ['civil', 'nautical', 'astronomical'];

/** The JSON body of POST /api/v1/missions from the command's flags (exported for tests). */
export function missionBody(opts: CreateFlags): Record<string, unknown> {
  if (opts.target === undefined && (opts.ra === undefined || opts.dec === undefined)) {
    throw new CliError('give --ra and --dec (degrees), or --target NAME', 2);
  }
  if ((opts.windowStart === undefined) !== (opts.windowEnd === undefined)) {
    throw new CliError('--window-start and --window-end go together', 2);
  }
  if (opts.twilight !== undefined && !TWILIGHTS.includes(opts.twilight)) {
    throw new CliError(`--twilight must be civil, nautical or astronomical (got '${opts.twilight}')`, 2);
  }
  const constraints: Record<string, unknown> = {};
  if (opts.minAltitude !== undefined) constraints.minAltitudeDeg = parseFiniteNumber(opts.minAltitude, '--min-altitude');
  if (opts.maxAirmass !== undefined) constraints.maxAirmass = parseFiniteNumber(opts.maxAirmass, '--max-airmass');
  if (opts.minMoonSeparation !== undefined) {
    constraints.minMoonSeparationDeg = parseFiniteNumber(opts.minMoonSeparation, '--min-moon-separation');
  }
  if (opts.twilight !== undefined) constraints.twilight = opts.twilight;
  return {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.target !== undefined ? { targetName: opts.target } : {}),
    ...(opts.ra !== undefined ? { raDeg: parseFiniteNumber(opts.ra, '--ra') } : {}),
    ...(opts.dec !== undefined ? { decDeg: parseFiniteNumber(opts.dec, '--dec') } : {}),
    filter: opts.filter,
    totalExposureS: parseFiniteNumber(opts.total, '--total'),
    subExposureS: parseFiniteNumber(opts.sub, '--sub'),
    ...(opts.cadence !== undefined ? { cadenceS: parseFiniteNumber(opts.cadence, '--cadence') } : {}),
    ...(opts.windowStart !== undefined ? { windowStart: opts.windowStart, windowEnd: opts.windowEnd } : {}),
    ...(opts.priority !== undefined ? { priority: parseInteger(opts.priority, '--priority', 0, 100) } : {}),
    ...(Object.keys(constraints).length > 0 ? { constraints } : {}),
  };
}

function target(m: MissionJson): string {
  const pos = m.raDeg === null || m.decDeg === null ? '' : ` (${m.raDeg.toFixed(4)}, ${m.decDeg.toFixed(4)})`;
  return `${m.targetName ?? 'RA/Dec'}${pos}`;
}

export function missionCommand(io: CliIo): Command {
  const cmd = new Command('mission').description('Observation requests (missions), through the service API');

  addApiOptions(
    cmd
      .command('create')
      .description('Create a mission (operator token); it is split into tasks the scheduler hands to nodes')
      .option('--name <name>', 'label (default: target and filter)')
      .option('--target <name>', 'target name (a built-in name resolves to RA/Dec; with --ra/--dec just a label)')
      .option('--ra <deg>', 'right ascension ICRS, degrees')
      .option('--dec <deg>', 'declination ICRS, degrees')
      .requiredOption('--filter <name>', 'filter, e.g. V')
      .requiredOption('--total <s>', 'total exposure wanted, seconds')
      .requiredOption('--sub <s>', 'sub-exposure length, seconds')
      .option('--cadence <s>', 'time between visits (monitoring), seconds')
      .option('--window-start <iso>', 'observe only after this UTC time (e.g. a predicted transit)')
      .option('--window-end <iso>', 'observe only before this UTC time')
      .option('--priority <0-100>', 'higher is scheduled first (default 0)')
      .option('--min-altitude <deg>', 'lowest target altitude, degrees')
      .option('--max-airmass <x>', 'highest airmass')
      .option('--min-moon-separation <deg>', 'closest approach to the Moon, degrees')
      .option('--twilight <kind>', 'civil, nautical or astronomical darkness required')
      .option('--json', 'print the created mission as JSON'),
  ).action(async (opts: CreateFlags) => {
    const m = await apiClientFrom(opts).post<MissionJson>('/api/v1/missions', missionBody(opts));
    emit(io, Boolean(opts.json), m, () =>
      `mission ${m.id}  ${m.name}: ${target(m)} ${m.filter}, ${m.totalExposureS} s in ${m.subExposureS} s frames, ` +
      `${m.taskCount ?? '?'} task(s), state ${m.state}`,
    );
  });

  addApiOptions(
    cmd
      .command('list')
      .description('List missions, newest first')
      .option('--state <state>', 'only PENDING, ACTIVE, COMPLETE or CANCELLED missions')
      .option('--json', 'print {"missions":[…]}'),
  ).action(async (opts: ApiFlags & { state?: string; json?: boolean }) => {
    const state = opts.state?.toUpperCase();
    if (state !== undefined && !['PENDING', 'ACTIVE', 'COMPLETE', 'CANCELLED'].includes(state)) {
      throw new CliError(`--state must be PENDING, ACTIVE, COMPLETE or CANCELLED (got '${opts.state}')`, 2);
    }
    const res = await apiClientFrom(opts).get<{ missions: MissionJson[] }>('/api/v1/missions', { query: { state } });
    emit(io, Boolean(opts.json), res, () =>
      res.missions.length === 0
        ? 'no missions'
        : res.missions
            .map(
              (m) =>
                `${m.id}  ${m.name.padEnd(24)} ${m.state.padEnd(9)} p${String(m.priority).padEnd(3)} ` +
                `${m.deliveredExposureS.toFixed(0)}/${m.totalExposureS.toFixed(0)} s  ${m.filter}`,
            )
            .join('\n'),
    );
  });

  addApiOptions(
    cmd.command('show').description('A mission with its progress and tasks').argument('<id>', 'mission id').option('--json', 'print the progress as JSON'),
  ).action(async (id: string, opts: ApiFlags & { json?: boolean }) => {
    const p = await apiClientFrom(opts).get<ProgressJson>(`/api/v1/missions/${encodeURIComponent(id)}`);
    emit(io, Boolean(opts.json), p, () =>
      [
        `${p.mission.name} (${p.mission.id}) ${p.mission.state}: ${target(p.mission)} ${p.mission.filter}`,
        `delivered ${p.deliveredExposureS.toFixed(1)} of ${p.requiredExposureS.toFixed(1)} s (${(100 * p.fraction).toFixed(1)} %), ` +
          `${p.reassignments ?? 0} reassignment(s)`,
        ...p.tasks.map(
          (t) => `  task ${t.id} ${t.state.padEnd(9)} ${t.deliveredExposureS.toFixed(0)}/${t.exposureS.toFixed(0)} s  node ${t.nodeId ?? '-'}`,
        ),
      ].join('\n'),
    );
  });

  addApiOptions(
    cmd.command('cancel').description('Cancel a mission (operator token)').argument('<id>', 'mission id').option('--json', 'print the mission as JSON'),
  ).action(async (id: string, opts: ApiFlags & { json?: boolean }) => {
    const m = await apiClientFrom(opts).post<MissionJson>(`/api/v1/missions/${encodeURIComponent(id)}/cancel`);
    emit(io, Boolean(opts.json), m, () => `mission ${m.id} ${m.state}`);
  });

  return cmd;
}
