/**
 * Child process of bench/image-coadd.ts: runs `openastro stack ARGS...` in-process and
 * prints one JSON line {code, seconds, maxRssBytes, result}, so our peak RSS is measured
 * for a process that does only the co-addition (like SWarp's under /usr/bin/time).
 * Run as `node --import tsx bench/image-coadd-runner.ts FRAMES... -o OUT --json ...`.
 */
import { performance } from 'node:perf_hooks';
import { run } from '../src/cli/program.js';

const t0 = performance.now();
let stdout = '';
const code = await run(['stack', ...process.argv.slice(2)], {
  stdout: (t) => {
    stdout += t;
  },
  stderr: (t) => void process.stderr.write(t),
  stderrIsTty: false,
  cwd: process.cwd(),
});
const seconds = (performance.now() - t0) / 1000;
// maxRSS is in kilobytes and covers the worker threads (same process).
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(JSON.stringify({ code, seconds, maxRssBytes, result: stdout ? (JSON.parse(stdout) as unknown) : null }) + '\n');
