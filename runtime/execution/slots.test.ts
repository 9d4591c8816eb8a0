import { expect, it } from 'vitest';
import { createSlots, withSlots } from './slots.ts';

it('never lends more slots than it has, and serves waiters in arrival order', async () => {
  const slots = createSlots(3);
  const order: string[] = [];
  const first = await slots.acquire(2);
  expect(slots.free).toBe(1);
  const big = slots.acquire(3).then((release) => (order.push('big'), release));
  // Fits in the one free slot, but came after a waiter: it waits its turn.
  const small = slots.acquire(1).then((release) => (order.push('small'), release));
  await new Promise((r) => setTimeout(r, 10));
  expect(order).toEqual([]);
  first();
  const releaseBig = await big;
  expect(order).toEqual(['big']);
  expect(slots.free).toBe(0);
  releaseBig();
  releaseBig(); // a second release changes nothing
  (await small)();
  expect(order).toEqual(['big', 'small']);
  expect(slots.free).toBe(3);
});

it('holds one slot per job of a batch while its handler runs, and frees them when it throws', async () => {
  const slots = createSlots(4);
  let seen = -1;
  await withSlots(slots, async (jobs: number[]) => {
    seen = slots.free;
    return jobs.length;
  })([1, 2, 3]);
  expect(seen).toBe(1);
  await expect(withSlots(slots, async () => Promise.reject(new Error('boom')))([1])).rejects.toThrow('boom');
  expect(slots.free).toBe(4);
});
