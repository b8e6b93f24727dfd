/**
 * The `openastro` command tree. Each subcommand lives in commands/, takes the injected
 * CliIo, and either prints its result (one JSON document with --json) or throws; `run`
 * turns any throw into a one-line reason on stderr and a non-zero exit status.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { CliError, oneLineReason } from './errors.js';
import type { CliIo } from './io.js';
import { fitsCommand } from './commands/fits.js';
import { wcsCommand } from './commands/wcs.js';
import { calibrateCommand } from './commands/calibrate.js';
import { skyCommand } from './commands/sky.js';
import { detectCommand } from './commands/detect.js';
import { stackCommand } from './commands/stack.js';
import { reprojectCommand } from './commands/reproject.js';
import { catalogCommand } from './commands/catalog.js';
import { solveCommand } from './commands/solve.js';
import { ttvCommand } from './commands/ttv.js';
import { periodCommand } from './commands/period.js';
import { transitCommand } from './commands/transit.js';
import { nodeCommand } from './commands/node.js';
import { workerCommand } from './commands/worker.js';
import { serveCommand } from './commands/serve.js';
import { agentCommand } from './commands/agent.js';
import { lightcurveCommand } from './commands/lightcurve.js';
import { missionCommand } from './commands/mission.js';
import { demoCommand } from './commands/demo.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

export function createProgram(io: CliIo): Command {
  const program = new Command('openastro')
    .description('OpenAstro: a volunteer network of amateur telescopes run as one instrument.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(s),
    })
    .exitOverride();
  program.addCommand(fitsCommand(io));
  program.addCommand(wcsCommand(io));
  program.addCommand(calibrateCommand(io));
  program.addCommand(detectCommand(io));
  program.addCommand(catalogCommand(io));
  program.addCommand(solveCommand(io));
  program.addCommand(reprojectCommand(io));
  program.addCommand(stackCommand(io));
  program.addCommand(skyCommand(io));
  program.addCommand(transitCommand(io));
  program.addCommand(ttvCommand(io));
  program.addCommand(periodCommand(io));
  program.addCommand(lightcurveCommand(io));
  program.addCommand(nodeCommand(io));
  program.addCommand(serveCommand(io));
  program.addCommand(workerCommand(io));
  program.addCommand(agentCommand(io));
  program.addCommand(missionCommand(io));
  program.addCommand(demoCommand(io));
  // Subcommands inherit the output and exit behaviour of the root.
  for (const cmd of allCommands(program)) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  }
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Run the CLI with `argv` (arguments after the program name); resolves to the exit status. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successful exits; usage errors were already printed.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return err.exitCode === 0 ? 0 : 2;
    }
    io.stderr(`openastro: ${oneLineReason(err)}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}
