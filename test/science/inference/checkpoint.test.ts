import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  InferenceError,
  decodeStateBinary,
  decodeStateJson,
  encodeStateBinary,
  encodeStateJson,
  loadStateFile,
  resumeEnsemble,
  runEnsemble,
  saveStateFile,
  type EnsembleState,
  type Move,
} from '../../../src/science/inference/index.js';

const dir = mkdtempSync(join(tmpdir(), 'openastro-inference-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A banana with a hard edge, so some proposals land at −∞ and the DE move's normal draws
// leave a cached spare in the generator at checkpoints.
const logProb = (x: Float64Array) => (x[2] > 3 ? -Infinity : -0.5 * (x[0] ** 2 + 4 * (x[1] - 0.5 * x[0] ** 2) ** 2 + x[2] ** 2));
const moves: Move[] = [{ type: 'stretch', weight: 0.6 }, { type: 'de', weight: 0.4, epsilon: 1e-3 }];
const base = {
  logProb,
  nWalkers: 12,
  nSteps: 300,
  seed: 77,
  moves,
  initial: (rng: { normal(): number }) => Float64Array.of(rng.normal(), rng.normal(), rng.normal()),
};

/** Runs with checkpoints and stops (throws) right after the checkpoint at `stopAt`. */
async function interrupted(stopAt: number, every: number, includeChain = true): Promise<EnsembleState> {
  let saved: EnsembleState | undefined;
  const stop = new Error('simulated crash');
  await runEnsemble({
    ...base,
    checkpoint: {
      every,
      includeChain,
      save(state) {
        // Serialise now: the chain arrays are views valid only during save.
        saved = decodeStateBinary(encodeStateBinary(state));
        if (state.step === stopAt) throw stop;
      },
    },
  }).catch((e: unknown) => {
    if (e !== stop) throw e;
  });
  if (!saved) throw new Error('no checkpoint');
  return saved;
}

describe('checkpoint and resume', () => {
  it('resumes bit-identically from a binary checkpoint (with the chain)', async () => {
    const full = await runEnsemble(base);
    const state = await interrupted(120, 40);
    expect(state.step).toBe(120);
    expect(state.rng.spare).not.toBeUndefined();
    const resumed = await resumeEnsemble(state, { logProb });
    expect(resumed.startStep).toBe(0);
    expect(resumed.nSteps).toBe(300);
    expect(Buffer.from(resumed.chain.buffer).equals(Buffer.from(full.chain.buffer))).toBe(true);
    expect(Buffer.from(resumed.logProb.buffer).equals(Buffer.from(full.logProb.buffer))).toBe(true);
    expect(resumed.acceptance).toEqual(full.acceptance);
    expect(resumed.state).toEqual(full.state);
  });

  it('resumes bit-identically from JSON, and from a state without the chain', async () => {
    const full = await runEnsemble(base);
    const state = await interrupted(200, 50, false);
    expect(state.chain).toBeUndefined();
    const json = encodeStateJson(state);
    const resumed = await resumeEnsemble(decodeStateJson(json), { logProb });
    expect(resumed.startStep).toBe(200);
    expect(resumed.nSteps).toBe(100);
    const tail = full.chain.subarray(200 * 12 * 3);
    expect(Buffer.from(resumed.chain.buffer).equals(Buffer.from(tail.slice().buffer))).toBe(true);
    expect(resumed.state).toEqual(full.state);
  });

  it('extends a finished run exactly as a longer run would', async () => {
    const short = await runEnsemble({ ...base, nSteps: 150 });
    const more = await resumeEnsemble(short.state, { logProb, nSteps: 300 });
    const full = await runEnsemble(base);
    expect(more.chain).toEqual(full.chain.subarray(150 * 36));
  });

  it('keeps exact floats, −Infinity and the cached normal through JSON', () => {
    const s: EnsembleState = {
      kind: 'ensemble',
      version: 1,
      nWalkers: 4,
      nDim: 1,
      step: 1,
      nSteps: 2,
      seed: 3,
      moves: [{ type: 'stretch', a: 2, weight: 1 }],
      rng: { s: [1, -2, 3, -4], spare: 0.1 + 0.2 },
      positions: Float64Array.of(0.1, 1e-310, -0, Math.PI),
      logProb: Float64Array.of(-Infinity, 0, -1.5, 5e-324),
      accepted: Float64Array.of(0, 1, 1, 0),
      chain: Float64Array.of(0.1, 1e-310, -0, Math.PI),
      chainLogProb: Float64Array.of(-Infinity, 0, -1.5, 5e-324),
    };
    for (const back of [decodeStateJson(encodeStateJson(s)), decodeStateBinary(encodeStateBinary(s))]) {
      expect(back).toEqual(s);
      expect(Object.is(back.positions[2], -0)).toBe(true);
    }
  });

  it('saves files atomically and loads either format', async () => {
    const state = await interrupted(60, 30);
    for (const name of ['state.bin', 'state.json']) {
      const path = join(dir, name);
      await saveStateFile(path, state);
      expect(await loadStateFile(path)).toEqual(state);
    }
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('rejects damaged checkpoints with BAD_STATE', async () => {
    const state = await interrupted(60, 30);
    const bin = encodeStateBinary(state);
    const expectBad = (f: () => unknown, offset?: number) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InferenceError);
        expect((e as InferenceError).code).toBe('BAD_STATE');
        if (offset !== undefined) expect((e as InferenceError).location.offset).toBe(offset);
        return;
      }
      throw new Error('no error');
    };
    expectBad(() => decodeStateBinary(bin.subarray(0, 5)), 0);
    expectBad(() => decodeStateBinary(Uint8Array.from(bin, (b, i) => (i === 0 ? 0 : b))), 0);
    expectBad(() => decodeStateBinary(bin.subarray(0, bin.length - 8)));
    expectBad(() => decodeStateBinary(Uint8Array.of(...bin, 0, 0, 0, 0, 0, 0, 0, 0)));
    const hugeHeader = bin.slice();
    new DataView(hugeHeader.buffer).setUint32(8, 0xffffffff, true);
    expectBad(() => decodeStateBinary(hugeHeader), 8);
    expectBad(() => decodeStateJson('{not json'));
    expectBad(() => decodeStateJson(JSON.stringify({ kind: 'ensemble', version: 2 })));
    const doc = JSON.parse(encodeStateJson(state)) as Record<string, { base64: string }>;
    doc.positions.base64 = doc.positions.base64.slice(0, 8);
    expectBad(() => decodeStateJson(JSON.stringify(doc)));
    // Decodes, but does not describe a consistent run: resume refuses it.
    const wrong = { ...state, positions: state.positions.subarray(3) };
    await expect(resumeEnsemble(wrong, { logProb })).rejects.toMatchObject({ code: 'BAD_STATE' });
    await expect(resumeEnsemble({ ...state, moves: [{ type: 'stretch', a: 0.5, weight: 1 }] }, { logProb })).rejects.toMatchObject({ code: 'BAD_STATE' });
    await expect(resumeEnsemble({ ...state, rng: { s: [0, 0, 0, 0], spare: null } }, { logProb })).rejects.toMatchObject({ code: 'BAD_STATE' });
    await expect(resumeEnsemble(state, { logProb, nSteps: 10 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    const path = join(dir, 'garbage.json');
    writeFileSync(path, 'garbage');
    await expect(loadStateFile(path)).rejects.toMatchObject({ code: 'BAD_STATE' });
  });
});
