/**
 * Reading the configuration: the file named by --config (or OPENASTRO_CONFIG) in JSON,
 * YAML or TOML, then the environment, then flags. A syntax error is reported with the file
 * and the parser's line and column, as one of the ConfigError's problems.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { buildConfig, CONFIG_FILE_ENV, envLayer, fileLayer, overrideLayer, type Config, type Layer } from './config.js';
import { ConfigError, type ConfigProblem } from './errors.js';

export interface LoadConfigOptions {
  /** Config file path (.json, .yaml, .yml, .toml); default: $OPENASTRO_CONFIG, else none. */
  file?: string;
  /** Environment to read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Working directory for relative paths (default process.cwd()). */
  cwd?: string;
  /** Highest-precedence values, e.g. { path: 'server.port', value: 9000, source: '--port' }. */
  overrides?: ReadonlyArray<{ path: string; value: unknown; source: string }>;
}

export async function loadConfig(opts: LoadConfigOptions = {}): Promise<Config> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const problems: ConfigProblem[] = [];
  const layers: Layer[] = [];
  const envFile = env[CONFIG_FILE_ENV];
  const file = opts.file ?? (envFile === undefined || envFile === '' ? undefined : envFile);
  if (file !== undefined) {
    const shown = path.resolve(cwd, file);
    const doc = await readConfigFile(shown, problems);
    if (doc !== undefined) layers.push(fileLayer(doc, shown, problems));
  }
  layers.push(envLayer(env, cwd));
  if (opts.overrides) layers.push(overrideLayer(opts.overrides, cwd));
  return buildConfig(layers, cwd, problems);
}

/** Parse a config file by its extension; problems go to `problems`, the result is undefined then. */
export async function readConfigFile(file: string, problems: ConfigProblem[]): Promise<unknown> {
  const ext = path.extname(file).toLowerCase();
  if (!['.json', '.yaml', '.yml', '.toml'].includes(ext)) {
    problems.push({ path: '(file)', problem: 'unknown config file type; use .json, .yaml, .yml or .toml', got: JSON.stringify(ext || '(no extension)'), source: file });
    return undefined;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({ path: '(file)', problem: code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`, source: file });
    return undefined;
  }
  try {
    if (ext === '.json') return JSON.parse(text) as unknown;
    if (ext === '.toml') return parseToml(text);
    return parseYaml(text) as unknown;
  } catch (err) {
    const format = ext === '.json' ? 'JSON' : ext === '.toml' ? 'TOML' : 'YAML';
    const firstLine = (err as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const at = errorPosition(err, text);
    problems.push({ path: '(file)', problem: `not valid ${format}: ${firstLine}${at ? ` at line ${at.line}, column ${at.column}` : ''}`, source: file });
    return undefined;
  }
}

/** 1-based line and column of a parser error: TOML and YAML errors carry them, JSON gives an offset. */
function errorPosition(err: unknown, text: string): { line: number; column: number } | undefined {
  const e = err as { line?: unknown; column?: unknown; linePos?: Array<{ line: number; col: number }>; message?: string };
  if (typeof e.line === 'number' && typeof e.column === 'number') return { line: e.line, column: e.column };
  if (Array.isArray(e.linePos) && e.linePos[0]) return { line: e.linePos[0].line, column: e.linePos[0].col };
  const offset = /at position (\d+)/.exec(e.message ?? '');
  if (offset) {
    const before = text.slice(0, Number(offset[1]));
    const lines = before.split('\n');
    return { line: lines.length, column: lines[lines.length - 1].length + 1 };
  }
  return undefined;
}

export { ConfigError };
