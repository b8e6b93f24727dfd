"""emcee reference figures for bench/inference.ts; prints one JSON object.

Usage:
  emcee_bench.py overhead NDIM NWALKERS NSTEPS REPEATS
      median seconds of EnsembleSampler.run_mcmc on an isotropic Gaussian
      (log_prob = -0.5 x·x, one call per walker: emcee's default, vectorize=False), and of
      the bare log_prob calls on the same number of positions.
  speedup NWALKERS NSTEPS WORK
      seconds of run_mcmc with multiprocessing.Pool(1) and Pool(2) on a likelihood made
      expensive by a numpy loop of WORK elements.
Run with Debian's /usr/bin/python3 (it has python3-emcee).
"""
import json
import sys
import time
from multiprocessing import Pool

import numpy as np
import emcee


def gaussian(x):
    return -0.5 * np.dot(x, x)


WORK = 1


def expensive(x):
    return -0.5 * np.dot(x, x) + 1e-30 * float(np.sum(np.sin(x[0] + 1e-3 * np.arange(WORK))))


def median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def overhead(ndim, nwalkers, nsteps, repeats):
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=(nwalkers, ndim))

    def run():
        emcee.EnsembleSampler(nwalkers, ndim, gaussian).run_mcmc(p0, nsteps, progress=False)

    rows = [rng.normal(size=ndim) for _ in range(nwalkers)]

    def bare():
        for _ in range(nsteps):
            for x in rows:
                gaussian(x)

    return {'run_s': median_time(run, repeats), 'bare_s': median_time(bare, repeats), 'calls': nwalkers * nsteps}


def speedup(nwalkers, nsteps, work):
    global WORK
    WORK = work
    rng = np.random.default_rng(2)
    p0 = rng.normal(size=(nwalkers, 3))
    out = {}
    for n in (1, 2):
        with Pool(n) as pool:
            sampler = emcee.EnsembleSampler(nwalkers, 3, expensive, pool=pool)
            sampler.run_mcmc(p0, 1, progress=False)  # warm-up: start the processes
            t0 = time.perf_counter()
            sampler.run_mcmc(None, nsteps, progress=False)
            out[f'pool{n}_s'] = time.perf_counter() - t0
    return out


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'overhead':
        print(json.dumps(overhead(*map(int, sys.argv[2:6]))))
    elif mode == 'speedup':
        print(json.dumps(speedup(*map(int, sys.argv[2:5]))))
    else:
        raise SystemExit(f'unknown mode {mode}')
