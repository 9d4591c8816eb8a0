/**
 * `npx tsx bench/report.ts [results.json]`: the results of `npm run bench` as the Markdown tables of
 * docs/performance.md — each figure, its baseline from the same run, their ratio, and the target where the
 * issue set one. Paste the output over the tables in the doc after a run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// results.json read back: its shape is what the sections wrote, checked by eye in the output. Internal only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
// biome-ignore lint/suspicious/noExplicitAny: results.json is read field by field, each checked where it is printed
type Json = Record<string, any>;

const int = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? `${n < 10 ? n.toFixed(1) : Math.round(n)} ms` : '—');
const x = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? `${n.toFixed(2)}×` : '—');
const met = (ok: unknown) => (ok === true ? '**met**' : ok === false ? '**not met**' : '');
const mb = (n: unknown) => (typeof n === 'number' ? `${Math.round(n)} MB` : '—');

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function endToEnd(e: Json): string {
  const raw = e.baselineRawPgBoss;
  const pgb = e.baselinePgbench;
  const rows: (string | number)[][] = [];
  const add = (label: string, p: Json | undefined, perRun = 1) => {
    if (!p) return;
    rows.push([
      label,
      p.processes,
      int(p.triggersAcceptedPerSecond),
      int(p.messagesPerSecond),
      perRun > 1 ? int(p.runsPerSecond) : int(p.messagesPerSecond),
      int(raw.endToEndPerSecond),
      x(p.ratioToRawPgBoss),
      ms(p.triggerLatencyMs?.p99),
    ]);
  };
  for (const n of [1, 2, 4]) add('one-send (SendGrid SDK → fake)', e.oneSend?.[`processes${n}`]);
  add('one-send (sandbox)', e.oneSendSandbox);
  add('one-send, start jobs (HERALD_LOCAL_STARTS=off)', e.oneSendStartJobs);
  for (const n of [1, 2, 4]) add(`seed flow (${e.seedFlow?.messagesPerRun} messages/run)`, e.seedFlow?.[`processes${n}`], e.seedFlow?.messagesPerRun);
  const header = [
    'workflow',
    'processes',
    'triggers/s accepted',
    'messages/s at the fakes',
    'runs/s',
    'raw pg-boss jobs/s (baseline)',
    'ratio',
    `trigger p99 at ${e.loadConcurrency ?? 32} in flight`,
  ];
  const t = e.targets ?? {};
  const pgbench = pgb?.tps ? `${int(pgb.tps)} TPS (pgbench -N, ${pgb.clients} clients, ${pgb.seconds} s)` : `n/a (${pgb?.reason ?? 'not run'})`;
  return [
    table(header, rows),
    '',
    `Baselines: raw pg-boss ${int(raw.jobs)} jobs, send ${int(raw.sendPerSecond)}/s while working, ${int(raw.endToEndPerSecond)} jobs/s end to end; the database's write limit: ${pgbench}.`,
    ...(e.headlinePasses
      ? [
          '',
          (e.headlinePasses.oneSendMessagesPerSecond.length > 1
            ? `One-send at one process and raw pg-boss are each the median of ${e.headlinePasses.oneSendMessagesPerSecond.length} passes taken in turn (a checkpoint before each): `
            : 'One-send at one process and raw pg-boss from one pass each (`--quick`; the full run takes the median of three): ') +
            `one-send ${e.headlinePasses.oneSendMessagesPerSecond.map(int).join(', ')} messages/s; raw pg-boss ${e.headlinePasses.rawPgBossJobsPerSecond.map(int).join(', ')} jobs/s.`,
        ]
      : []),
    '',
    table(
      ['target', 'value', 'met'],
      [
        ['≥ 1,000 messages/s, one-send, one process', `${int(t.oneSendMessagesPerSecondOneProcess?.value)}/s`, met(t.oneSendMessagesPerSecondOneProcess?.met)],
        ['≥ 0.5× raw pg-boss (one-send, one process)', x(t.ratioToRawPgBoss?.value), met(t.ratioToRawPgBoss?.met)],
      ],
    ),
  ].join('\n');
}

const passesOf = (p99s: unknown) => (Array.isArray(p99s) ? `${p99s.map((v) => Math.round(v as number)).join(', ')} ms` : '—');

/** One row of the latency table: a server's figures at a rate. */
const rateRow = (label: string, f: Json, passes: string, ratio: string) => [
  label,
  `${int(f.achievedPerSecond)}/s`,
  ms(f.latencyMs.p50),
  ms(f.latencyMs.p99),
  passes,
  int(f.non2xx),
  ratio,
];

function latency(l: Json): string {
  const rows = Object.entries(l)
    .filter(([k]) => k.startsWith('rate'))
    .flatMap(([, p]: [string, Json]) => {
      const rate = int(p.herald.offeredPerSecond);
      return [
        rateRow(`Herald, ${rate}/s offered`, p.herald, passesOf(p.passes?.heraldP99), x(p.p99Ratio)),
        rateRow('raw pg-boss over HTTP (baseline)', p.baselineRawPgBossHttp, passesOf(p.passes?.baselineP99), ''),
        ...(p.bursts
          ? [
              rateRow(`Herald, ${rate}/s in per-second bursts`, p.bursts.herald, '(one pass)', x(p.bursts.p99Ratio)),
              rateRow('raw pg-boss over HTTP, same bursts', p.bursts.baselineRawPgBossHttp, '(one pass)', ''),
            ]
          : []),
      ];
    });
  return [
    `Requests spread evenly over each second, timed from when each was due; each side's median of ${l.passCount ?? 1} pass${(l.passCount ?? 1) > 1 ? 'es' : ''} (servers alternating, a checkpoint before each), ${l.seconds} s each. ` +
      `The *per-second bursts* rows offer the same rates with autocannon's \`overallRate\`, which sends each second's requests at its start, as many at a time as it has connections (rate ÷ 10).`,
    '',
    table(['server, offered load', 'achieved', 'p50', 'p99', 'p99 of each pass', 'non-2xx', 'p99 ratio'], rows),
    '',
    table(['target', 'value', 'met'], [['p99 < 50 ms at 200 triggers/s', ms(l.target?.value), met(l.target?.met)]]),
  ].join('\n');
}

function lateness(d: Json): string {
  const row = (label: string, f: Json) => [
    label,
    ms(f.herald.p50),
    ms(f.herald.p99),
    ms(f.baselineRawPgBoss.p50),
    ms(f.baselineRawPgBoss.p99),
    x(f.p99Ratio),
    f.parts ? `${ms(f.parts.triggerToDelayStartMs.p99)} / ${ms(f.parts.dueToMessageMs.p99)}` : '—',
  ];
  const bg = d.backgroundLoad ?? {};
  return [
    table(
      [
        'delay',
        'Herald p50',
        'Herald p99',
        'raw pg-boss p50 (baseline)',
        'raw pg-boss p99',
        'p99 ratio',
        'Herald p99: trigger → delay started / due → message',
      ],
      [row('1 s', d.delay1sMs), row('60 s', d.delay60sMs)],
    ),
    '',
    `${int(d.runsPerDelay)} runs per delay started over ${d.startedOverSeconds} s, under ${int(bg.offeredPerSecond)} one-send triggers/s (achieved ${int(bg.achievedPerSecond)}/s, trigger p99 ${ms(bg.latencyMs?.p99)}; ` +
      `the background's own trigger → message time p50 ${ms(bg.triggerToMessageMs?.p50)}, p99 ${ms(bg.triggerToMessageMs?.p99)}: when that is seconds too, the process was behind on all its work, not on timers).`,
    '',
    table(['target', 'value', 'met'], [['p99 delay lateness < 1 s', ms(d.target?.value), met(d.target?.met)]]),
  ].join('\n');
}

function memory(m: Json): string {
  const none = m.baselineNoWaitingRuns;
  const many = m.withWaitingRuns;
  const per = m.perWaitingRun;
  return [
    table(
      ['runtime process', 'idle RSS', 'peak RSS under load', 'messages/s of the load'],
      [
        ['no waiting runs (baseline)', mb(none.idleRssMb), mb(none.peakRssMb), int(none.messagesPerSecond)],
        [`${int(m.waitingRuns)} waiting runs`, mb(many.idleRssMb), mb(many.peakRssMb), int(many.messagesPerSecond)],
        ['ratio', x(m.ratioIdle), x(m.ratioPeakUnderLoad), x(m.throughputRatio)],
      ],
    ),
    '',
    `On disk, per waiting run: ${int(per.databaseBytes)} bytes of database (herald.runs ${int(per.runsTableBytes)}, its deferred job ${int(per.jobsTableBytes)}, indexes included); ${int(m.waitingRuns)} runs made in ${m.insertSeconds} s of SQL.`,
    '',
    table(
      ['target', 'value', 'met'],
      [['RSS independent of waiting runs (ratio ≤ 1.1)', `${x(m.ratioIdle)} idle, ${x(m.ratioPeakUnderLoad)} under load`, met(m.target?.met)]],
    ),
  ].join('\n');
}

/** A ratio that may be far below 1 (two significant digits there). */
const small = (n: unknown) => (typeof n === 'number' && n > 0 && n < 0.1 ? `${n.toPrecision(2)}×` : x(n));

function scale(sc: Json): string {
  const t = sc.throughput ?? {};
  const r = sc.reads ?? {};
  const n = int(sc.messages);
  const row = (label: string, side: Json | undefined) =>
    side
      ? [
          label,
          int(side.closedLoop?.messagesPerSecond),
          `${int(side.at200?.achievedPerSecond)}/s`,
          ms(side.at200?.latencyMs?.p50),
          ms(side.at200?.latencyMs?.p99),
        ]
      : [label, '—', '—', '—', '—'];
  const readRow = (label: string, key: string) => [
    label,
    ms(r.empty?.http?.[key]?.p99),
    ms(r.withHistory?.http?.[key]?.p50),
    ms(r.withHistory?.http?.[key]?.p99),
  ];
  const statementRow = (label: string, key: string) => {
    const st = r.withHistory?.statements?.[key];
    return [label, st ? `${ms(st.page.p50)} / ${ms(st.page.p99)}` : '—', st ? `${ms(st.statusCounts.p50)} / ${ms(st.statusCounts.p99)}` : '—'];
  };
  const d = sc.diskPerMessage ?? {};
  const diskRow = (label: string, x: Json | undefined) =>
    x
      ? [label, int(x.rows), int(x.bytesPerMessage), int(x.heapBytesPerMessage), int(x.indexBytesPerMessage), `${x.gbPerMillionMessages} GB`]
      : [label, '—', '—', '—', '—', '—'];
  const ret = sc.retention ?? {};
  const cost = (x: Json | undefined) => (x ? [ms(x.ms), int(x.walBytes)] : ['—', '—']);
  const p = sc.pooler ?? {};
  const k = sc.kills ?? {};
  const killRow = (label: string, f: Json | null | undefined) =>
    f
      ? [
          label,
          int(f.triggers),
          `${f.triggersPerSecond}/s`,
          f.kills,
          `${f.lost?.email} / ${f.lost?.sms}`,
          `${f.duplicates?.email} / ${f.duplicates?.sms}`,
          f.duplicatesPerKill,
        ]
      : [label, '—', '—', '—', '—', '—', '—'];
  const failed = Object.entries(sc)
    .filter(([, v]) => v && typeof v === 'object' && 'error' in (v as Json))
    .map(([k, v]) => `${k} (${String((v as Json).error).split('\n')[0]})`);
  return [
    ...(failed.length ? [`Parts that failed in this run: ${failed.join('; ')}.`, ''] : []),
    `${n} messages over ${sc.days} daily partitions, ${int(sc.users)} users (made in ${sc.history?.seconds?.messages} s of SQL); one \`herald start\` process on each database, taken in turn, ${t.passCount} pass${t.passCount > 1 ? 'es' : ''} each (medians).`,
    '',
    table(
      ['database', 'one-send messages/s (closed loop, 64 in flight)', `achieved at ${t.rate}/s`, 'trigger p50', 'trigger p99'],
      [row('empty (baseline)', t.empty), row(`${n} messages`, t.withHistory)],
    ),
    '',
    `Throughput ratio ${x(t.throughputRatio)} (target ≥ 0.9: ${met(t.target?.met)}); p99 at ${t.rate}/s ${x(t.at200?.p99Ratio)} the empty database's. Closed-loop passes: empty ${(t.passes?.closedLoopMessagesPerSecond?.empty ?? []).map(int).join(', ')}, with history ${(t.passes?.closedLoopMessagesPerSecond?.withHistory ?? []).map(int).join(', ')} messages/s.`,
    '',
    table(
      ['read (through the API, one at a time)', 'empty p99 (baseline)', `${n} messages p50`, 'p99'],
      [
        readRow('dashboard list, first page', 'dashboard.firstPage'),
        readRow('dashboard list, status=failed', 'dashboard.failed'),
        readRow('dashboard list, workflow and channel', 'dashboard.workflowAndChannel'),
        readRow('dashboard list, one user', 'dashboard.oneUser'),
        readRow('dashboard list, any time (range=all)', 'dashboard.anyTime'),
        readRow('user timeline (GET /v1/users/:id/messages)', 'timeline'),
      ],
    ),
    '',
    table(
      ['dashboard list statement alone', 'page p50 / p99', 'status counts p50 / p99'],
      [
        statementRow('first page', 'firstPage'),
        statementRow('status=failed', 'failed'),
        statementRow('workflow and channel', 'workflowAndChannel'),
        statementRow('one user', 'oneUser'),
      ],
    ),
    '',
    `Target p99 < 50 ms: ${met(r.target?.met)}. One message by id ${ms(r.withHistory?.lookups?.byId?.p99)} p99, by provider id (a webhook) ${ms(r.withHistory?.lookups?.byProviderId?.p99)}.`,
    '',
    table(
      ['message partitions', 'rows', 'bytes/message', 'heap', 'indexes', 'per million'],
      [diskRow('synthetic history', d.history), diskRow('written by the runtime', d.runtimeWritten)],
    ),
    '',
    ...(d.otherTablesPerTrigger
      ? [
          `Besides its message, per trigger (${int(d.otherTablesPerTrigger.triggers)} one-send triggers written by the runtime): run ${int(d.otherTablesPerTrigger.runBytes)} bytes, event ${int(d.otherTablesPerTrigger.eventBytes)}, send receipts ${int(d.otherTablesPerTrigger.receiptBytes)}, pg-boss jobs ${int(d.otherTablesPerTrigger.jobBytes)}.`,
          '',
        ]
      : []),
    table(
      [`retiring one day (${int(ret.rows)} messages)`, 'time', 'WAL bytes'],
      [
        ['DETACH … CONCURRENTLY + DROP (maintainPartitions)', ...cost(ret.partitionDrop)],
        ['DELETE from an unpartitioned copy (baseline)', ...cost(ret.delete)],
        ['its VACUUM', ...cost(ret.vacuumAfterDelete)],
        ['ratio to DELETE + VACUUM', small(ret.ratios?.timeToDeleteAndVacuum), small(ret.ratios?.walToDeleteAndVacuum)],
      ],
    ),
    '',
    `Pooler: one-send at ${p.processes} processes through PgBouncer (${p.poolSize} server connections) ${int(p.pooled?.messagesPerSecond)} messages/s against ${int(p.direct?.messagesPerSecond)} direct: ${x(p.ratio)}.`,
    '',
    k.skipped
      ? `Random kills: not run (${k.skipped}).`
      : table(
          ['random kill -9 at 200 triggers/s', 'triggers', 'rate reached', 'kills', 'lost email / SMS', 'duplicates email / SMS', 'a kill'],
          [killRow('with send receipts', k.withReceipts), killRow('without (baseline)', k.withoutReceipts)],
        ),
  ].join('\n');
}

function compiler(c: Json): string {
  const row = (label: string, t: Json | undefined) =>
    t ? [label, int(t.files), ms(t.totalMs), ms(t.typecheckMs), ms(t.baselineTypeCheckMs), x(t.ratioToTypeCheck)] : [label, '—', '—', '—', '—', '—'];
  return [
    table(
      ['tree', 'files', 'herald build', 'of which type-check', 'type-check alone (baseline)', 'ratio'],
      [row('notifications/ (example)', c.example), row('200 workflows', c.tree200), row('1,000 workflows', c.tree1000)],
    ),
    '',
    `Growth from 200 to 1,000 workflows: ${x(c.growth200to1000)} for 5× the size.`,
  ].join('\n');
}

export function report(input: Record<string, unknown>): string {
  const results = input as Json;
  const m = results.machine ?? {};
  const s = results.seconds ?? {};
  const parts = [
    `Run of ${results.when}${results.quick ? ' (--quick)' : ''}: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, ${m.os}, Node ${m.node}, PostgreSQL ${m.postgres?.version} ${m.postgres?.server ?? ''}; load average ${m.loadAverageAtStart ?? '?'} at the start, ${m.loadAverageAtEnd} at the end (above ${m.cores}, processes were queuing for a core); ${int(s.total)} s in all.`,
  ];
  const section = (title: string, key: string, render: (j: Json) => string) => {
    if (results[key]) parts.push(`### ${title}\n\n${render(results[key])}`);
  };
  section('End-to-end throughput', 'endToEnd', endToEnd);
  section('Trigger latency at a fixed offered load', 'triggerLatency', latency);
  section('Delay lateness under load', 'delayLateness', lateness);
  section('Memory with waiting runs', 'memory', memory);
  section('Compiler', 'compiler', compiler);
  section('Scale', 'scale', scale);
  return `${parts.join('\n\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = process.argv[2] ?? fileURLToPath(new URL('./results.json', import.meta.url));
  process.stdout.write(report(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>));
}
