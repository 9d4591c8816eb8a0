import { describe, expect, it } from 'vitest';
import { smsSegments } from './sms.ts';

describe('smsSegments', () => {
  it('counts GSM-7 text: 160 in one segment, then 153 per segment', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, characters: 0 });
    expect(smsSegments('Hi Ada, your trial is ready')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 27 });
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 161 });
    expect(smsSegments('a'.repeat(306))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 306 });
    expect(smsSegments('a'.repeat(307))).toEqual({ encoding: 'GSM-7', segments: 3, characters: 307 });
  });

  it('keeps accented letters of the GSM table in GSM-7', () => {
    expect(smsSegments('Ça coûte 5€ à Paris').encoding).toBe('UCS-2'); // û is not in GSM 03.38
    expect(smsSegments('¿Sí?').encoding).toBe('UCS-2'); // nor í (only ì)
    expect(smsSegments('Ça va à Genève? ¿Sì! Ø Å Ñ ß').encoding).toBe('GSM-7');
  });

  it('counts extension characters as two septets, never split across segments', () => {
    expect(smsSegments('{}[]~|^€\\')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 18 });
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(smsSegments('€'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 162 });
    // 152 septets then an escape pair: the pair moves whole to the second segment.
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(10)}`)).toMatchObject({ segments: 2, characters: 164 });
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(151)}`)).toMatchObject({ segments: 2, characters: 305 });
    // 306 septets would fit in two segments of 153, but the pair cannot straddle them.
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).toMatchObject({ segments: 3, characters: 306 });
  });

  it('switches to UCS-2 for any other character: 70, then 67 per segment', () => {
    expect(smsSegments('Привет')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 6 });
    expect(smsSegments('ж'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70 });
    expect(smsSegments('ж'.repeat(71))).toEqual({ encoding: 'UCS-2', segments: 2, characters: 71 });
    expect(smsSegments('ж'.repeat(134))).toEqual({ encoding: 'UCS-2', segments: 2, characters: 134 });
    expect(smsSegments('ж'.repeat(135))).toEqual({ encoding: 'UCS-2', segments: 3, characters: 135 });
  });

  it('counts emoji as two UTF-16 units and keeps surrogate pairs whole', () => {
    expect(smsSegments('Hi 👋')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 5 });
    // 66 units then an emoji: 68 > 67, so the pair starts the second segment.
    expect(smsSegments(`${'ж'.repeat(66)}👋${'ж'.repeat(3)}`)).toMatchObject({ segments: 2, characters: 71 });
  });
});
