/**
 * A configuration that cannot run. ConfigError lists every problem at once — path, what
 * is wrong, the offending value (secrets masked) and where it came from — so an operator
 * fixes the file in one pass instead of one restart per typo.
 */
export interface ConfigProblem {
  /** Dotted path of the setting, e.g. 'server.port' ('(file)' for the file as a whole). */
  path: string;
  /** What is wrong, e.g. 'must be an integer from 0 to 65535'. */
  problem: string;
  /** The value as given, already printable (secrets masked); absent when there is none. */
  got?: string;
  /** Where the value came from: a file path, an environment variable name, a flag, or 'default'. */
  source: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'BAD_CONFIG' as const;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      `bad configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
    );
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.path}: ${p.problem}${p.got === undefined ? '' : ` (got ${p.got})`} [from ${p.source}]`;
}
