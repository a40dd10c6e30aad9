import test from 'ava';
import { KNOWN_MTR_BYTES, LOOK_AHEAD_READ_BUFFERS, memoryPlan, SLOTS, SOURCE_READ_BUFFERS } from '../src/memory-plan.js';

const MiB = 1 << 20;

test('pages get at least half of --use-memory from 64 MiB up, and the parts fit in it', (t) => {
  for (const mib of [64, 100, 128, 256, 512, 1024, 4096, 65536]) {
    const memory = mib * MiB;
    const p = memoryPlan(memory, 16384);
    const pages = p.maxSlots * 16384;
    t.true(pages >= memory * 0.5 - 16384, `${mib} MiB: ${pages / MiB} MiB of pages`);
    const used = (SOURCE_READ_BUFFERS + (p.lookAhead ? LOOK_AHEAD_READ_BUFFERS : 0)) * p.chunkBytes + p.knownMtrs * KNOWN_MTR_BYTES + SLOTS * p.windowBytes + pages;
    t.true(used <= memory, `${mib} MiB: ${used / MiB} MiB planned`);
    t.is(p.lookAhead, mib >= 256);
    t.true(p.arenaBytes >= 2 * MiB && p.chunkBytes > p.batchBytes + MiB, `${mib} MiB: arena ${p.arenaBytes}, chunk ${p.chunkBytes}`);
  }
});

test('windows of 48 MiB from about 512 MiB up; a tiny budget still gets a working plan', (t) => {
  const d = memoryPlan(1024 * MiB, 16384);
  t.is(d.windowBytes, 48 * MiB);
  t.is(memoryPlan(8192 * MiB, 16384).windowBytes, 48 * MiB);
  t.is(d.batchBytes, MiB);
  t.is(d.chunkBytes, 9 * MiB);
  const tiny = memoryPlan(2 * MiB, 16384);
  t.is(tiny.maxSlots, 64);
  t.true(tiny.arenaBytes >= 2 * MiB);
});
