import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFigure } from './bench/harness.js';
import { run } from './bench/image-detect.js';
const tmpDir = mkdtempSync(join(tmpdir(), 'bench-det-'));
try { await run({ tmpDir, record: (f) => console.log(formatFigure(f)) }); } finally { rmSync(tmpDir, { recursive: true, force: true }); }
