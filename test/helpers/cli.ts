/** Runs the openastro CLI in-process with captured streams (the real command tree and runner). */
import { run } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], cwd = process.cwd()): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTty: false, cwd };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}
