/**
 * funpack and astropy read the files our writer makes with exactly our pixels.
 * Runs the reference tools; skipped (with a message) where they are not installed. CI
 * installs them (libcfitsio-bin, python3-astropy).
 */
import { spawnSync } from 'node:child_process';
import { missingTools } from '../../../helpers/tools.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeCrosscheckFiles } from '../../../../scripts/fixtures/compression-crosscheck.js';

const SCRIPT = fileURLToPath(new URL('../../../../scripts/fixtures/compression-crosscheck.py', import.meta.url));

// Skipped with a message on a bare machine; a failure in CI, which installs the tools.
const missing = missingTools({ commands: ['funpack'], pythonModules: ['astropy'] });

describe('our compressed files in the reference tools', () => {
  it.skipIf(missing !== undefined)('funpack and astropy read every file with our pixels', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-tilecheck-'));
    try {
      const cases = writeCrosscheckFiles(dir);
      expect(cases.length).toBeGreaterThan(30);
      const run = spawnSync('/usr/bin/python3', [SCRIPT, dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      expect(run.error).toBeUndefined();
      const report = JSON.parse(run.stdout) as { ok: boolean; cases: Array<{ name: string; funpack: string; astropy: string }> };
      const failures = report.cases.filter(
        (c) => !(c.funpack === 'ok' || c.funpack.startsWith('known')) || !(c.astropy.startsWith('ok') || c.astropy.startsWith('not readable')),
      );
      expect(failures).toEqual([]);
      expect(report.ok).toBe(true);
      // The known tool limits stay the exception, not the rule.
      expect(report.cases.filter((c) => c.funpack === 'ok').length).toBeGreaterThan(cases.length - 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
