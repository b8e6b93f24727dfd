import { describe, expect, it } from 'vitest';
import { ProgressDisplay, renderBlock, renderLine, type Snapshot } from '../../src/demo/progress.js';

const snap = (realS: number): Snapshot => ({
  simTime: new Date('2026-03-20T04:31:00Z'),
  realS,
  pausedS: 12,
  phase: 'observing',
  nodes: [
    { name: 'ctio-200mm', site: 'Cerro Tololo', state: 'BUSY', target: 'V* OA-1', frames: 7, linkUp: true },
    { name: 'kpno-130mm', site: 'Kitt Peak', state: 'ONLINE', target: null, frames: 3, linkUp: true },
    { name: 'lapalma-106mm', site: 'La Palma', state: 'FAULTED', target: null, frames: 1, linkUp: false },
  ],
  missions: [
    { label: 'Deep field: galaxy group', state: 'ACTIVE', deliveredS: 720, totalS: 960 },
    { label: 'ToO: transient', state: 'PENDING', deliveredS: 0, totalS: 120 },
  ],
  queues: [
    { queue: 'image', waiting: 2, running: 1, failed: 0 },
    { queue: 'inference', waiting: 0, running: 1, failed: 1 },
  ],
});

describe('demo progress', () => {
  it('draws nodes, missions and queues in one block', () => {
    const block = renderBlock(snap(42), 120).join('\n');
    expect(block).toContain('simulated 03-20 04:31Z');
    expect(block).toMatch(/ctio-200mm\s+BUSY\s+7f V\* OA-1/);
    expect(block).toMatch(/lapalma-106mm\s+FAULTED\s+1f link down/);
    expect(block).toMatch(/Deep field: galaxy group\s+█{15}░{5} 12\/16 min ACTIVE/);
    expect(block).toContain('image 2+1▶');
    expect(block).toContain('inference 0+1▶ 1✖');
  });

  it('sums the state in one line for logs', () => {
    const line = renderLine(snap(42));
    expect(line).toContain('nodes 1 busy 1 idle 0 parked 1 FAULTED');
    expect(line).toContain('Deep field 12/16m');
    expect(line).toContain('queues image 3 inference 1');
  });

  it('redraws in place on a terminal, prints a line every few seconds otherwise', () => {
    let tty = '';
    const d = new ProgressDisplay({ write: (t) => (tty += t), tty: true, columns: 120 });
    d.update(snap(1));
    const lines = tty.split('\n').length - 1;
    d.event(new Date('2026-03-20T04:32:00Z'), 'ALERT');
    expect(tty).toContain(`\x1b[${lines}A\x1b[0J`);
    expect(tty).toContain('03-20 04:32Z  ALERT');

    let log = '';
    const p = new ProgressDisplay({ write: (t) => (log += t), tty: false }, 10);
    p.update(snap(0));
    p.update(snap(5));
    p.update(snap(11));
    expect(log.split('\n').filter(Boolean)).toHaveLength(2);
    expect(log).not.toContain('\x1b[');
  });
});
