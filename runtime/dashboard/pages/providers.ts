/**
 * Providers: each one's health now (breaker state, success rate and latency over the breaker's window) and
 * over the last hour, from the samples provider-series.ts keeps every 10 s, drawn as inline SVG.
 */
import type { Provider } from '../../../compiler/bundle/schema.ts';
import type { BreakerState } from '../../delivery/providers/health.ts';
import { lineChart, niceMax, stateBand } from '../charts.ts';
import { badge, dash, h, time, type Html } from '../html.ts';
import { page } from '../layout.ts';
import type { ProviderPoint, ProviderSample } from '../provider-series.ts';
import { SAMPLE_CAPACITY, seriesByProvider } from '../provider-series.ts';

const pct = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 1000) / 10}%`);
const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`);
/** A chart spans at least 60 samples (ten minutes at 10 s), so the first samples after a start do not fill the whole width. */
const MIN_SAMPLES_SPANNED = 60;

/** `10 s`, `250 ms`, `60 min`. */
const every = (value: number) => (value >= 120_000 ? `${Math.round(value / 60_000)} min` : value >= 1000 ? `${Math.round(value / 1000)} s` : `${value} ms`);

const STATE_COLORS: Record<BreakerState, string> = { closed: '#2da44e', 'half-open': '#bf8700', open: '#cf222e' };

export interface ProvidersPageOptions {
  /** Samples kept, oldest first, and the current point of each provider (drawn at `now`). */
  samples: ProviderSample[];
  current: ProviderPoint[];
  totals: Map<string, { attempts: number; failures: number }>;
  configured: Record<string, Provider>;
  now: number;
  intervalMs: number;
}

function providerCard(name: string, points: { at: number; point: ProviderPoint }[], from: number, now: number, index: number): Html {
  const id = `p${index}`;
  const rates = points.map((p) => p.point.successRate).filter((v): v is number => v !== null);
  const p95s = points.map((p) => p.point.p95).filter((v): v is number => v !== null);
  const openCount = points.filter((p) => p.point.state !== 'closed').length;
  const success = lineChart({
    id: `${id}-success`,
    title: `${name}: success rate`,
    description: rates.length
      ? `Success rate over the breaker window, sampled every 10 seconds: now ${pct(points.at(-1)?.point.successRate ?? null)}, lowest ${pct(Math.min(...rates))}.`
      : 'No attempts in any sample yet.',
    series: [
      {
        label: 'success rate',
        color: '#1a7f37',
        points: points.map((p) => ({ at: p.at, value: p.point.successRate === null ? null : p.point.successRate * 100 })),
      },
    ],
    from,
    to: now,
    yMax: 100,
    yLabel: (v) => `${Math.round(v)}%`,
  });
  const latency = lineChart({
    id: `${id}-latency`,
    title: `${name}: latency`,
    description: p95s.length
      ? `p50 and p95 latency of provider calls: p95 now ${ms(points.at(-1)?.point.p95 ?? null)}, highest ${ms(Math.max(...p95s))}.`
      : 'No attempts in any sample yet.',
    series: [
      { label: 'p50', color: '#0969da', points: points.map((p) => ({ at: p.at, value: p.point.p50 })) },
      { label: 'p95', color: '#8250df', dash: '5 3', points: points.map((p) => ({ at: p.at, value: p.point.p95 })) },
    ],
    from,
    to: now,
    yMax: niceMax(Math.max(0, ...p95s), 10),
    yLabel: (v) => `${Math.round(v)} ms`,
  });
  const breaker = stateBand({
    id: `${id}-breaker`,
    title: `${name}: circuit breaker`,
    description: `Breaker state over time: ${openCount ? `not closed in ${openCount} of ${points.length} samples` : 'closed throughout'}; now ${points.at(-1)?.point.state ?? 'unknown'}.`,
    points: points.map((p) => ({ at: p.at, state: p.point.state })),
    colors: STATE_COLORS,
    from,
    to: now,
  });
  const recent = points.slice(-30).reverse();
  return h`<article class="panel provider" aria-labelledby="${id}-h" data-provider="${name}">
  <h3 id="${id}-h">${name}</h3>
  ${success}${latency}${breaker}
  <details><summary>Samples as a table</summary><div class="table-wrap"><table>
    <caption class="sr-only">${name}: the newest ${recent.length} samples</caption>
    <thead><tr><th scope="col">Time</th><th scope="col">Breaker</th><th scope="col">Success</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">Attempts</th></tr></thead>
    <tbody>${recent.map((p) => h`<tr><td class="nowrap">${time(p.at)}</td><td>${p.point.state}</td><td>${pct(p.point.successRate)}</td><td>${ms(p.point.p50)}</td><td>${ms(p.point.p95)}</td><td>${p.point.attempts}</td></tr>`)}</tbody>
  </table></div></details>
</article>`;
}

export function providersPage(o: ProvidersPageOptions): Html {
  const series = seriesByProvider([...o.samples, { at: o.now, points: o.current }]);
  const from = Math.min(o.samples[0]?.at ?? o.now, o.now - MIN_SAMPLES_SPANNED * o.intervalMs);
  const names = [...series.keys()].sort();
  const body = h`<h1>Providers</h1>
<p class="muted">Health as this runtime process sees it (each process keeps its own breakers). Success rate and latency cover the breaker’s sliding window; charts are sampled every ${every(o.intervalMs)} and kept for ${every(o.intervalMs * SAMPLE_CAPACITY)}, in memory.</p>
<div class="table-wrap"><table id="providers-now">
  <caption class="sr-only">Provider health now</caption>
  <thead><tr><th scope="col">Provider</th><th scope="col">Channel · kind</th><th scope="col">Breaker</th><th scope="col">Success rate</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">Attempts (window)</th><th scope="col">Attempts · failures (total)</th></tr></thead>
  <tbody>${o.current.map((p) => {
    const conf = o.configured[p.provider];
    const totals = o.totals.get(p.provider);
    return h`<tr><th scope="row">${p.provider}</th><td>${conf ? `${conf.channel} · ${conf.kind}` : dash}</td><td>${badge(p.state)}</td><td>${pct(p.successRate)}</td><td>${ms(p.p50)}</td><td>${ms(p.p95)}</td><td>${p.attempts}</td><td>${totals ? `${totals.attempts} · ${totals.failures}` : dash}</td></tr>`;
  })}</tbody>
</table></div>
<h2>Over time</h2>
${names.length ? h`<div class="cards">${names.map((name, i) => providerCard(name, series.get(name)!, from, o.now, i))}</div>` : h`<p class="muted">No providers yet.</p>`}`;
  return page({ title: 'Providers', section: 'providers', body });
}
