/** An error the user can act on; printed as one line, exit status `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** One-line reason for any thrown value: typed errors keep their name and message. */
export function oneLineReason(err: unknown): string {
  if (err instanceof Error) {
    const prefix = err.name && err.name !== 'Error' && err.name !== 'CliError' ? `${err.name}: ` : '';
    return (prefix + err.message).replace(/\s*\n\s*/g, ' ');
  }
  return String(err);
}
