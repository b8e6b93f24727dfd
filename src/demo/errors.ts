/**
 * Typed errors of the demo. The CLI turns them into one line and a non-zero exit status;
 * codes say which part refused (`DemoError: NOT_DEMO_DIR: ./data holds files but no
 * .openastro-demo marker; refusing to delete it`).
 */
export type DemoErrorCode =
  | 'BAD_OPTION' // a command-line option or scenario parameter out of range
  | 'NOT_DEMO_DIR' // --fresh or a re-run on a folder the demo did not create
  | 'STATE' // the demo's state file in the data folder is unreadable
  | 'TIMEOUT' // the simulated night or the pipeline did not finish within its real-time budget
  | 'ABORTED'; // stopped by a signal

export class DemoError extends Error {
  override readonly name = 'DemoError';
  readonly code: DemoErrorCode;

  constructor(code: DemoErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}
