/**
 * How many SMS segments a text costs: GSM-7 when every character is in the GSM 03.38 basic or extension
 * table (extension characters take two septets), UCS-2 otherwise. A single message holds 160 septets or
 * 70 UTF-16 units; a multipart one 153 / 67 per segment (the rest is the concatenation header), and an
 * escape pair or a surrogate pair is never split across two segments, as carriers count them.
 */

const BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXTENSION = '\f^{}\\[~]|€';

const basic = new Set(BASIC);
const extension = new Set(EXTENSION);

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2. */
  characters: number;
}

/**
 * @example
 * smsSegments('Hi Ada')      // { encoding: 'GSM-7', segments: 1, characters: 6 }
 * smsSegments('Hi Ada 👋')   // { encoding: 'UCS-2', segments: 1, characters: 9 }
 */
export function smsSegments(text: string): SmsSegments {
  const chars = [...text];
  const gsm = chars.every((c) => basic.has(c) || extension.has(c));
  // Each unit is what must stay within one segment: 1 or 2 septets, or 1 or 2 UTF-16 code units.
  const units = gsm ? chars.map((c) => (extension.has(c) ? 2 : 1)) : chars.map((c) => c.length);
  const characters = units.reduce((a, b) => a + b, 0);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments: countSegments(units, characters, single, multi), characters };
}

function countSegments(units: number[], total: number, single: number, multi: number): number {
  if (total === 0) return 0;
  if (total <= single) return 1;
  let segments = 1;
  let used = 0;
  for (const unit of units) {
    if (used + unit > multi) {
      segments++;
      used = 0;
    }
    used += unit;
  }
  return segments;
}
