/**
 * The CLI's window on the world, injectable so tests run commands in-process.
 * stdout carries results only (one JSON document with --json); everything else —
 * progress, logs, warnings — goes to stderr.
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  stderrIsTty: boolean;
  cwd: string;
}

export function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stderrIsTty: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
  };
}

/** A result printed either as one JSON document or as human-readable text. */
export function emit(io: CliIo, json: boolean, value: unknown, human: () => string): void {
  if (json) io.stdout(JSON.stringify(value) + '\n');
  else io.stdout(human().replace(/\n?$/, '\n'));
}
