/** A simulated weather/safety station reading the same cloud model the camera sees. */
import type { Clock } from '../../../network/clock.js';
import { AgentError, throwIfAborted } from '../../errors.js';
import type { CallOptions, Weather, WeatherReading } from '../types.js';
import { checkCloudModel, transparencyAt, type CloudModel } from './clouds.js';

export interface SimulatedWeatherOptions {
  clock: Clock;
  clouds: CloudModel;
  /** Unsafe when the transparency is below this; default 0.5. */
  minSafeTransparency?: number;
  name?: string;
}

export class SimulatedWeather implements Weather {
  readonly name: string;
  private isConnected = false;
  private readonly clock: Clock;
  private readonly clouds: CloudModel;
  private readonly minSafe: number;

  constructor(opts: SimulatedWeatherOptions) {
    checkCloudModel(opts.clouds);
    const minSafe = opts.minSafeTransparency ?? 0.5;
    if (!(minSafe >= 0 && minSafe <= 1)) throw new AgentError('BAD_ARGUMENT', `minSafeTransparency must be in [0, 1], got ${minSafe}`);
    this.clock = opts.clock;
    this.clouds = opts.clouds;
    this.minSafe = minSafe;
    this.name = opts.name ?? 'Simulated Weather';
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async connect(opts: CallOptions = {}): Promise<void> {
    throwIfAborted(opts.signal, 'weather connect');
    this.isConnected = true;
  }

  async disconnect(): Promise<void> {
    this.isConnected = false;
  }

  async reading(opts: CallOptions = {}): Promise<WeatherReading> {
    throwIfAborted(opts.signal, 'weather reading');
    if (!this.isConnected) throw new AgentError('NOT_CONNECTED', 'weather station is not connected', { device: this.name });
    const now = this.clock.now();
    const transparency = transparencyAt(this.clouds, now);
    const reasons = transparency < this.minSafe ? [`clouds: transparency ${transparency.toFixed(2)} < ${this.minSafe}`] : [];
    return { time: now.toISOString(), safe: reasons.length === 0, transparency, cloudCover: 1 - transparency, reasons };
  }

  async isSafe(opts: CallOptions = {}): Promise<boolean> {
    return (await this.reading(opts)).safe;
  }
}
