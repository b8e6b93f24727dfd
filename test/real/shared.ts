/** Locating ../shared/datasets (present beside the clone on the project's machines only). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DATASETS = resolve(import.meta.dirname, '../../../shared/datasets');
export const haveDatasets = existsSync(DATASETS);

/** Every file under the datasets folder whose name matches `re`. */
export function findFiles(re: RegExp, dir = DATASETS): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findFiles(re, p));
    else if (re.test(name)) out.push(p);
  }
  return out.sort();
}

/** Minimal CSV reader for the datasets' small reference tables (no quoted commas in them). */
export function readCsv(text: string): Array<Record<string, string>> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(head.map((h, i) => [h.trim(), (cells[i] ?? '').trim()]));
  });
}
