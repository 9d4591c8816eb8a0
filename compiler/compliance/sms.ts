/**
 * SMS rules. A marketing SMS must tell the recipient how to stop (a keyword carriers honour) and go out only in
 * a window on the recipient's own clock, inside the TCPA's 08:00–21:00. Every SMS is measured in segments,
 * with its variables as written (`{{first_name}}` counts 14 characters: the text a reviewer sees, not a guess at
 * the data), by the runtime's own counter (GSM-7 160/153, UCS-2 70/67 per segment).
 */
import type { Template } from '../bundle/schema.ts';
import { smsSegments } from '../../runtime/render/index.ts';
import { finding, type Finding } from './rules.ts';
import { describeSite, type SendSite } from './sites.ts';
import { variantName, variants } from './variants.ts';

const SMS_MAX_SEGMENTS = 3;
/** 08:00 and 21:00 in minutes after midnight: 47 CFR §64.1200(c)(1). */
const EARLIEST = 8 * 60;
const LATEST = 21 * 60;

/**
 * Opt-out wording: STOP, STOPALL, UNSUBSCRIBE or "opt out", as a word, case-insensitive. Carriers also honour
 * CANCEL, END and QUIT, but those are everyday words ("ends Friday"), so their presence proves nothing.
 */
const OPT_OUT = /(?:^|[^\p{L}\p{N}])(?:stop|stopall|unsubscribe|opt[- ]?out)(?:$|[^\p{L}\p{N}])/iu;

export function optOutSmsFindings(template: Template, site: SendSite): Finding[] {
  const out: Finding[] = [];
  for (const v of variants(template, 'sms')) {
    if (v.locale !== undefined && !v.own.has('body')) continue;
    if (OPT_OUT.test(v.content.body)) continue;
    out.push(
      finding(
        'compliance-sms-opt-out',
        { kind: 'template', id: template.id, ...(v.locale === undefined ? {} : { locale: v.locale }), path: ['sms', 'body'] },
        `${variantName(template.id, v.locale)} is a marketing SMS (category "${site.category!.id}", ${describeSite(site)}) that does not say how to opt out`,
        'end the message with "Reply STOP to opt out" (or UNSUBSCRIBE)',
      ),
    );
  }
  return out;
}

/** The window a marketing SMS goes out in: there, on the recipient's time zone, inside 08:00–21:00. */
export function smsWindowFindings(site: SendSite): Finding[] {
  const w = site.window;
  const subject = { kind: 'step' as const, workflow: site.workflow, step: site.step, path: ['window'] };
  const hint = "give the send (or its workflow) a window such as { days: 'daily', hours: '09:00-20:00', timezone: 'user' }";
  const what = `${describeSite(site)} sends a marketing SMS (category "${site.category!.id}")`;
  if (!w) return [finding('compliance-sms-window', subject, `${what} with no send window: it may arrive at night`, hint)];
  if (w.timezone !== 'user') {
    return [
      finding(
        'compliance-sms-window',
        subject,
        `${what} in a window read in ${w.timezone}, not in the recipient's time zone`,
        "set the window's timezone to 'user'",
      ),
    ];
  }
  const wraps = w.endMinute <= w.startMinute;
  if (wraps || w.startMinute < EARLIEST || w.endMinute > LATEST) {
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    return [
      finding(
        'compliance-sms-window',
        subject,
        `${what} in a window ${hhmm(w.startMinute)}-${hhmm(w.endMinute)} that reaches outside 08:00-21:00 local time`,
        hint,
      ),
    ];
  }
  return [];
}

/** Messages longer than three segments: charged three times over, and split or dropped by some carriers. */
export function segmentFindings(template: Template): Finding[] {
  const out: Finding[] = [];
  for (const v of variants(template, 'sms')) {
    if (v.locale !== undefined && !v.own.has('body')) continue;
    const measured = smsSegments(v.content.body);
    if (measured.segments <= SMS_MAX_SEGMENTS) continue;
    out.push(
      finding(
        'compliance-sms-segments',
        { kind: 'template', id: template.id, ...(v.locale === undefined ? {} : { locale: v.locale }), path: ['sms', 'body'] },
        `${variantName(template.id, v.locale)}: the SMS is ${measured.segments} segments (${measured.characters} ${measured.encoding} characters, variables counted as written), over ${SMS_MAX_SEGMENTS}`,
        measured.encoding === 'UCS-2'
          ? 'shorten it; a character outside GSM-7 (an emoji, a curly quote) makes every segment 67 characters instead of 153'
          : `shorten it to ${SMS_MAX_SEGMENTS * 153} characters or fewer`,
      ),
    );
  }
  return out;
}
