/**
 * The replay report for people (Markdown, ready for a pull request comment) and machines (JSON, every
 * change listed). Markdown lists are capped so that a large export still gives a readable comment.
 */
import type { BundleSummary, Counts, MessageChange, Outcome, ReplayReport, SendsRow } from './compare.ts';

const LIST_LIMIT = 50;

export function reportJson(report: ReplayReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function reportMarkdown(report: ReplayReport): string {
  const out: string[] = [];
  const { events, head, base } = report;
  const span = events.from ? ` (${events.users} users, ${events.from} → ${events.to})` : '';
  out.push(`## Replay of ${events.total} recorded events${span}`, '');
  out.push(base ? `New bundle \`${short(head.version)}\` compared with base \`${short(base.version)}\`.` : `Bundle \`${short(head.version)}\`.`, '');
  out.push(base ? headline(base, head) : `**Sends:** ${head.sent} · **SMS:** ${smsTotals(head)} · **runs:** ${head.runsStarted}`, '');
  out.push(...(base ? comparedTable(report.sends) : singleTable(report.sends)), '');
  if (report.changes) {
    const c = report.changes;
    const total = c.added.length + c.newlySkipped.length + c.noLongerSent.length + c.segments.length;
    if (total === 0) out.push('No message changes: every recorded event sends the same messages under both bundles.', '');
    out.push(...changeList('Added', 'sent under the new bundle, not under the base', c.added));
    out.push(...changeList('Newly skipped', 'sent under the base, skipped under the new bundle', c.newlySkipped));
    out.push(...changeList('No longer sent', 'sent under the base; failed, or not reached, under the new bundle', c.noLongerSent));
    out.push(...changeList('SMS segment changes', 'sent under both, billed differently', c.segments));
  }
  for (const [label, summary] of [
    [base ? 'new bundle' : 'bundle', head],
    ['base', base],
  ] as const) {
    if (!summary || summary.rejected.length === 0) continue;
    out.push(`### Events the ${label}'s schemas refuse (${summary.rejected.length})`, '', 'The runtime would answer 400 to these and start nothing.', '');
    for (const r of summary.rejected.slice(0, LIST_LIMIT)) out.push(`- line ${r.line}, \`${r.event}\`: ${r.reason}`);
    if (summary.rejected.length > LIST_LIMIT) out.push(`- … and ${summary.rejected.length - LIST_LIMIT} more (see --json)`);
    out.push('');
  }
  out.push('<details><summary>Assumptions</summary>', '', ...report.assumptions.map((a) => `- ${a}`), '', '</details>', '');
  return out.join('\n');
}

const short = (version: string) => version.slice(0, 19);
const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0');
const smsTotals = (s: BundleSummary) => `${s.sms.messages} messages, ${s.sms.segments} segments`;

function headline(base: BundleSummary, head: BundleSummary): string {
  return [
    `**Sends:** ${base.sent} → ${head.sent} (${signed(head.sent - base.sent)})`,
    `**SMS:** ${smsTotals(base)} → ${smsTotals(head)} (segments ${signed(head.sms.segments - base.sms.segments)})`,
  ].join(' · ');
}

const segments = (c: Counts, row: SendsRow) => (row.channel === 'sms' ? String(c.smsSegments) : '');
const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

function singleTable(rows: SendsRow[]): string[] {
  return [
    '| workflow | template | channel | sent | skipped | failed | SMS segments |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${escapeCell(r.workflow)} | ${escapeCell(r.template)} | ${r.channel} | ${r.head.sent} | ${r.head.skipped} | ${r.head.failed} | ${segments(r.head, r)} |`,
    ),
  ];
}

function comparedTable(rows: SendsRow[]): string[] {
  return [
    '| workflow | template | channel | sent (base → new) | change | skipped (base → new) | SMS segments (base → new) |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => {
      const b = r.base!;
      const changed = b.sent !== r.head.sent || b.skipped !== r.head.skipped || b.smsSegments !== r.head.smsSegments;
      const name = changed ? `**${escapeCell(r.workflow)}**` : escapeCell(r.workflow);
      const sms = r.channel === 'sms' ? `${b.smsSegments} → ${r.head.smsSegments}` : '';
      return `| ${name} | ${escapeCell(r.template)} | ${r.channel} | ${b.sent} → ${r.head.sent} | ${signed(r.head.sent - b.sent)} | ${b.skipped} → ${r.head.skipped} | ${sms} |`;
    }),
  ];
}

function outcomeText(o: Outcome | null): string {
  if (!o) return '—';
  const why = o.reason ? ` (${o.reason})` : '';
  const billed = o.segments !== null ? ` · ${o.segments} segment${o.segments === 1 ? '' : 's'}` : '';
  return `${o.status}${why}${billed}`;
}

function changeList(title: string, meaning: string, list: MessageChange[]): string[] {
  if (list.length === 0) return [];
  const lines = [
    `### ${title} (${list.length})`,
    '',
    `${meaning[0]!.toUpperCase()}${meaning.slice(1)}.`,
    '',
    '| event | user | workflow › step | template | channel | before | after |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...list
      .slice(0, LIST_LIMIT)
      .map(
        (c) =>
          `| line ${c.trigger.line} \`${escapeCell(c.trigger.event)}\` | ${escapeCell(c.trigger.userId ?? '—')} | ${escapeCell(c.workflow)} › ${escapeCell(c.stepId)} | ${escapeCell(c.template)} | ${c.channel} | ${outcomeText(c.before)} | ${outcomeText(c.after)} |`,
      ),
  ];
  if (list.length > LIST_LIMIT) lines.push('', `… and ${list.length - LIST_LIMIT} more (see --json).`);
  return [...lines, ''];
}
