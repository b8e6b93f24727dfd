import type { CliIo } from './io.js';

/** Progress reporting for long work: a bar on a terminal, silence otherwise. */
export interface Progress {
  update(done: number, total: number, label?: string): void;
  finish(): void;
}

export function progressBar(io: CliIo, title: string, widthChars = 30): Progress {
  if (!io.stderrIsTty) return { update() {}, finish() {} };
  let last = -1;
  return {
    update(done, total, label) {
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const pct = Math.floor(frac * 100);
      if (pct === last) return;
      last = pct;
      const filled = Math.round(frac * widthChars);
      const bar = '█'.repeat(filled) + '░'.repeat(widthChars - filled);
      io.stderr(`\r${title} ${bar} ${String(pct).padStart(3)}%${label ? ' ' + label : ''}`);
    },
    finish() {
      if (last >= 0) io.stderr('\n');
    },
  };
}
