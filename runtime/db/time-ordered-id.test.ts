import { describe, expect, it } from 'vitest';
import { newTimeOrderedId, timeOfId } from './time-ordered-id.ts';

describe('time-ordered ids', () => {
  it('carry their time and sort in the order they were made, within a millisecond too', () => {
    const now = Date.parse('2026-12-07T10:00:00.123Z');
    const ids = Array.from({ length: 1_000 }, () => newTimeOrderedId(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids.map((id) => timeOfId(id)?.toISOString()))).toEqual(new Set(['2026-12-07T10:00:00.123Z']));
  });

  it('stay in order through a small step back of the clock, and are dated by the clock after a large one', () => {
    const now = Date.parse('2026-12-08T10:00:00.000Z');
    const first = newTimeOrderedId(now);
    const small = newTimeOrderedId(now - 500);
    expect(small > first).toBe(true);
    expect(timeOfId(small)?.getTime()).toBe(now);
    // A clock that jumped a day ahead and came back: ids are not dated a day ahead from then on.
    newTimeOrderedId(now + 86_400_000);
    expect(timeOfId(newTimeOrderedId(now + 1))?.getTime()).toBe(now + 1);
  });

  it('finds no time in an id of an earlier release (random, version 4) or in what is not an id', () => {
    expect(timeOfId('6856017a-6224-4509-85a8-c9735293753c')).toBeNull();
    expect(timeOfId('not-an-id')).toBeNull();
  });
});
