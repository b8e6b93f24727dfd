/**
 * The `openastro demo` command's argument handling, through a command tree of its own (the
 * lead registers it in program.ts). These refuse bad options before anything starts; the
 * run itself is tested in demo-fast.test.ts.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoCommand } from '../../src/cli/commands/demo.js';
import { CliError } from '../../src/cli/errors.js';
import type { CliIo } from '../../src/cli/io.js';

async function runDemoCli(argv: string[], cwd: string): Promise<{ error?: unknown; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTty: false, cwd };
  const signals = { on: () => signals, off: () => signals } as unknown as Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  const output = { writeOut: (s: string) => (stdout += s), writeErr: (s: string) => (stderr += s) };
  const program = new Command('openastro').exitOverride().configureOutput(output);
  program.addCommand(demoCommand(io, { signals, env: {} }).exitOverride().configureOutput(output));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { stdout, stderr };
  } catch (error) {
    return { error, stdout, stderr };
  }
}

describe('openastro demo (arguments)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openastro-demo-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [['demo', '--nodes', '0'], /--nodes/],
    [['demo', '--nodes', '99'], /--nodes/],
    [['demo', '--nights', 'two'], /--nights/],
    [['demo', '--seed', '-3'], /--seed/],
    [['demo', '--speed', 'fast'], /--speed/],
    [['demo', '--speed', '0'], /--speed/],
    [['demo', '--port', '70000'], /--port/],
    [['demo', '--serve', '--exit'], /contradict/],
  ])('%j is refused with exit status 2 before anything starts', async (argv, message) => {
    const r = await runDemoCli(argv, dir);
    expect(r.error).toBeInstanceOf(CliError);
    expect((r.error as CliError).exitCode).toBe(2);
    expect((r.error as Error).message).toMatch(message);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a data folder it did not create, and leaves it alone', async () => {
    const data = path.join(dir, 'theirs');
    await mkdir(data);
    await writeFile(path.join(data, 'db'), 'x');
    const r = await runDemoCli(['demo', '--fast', '--data', data, '--fresh', '--port', '0', '--exit'], dir);
    expect(r.error).toBeInstanceOf(CliError);
    expect((r.error as CliError).exitCode).toBe(2);
    expect((r.error as Error).message).toMatch(/NOT_DEMO_DIR/);
    expect(await readdir(data)).toEqual(['db']);
  });

  it('documents every option in its help', async () => {
    const r = await runDemoCli(['demo', '--help'], dir);
    expect(r.error).toBeInstanceOf(CommanderError);
    for (const flag of ['--fast', '--nodes', '--nights', '--seed', '--fresh', '--data', '--port', '--speed', '--serve', '--exit']) expect(r.stdout).toContain(flag);
  });
});
