// Log-probabilities for bench/inference.ts, in plain JavaScript so worker threads can import
// them (workers do not inherit tsx's TypeScript loader on Node 20).

/** Isotropic Gaussian in any dimension: the cheap toy likelihood of the overhead figure. */
export function gaussian(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return -0.5 * s;
}

/**
 * An isotropic Gaussian made expensive by a fixed amount of arithmetic (WORK iterations,
 * ≈ 2 ms), standing in for an n-body forward model; the work depends on x so it cannot be
 * optimised away.
 */
const WORK = 400_000;
export function expensive(x) {
  let acc = 0;
  let v = x[0] * 1e-9;
  for (let i = 0; i < WORK; i++) {
    v = v * 0.999999 + 1e-7;
    acc += v;
  }
  return gaussian(x) + acc * 1e-30;
}
