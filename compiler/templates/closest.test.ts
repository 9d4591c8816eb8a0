import { describe, expect, it } from 'vitest';
import { closest, editDistance } from './closest.ts';

describe('editDistance', () => {
  it('counts an adjacent transposition as one edit', () => {
    expect(editDistance('frist', 'first')).toBe(1);
    expect(editDistance('emial', 'email')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('closest', () => {
  it('finds the nearest candidate within a threshold that grows with length', () => {
    expect(closest('frist_name', ['plan_type', 'first_name'])).toBe('first_name');
    expect(closest('Email', ['email', 'phone_number'])).toBe('email');
    expect(closest('ab', ['xy'])).toBeUndefined();
    expect(closest('onboarding-welcom', ['onboarding-welcome', 'weekly-digest'])).toBe('onboarding-welcome');
    expect(closest('completely_different', ['first_name'])).toBeUndefined();
  });

  it('keeps the earlier of equally close candidates', () => {
    expect(closest('cat', ['bat', 'hat'])).toBe('bat');
  });
});
