/**
 * A small metrics registry — counters, gauges and fixed-bucket histograms with labels —
 * rendered in the Prometheus text exposition format 0.0.4:
 *
 *     # HELP <name> <help, with \ and newline escaped>
 *     # TYPE <name> counter|gauge|histogram
 *     <name>{<label>="<value, with \ " and newline escaped>",...} <value>
 *
 * Histograms expose cumulative `<name>_bucket{le="<bound>"}` series ending in le="+Inf",
 * then `<name>_sum` and `<name>_count`. Values print as JavaScript numbers, with +Inf,
 * -Inf and NaN spelt as the format requires. Metrics appear in registration order, series
 * in the order first seen. A gauge may have a `collect` callback run at each scrape (e.g.
 * counting nodes by state in the database), so it is never stale.
 *
 * No global default registry: the service creates one and passes it where it is needed.
 */

export type Labels = Readonly<Record<string, string | number>>;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Prometheus client defaults (seconds), for request latencies. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type MetricsErrorCode = 'BAD_NAME' | 'DUPLICATE' | 'BAD_LABELS' | 'BAD_VALUE' | 'BAD_BUCKETS';

export class MetricsError extends Error {
  override readonly name = 'MetricsError';
  readonly code: MetricsErrorCode;
  constructor(code: MetricsErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface Counter {
  /** Add `by` (default 1, must be ≥ 0) to the series with these labels. */
  inc(labels?: Labels, by?: number): void;
  /** Current value of one series (0 if never incremented). */
  get(labels?: Labels): number;
}

export interface Gauge {
  set(labels: Labels, value: number): void;
  inc(labels?: Labels, by?: number): void;
  dec(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
  /** Forget every series (a collect callback starts from here). */
  reset(): void;
}

export interface Histogram {
  /** Record one observation in the series with these labels. */
  observe(labels: Labels, value: number): void;
}

export interface GaugeOptions extends MetricOptions {
  /** Called at every render before this gauge is written, to set its current values. */
  collect?: (gauge: Gauge) => void | Promise<void>;
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, strictly increasing and finite; +Inf is added. Default DEFAULT_BUCKETS. */
  buckets?: readonly number[];
}

export interface Registry {
  counter(opts: MetricOptions): Counter;
  gauge(opts: GaugeOptions): Gauge;
  histogram(opts: HistogramOptions): Histogram;
  /** The exposition text of every metric. */
  render(): Promise<string>;
}

export interface RegistryOptions {
  /** A gauge's collect callback failed: its samples are left out of this scrape (default: ignore). */
  onCollectError?: (metric: string, err: unknown) => void;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Metric {
  name: string;
  render(): Promise<string>;
}

export function createRegistry(opts: RegistryOptions = {}): Registry {
  const metrics: Metric[] = [];
  const names = new Set<string>();

  function register(o: MetricOptions, reserved: readonly string[] = []): { labelNames: readonly string[]; header: string } {
    if (typeof o.name !== 'string' || !METRIC_NAME.test(o.name)) throw new MetricsError('BAD_NAME', `metric name ${JSON.stringify(o.name)} must match ${METRIC_NAME.source}`);
    if (names.has(o.name)) throw new MetricsError('DUPLICATE', `metric ${o.name} is already registered`);
    const labelNames = o.labelNames ?? [];
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new MetricsError('BAD_NAME', `${o.name}: label name ${JSON.stringify(l)} must match ${LABEL_NAME.source} and not start with __`);
      if (reserved.includes(l)) throw new MetricsError('BAD_NAME', `${o.name}: label name '${l}' is reserved`);
      if (seen.has(l)) throw new MetricsError('BAD_NAME', `${o.name}: label name '${l}' is repeated`);
      seen.add(l);
    }
    names.add(o.name);
    return { labelNames, header: `# HELP ${o.name} ${escapeHelp(o.help ?? '')}\n` };
  }

  return {
    counter(o) {
      const { labelNames, header } = register(o);
      const series = new Series(o.name, labelNames);
      metrics.push({
        name: o.name,
        render: async () => header + `# TYPE ${o.name} counter\n` + series.lines(o.name),
      });
      return {
        inc(labels = {}, by = 1) {
          if (!(by >= 0) || !Number.isFinite(by)) throw new MetricsError('BAD_VALUE', `${o.name}: a counter only goes up; inc by ${by}`);
          series.add(labels, by);
        },
        get: (labels = {}) => series.value(labels),
      };
    },

    gauge(o) {
      const { labelNames, header } = register(o);
      const series = new Series(o.name, labelNames);
      const gauge: Gauge = {
        set(labels, value) {
          if (typeof value !== 'number') throw new MetricsError('BAD_VALUE', `${o.name}: value must be a number`);
          series.set(labels, value);
        },
        inc: (labels = {}, by = 1) => series.add(labels, by),
        dec: (labels = {}, by = 1) => series.add(labels, -by),
        get: (labels = {}) => series.value(labels),
        reset: () => series.clear(),
      };
      metrics.push({
        name: o.name,
        async render() {
          let body: string;
          try {
            if (o.collect) await o.collect(gauge);
            body = series.lines(o.name);
          } catch (err) {
            opts.onCollectError?.(o.name, err);
            body = '';
          }
          return header + `# TYPE ${o.name} gauge\n` + body;
        },
      });
      return gauge;
    },

    histogram(o) {
      const { labelNames, header } = register(o, ['le']);
      const bounds = [...(o.buckets ?? DEFAULT_BUCKETS)];
      if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && !(b > bounds[i - 1])))) {
        throw new MetricsError('BAD_BUCKETS', `${o.name}: buckets must be finite and strictly increasing, got [${bounds.join(', ')}]`);
      }
      const les = [...bounds.map(formatValue), '+Inf'];
      // Per series: count in each bucket (not cumulative; the last is +Inf), sum.
      const data = new Map<string, { values: string[]; counts: number[]; sum: number }>();
      const keyed = new Series(o.name, labelNames);
      if (labelNames.length === 0) data.set(keyed.key({}), { values: [], counts: new Array(les.length).fill(0), sum: 0 });
      metrics.push({
        name: o.name,
        async render() {
          let out = header + `# TYPE ${o.name} histogram\n`;
          for (const s of data.values()) {
            const pairs = labelNames.map((l, i) => `${l}="${escapeLabel(s.values[i])}"`);
            let cumulative = 0;
            for (let i = 0; i < les.length; i++) {
              cumulative += s.counts[i];
              out += `${o.name}_bucket{${[...pairs, `le="${les[i]}"`].join(',')}} ${formatValue(cumulative)}\n`;
            }
            const suffix = pairs.length > 0 ? `{${pairs.join(',')}}` : '';
            out += `${o.name}_sum${suffix} ${formatValue(s.sum)}\n`;
            out += `${o.name}_count${suffix} ${formatValue(cumulative)}\n`;
          }
          return out;
        },
      });
      return {
        observe(labels, value) {
          if (typeof value !== 'number' || Number.isNaN(value)) throw new MetricsError('BAD_VALUE', `${o.name}: cannot observe ${String(value)}`);
          const key = keyed.key(labels);
          let s = data.get(key);
          if (!s) {
            s = { values: labelNames.map((l) => String(labels[l])), counts: new Array(les.length).fill(0), sum: 0 };
            data.set(key, s);
          }
          let i = 0;
          while (i < bounds.length && value > bounds[i]) i++; // le is inclusive
          s.counts[i]++;
          s.sum += value;
        },
      };
    },

    async render() {
      const parts = await Promise.all(metrics.map((m) => m.render()));
      return parts.join('');
    },
  };
}

/** Label values of one metric, keyed by their values in labelNames order. */
class Series {
  readonly #values = new Map<string, { labels: string[]; value: number }>();
  constructor(
    readonly metric: string,
    readonly labelNames: readonly string[],
  ) {
    // An unlabelled counter or gauge exists from the start, at 0.
    if (labelNames.length === 0) this.#values.set(this.key({}), { labels: [], value: 0 });
  }

  key(labels: Labels): string {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || given.some((l) => !this.labelNames.includes(l))) {
      throw new MetricsError(
        'BAD_LABELS',
        `${this.metric}: labels must be exactly {${this.labelNames.join(', ')}}, got {${given.join(', ')}}`,
      );
    }
    return JSON.stringify(this.labelNames.map((l) => String(labels[l])));
  }

  #entry(labels: Labels) {
    const key = this.key(labels);
    let e = this.#values.get(key);
    if (!e) {
      e = { labels: this.labelNames.map((l) => String(labels[l])), value: 0 };
      this.#values.set(key, e);
    }
    return e;
  }

  add(labels: Labels, by: number): void {
    this.#entry(labels).value += by;
  }

  set(labels: Labels, value: number): void {
    this.#entry(labels).value = value;
  }

  value(labels: Labels): number {
    return this.#values.get(this.key(labels))?.value ?? 0;
  }

  clear(): void {
    this.#values.clear();
    if (this.labelNames.length === 0) this.#values.set(this.key({}), { labels: [], value: 0 });
  }

  lines(name: string): string {
    let out = '';
    for (const { labels, value } of this.#values.values()) {
      const pairs = labels.map((v, i) => `${this.labelNames[i]}="${escapeLabel(v)}"`);
      out += `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}\n`;
    }
    return out;
  }
}

/** A sample value or bucket bound as the format spells it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Label value: backslash, double quote and line feed escaped. */
export function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
