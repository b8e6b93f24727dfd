/**
 * Reference tools (Debian's funpack, astropy, ...) for cross-check tests. On a bare
 * machine a test that needs a missing tool is skipped and says why; in CI
 * (OPENASTRO_REQUIRE_TOOLS=1, set by .ci/run after installing them) a missing tool fails.
 */
import { execFileSync } from 'node:child_process';

export const DEBIAN_PYTHON = '/usr/bin/python3';

function has(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

export function hasCommand(cmd: string): boolean {
  return has(() => execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }));
}

export function hasPythonModule(mod: string): boolean {
  return has(() => execFileSync(DEBIAN_PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' }));
}

/**
 * Returns undefined when every requirement is met, else the reason to skip. Throws when
 * tools are required (CI) but missing.
 */
export function missingTools(req: { commands?: string[]; pythonModules?: string[] }): string | undefined {
  const missing = [
    ...(req.commands ?? []).filter((c) => !hasCommand(c)),
    ...(req.pythonModules ?? []).filter((m) => !hasPythonModule(m)).map((m) => `python3-${m}`),
  ];
  if (missing.length === 0) return undefined;
  const reason = `skipped: reference tool(s) not installed: ${missing.join(', ')} (run scripts/ci/install-tools.sh)`;
  if (process.env.OPENASTRO_REQUIRE_TOOLS === '1') throw new Error(`required in CI but missing — ${reason}`);
  console.warn(reason);
  return reason;
}
