/** The batcher's contract: groups form only under load, each call gets its own result, a failed group is retried item by item. */
import { describe, expect, it } from 'vitest';
import { createBatcher } from './group-commit.ts';

/** A runner that records the groups it was given; items named "bad" fail whatever they are run with. */
function recordingRunner() {
  const groups: string[][] = [];
  const alone: string[] = [];
  return {
    groups,
    alone,
    runner: {
      async together(items: string[]) {
        groups.push(items);
        await new Promise((r) => setTimeout(r, 5));
        if (items.includes('bad')) throw new Error('group failed');
        return items.map((i) => i.toUpperCase());
      },
      async alone(item: string) {
        alone.push(item);
        await new Promise((r) => setTimeout(r, 5));
        if (item === 'bad') throw new Error('bad item');
        return item.toUpperCase();
      },
    },
  };
}

describe('createBatcher', () => {
  it('runs a lone item alone, at once', async () => {
    const r = recordingRunner();
    const submit = createBatcher(r.runner, { maxGroup: 10, maxInFlight: 1 });
    expect(await submit('a')).toBe('A');
    expect(r.groups).toEqual([]);
    expect(r.alone).toEqual(['a']);
  });

  it('groups items that arrive while others are in flight, up to maxGroup, and answers each with its own result', async () => {
    const r = recordingRunner();
    const submit = createBatcher(r.runner, { maxGroup: 3, maxInFlight: 1 });
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map(submit));
    expect(results).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    // The first goes alone at once; the rest queue behind it and leave in groups of at most 3.
    expect(r.alone).toEqual(['a']);
    expect(r.groups).toEqual([
      ['b', 'c', 'd'],
      ['e', 'f'],
    ]);
  });

  it('retries a failed group item by item, so only the bad item fails', async () => {
    const r = recordingRunner();
    const submit = createBatcher(r.runner, { maxGroup: 10, maxInFlight: 1 });
    const results = await Promise.allSettled(['first', 'x', 'bad', 'y'].map(submit));
    expect(results.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(r.groups).toEqual([['x', 'bad', 'y']]);
    expect(r.alone).toEqual(['first', 'x', 'bad', 'y']);
  });

  it('keeps at most maxInFlight groups running', async () => {
    let running = 0;
    let peak = 0;
    const track = async <T>(value: T) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return value;
    };
    const submit = createBatcher<number, number>({ together: (items) => track(items), alone: (item) => track(item) }, { maxGroup: 4, maxInFlight: 2 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => submit(i)));
    expect(peak).toBe(2);
  });
});
