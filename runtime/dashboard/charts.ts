/**
 * Small charts as inline SVG, drawn on the server: a line chart (gaps where there is no data) and a state
 * band (the circuit breaker). No chart library and nothing loaded from elsewhere. Each chart is an image
 * with a title and a text description, and the page offers the numbers as a table too.
 */
import { h, type Html } from './html.ts';

export interface ChartSeries {
  label: string;
  color: string;
  /** SVG dash pattern, so lines differ by more than colour. */
  dash?: string;
  points: { at: number; value: number | null }[];
}

export interface LineChartOptions {
  id: string;
  title: string;
  description: string;
  series: ChartSeries[];
  from: number;
  to: number;
  yMax: number;
  yLabel: (value: number) => string;
  width?: number;
  height?: number;
}

const M = { left: 48, right: 12, top: 10, bottom: 24 };
const r1 = (n: number) => Math.round(n * 10) / 10;

/** `10:42` UTC for the time axis, with seconds when the chart spans less than ten minutes. */
const clock = (at: number, span = Infinity) => new Date(at).toISOString().slice(11, span < 600_000 ? 19 : 16);

/** Runs of consecutive points with a value: a missing sample breaks the line instead of bridging it. */
function segments(points: { x: number; y: number | null }[]): { x: number; y: number }[][] {
  const out: { x: number; y: number }[][] = [];
  let current: { x: number; y: number }[] = [];
  for (const p of points) {
    if (p.y === null) {
      if (current.length) out.push(current);
      current = [];
    } else current.push({ x: p.x, y: p.y });
  }
  if (current.length) out.push(current);
  return out;
}

export function lineChart(o: LineChartOptions): Html {
  const width = o.width ?? 480;
  const height = o.height ?? 170;
  const plotW = width - M.left - M.right;
  const plotH = height - M.top - M.bottom;
  const span = Math.max(1, o.to - o.from);
  const yMax = o.yMax > 0 ? o.yMax : 1;
  const x = (at: number) => r1(M.left + ((at - o.from) / span) * plotW);
  const y = (value: number) => r1(M.top + plotH - (Math.min(value, yMax) / yMax) * plotH);
  const grid = [0, 0.5, 1].map((f) => {
    const gy = y(yMax * f);
    return h`<line x1="${M.left}" x2="${width - M.right}" y1="${gy}" y2="${gy}" stroke="#d0d7de" stroke-width="1"/>
      <text x="${M.left - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="#57606a">${o.yLabel(yMax * f)}</text>`;
  });
  const lines = o.series.map((s) =>
    segments(s.points.map((p) => ({ x: x(p.at), y: p.value === null ? null : y(p.value) }))).map((seg) =>
      seg.length === 1
        ? h`<circle cx="${seg[0]!.x}" cy="${seg[0]!.y}" r="2.5" fill="${s.color}"/>`
        : h`<polyline points="${seg.map((p) => `${p.x},${p.y}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? h` stroke-dasharray="${s.dash}"` : ''} stroke-linejoin="round"/>`,
    ),
  );
  return h`<figure class="chart">
  <svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${o.id}-title ${o.id}-desc" font-family="inherit">
    <title id="${o.id}-title">${o.title}</title>
    <desc id="${o.id}-desc">${o.description}</desc>
    ${grid}
    <line x1="${M.left}" x2="${width - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#57606a" stroke-width="1"/>
    <text x="${M.left}" y="${height - 6}" font-size="11" fill="#57606a">${clock(o.from, span)}</text>
    <text x="${width - M.right}" y="${height - 6}" font-size="11" fill="#57606a" text-anchor="end">${clock(o.to, span)} UTC</text>
    ${lines}
  </svg>
  <figcaption>
    <strong>${o.title}</strong>
    <ul class="legend">${o.series.map((s) => h`<li><span class="swatch" style="background:${s.color}"></span>${s.label}</li>`)}</ul>
  </figcaption>
</figure>`;
}

export interface BandOptions<S extends string> {
  id: string;
  title: string;
  description: string;
  /** Each sample's state holds until the next sample (or `to`). */
  points: { at: number; state: S }[];
  colors: Record<S, string>;
  from: number;
  to: number;
  width?: number;
}

/** A strip coloured by state over time: when the breaker was closed, half-open or open. */
export function stateBand<S extends string>(o: BandOptions<S>): Html {
  const width = o.width ?? 480;
  const height = 46;
  const plotW = width - M.left - M.right;
  const span = Math.max(1, o.to - o.from);
  const x = (at: number) => r1(M.left + ((Math.max(o.from, at) - o.from) / span) * plotW);
  const rects = o.points.map((p, i) => {
    const end = o.points[i + 1]?.at ?? o.to;
    const x0 = x(p.at);
    return h`<rect x="${x0}" y="4" width="${Math.max(1, r1(x(end) - x0))}" height="18" fill="${o.colors[p.state]}" shape-rendering="crispEdges"><title>${p.state} from ${clock(p.at, 0)}</title></rect>`;
  });
  return h`<figure class="chart">
  <svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${o.id}-title ${o.id}-desc" font-family="inherit">
    <title id="${o.id}-title">${o.title}</title>
    <desc id="${o.id}-desc">${o.description}</desc>
    <rect x="${M.left}" y="4" width="${plotW}" height="18" fill="#f6f8fa" stroke="#d0d7de"/>
    ${rects}
    <text x="${M.left}" y="${height - 6}" font-size="11" fill="#57606a">${clock(o.from, span)}</text>
    <text x="${width - M.right}" y="${height - 6}" font-size="11" fill="#57606a" text-anchor="end">${clock(o.to, span)} UTC</text>
  </svg>
  <figcaption>
    <strong>${o.title}</strong>
    <ul class="legend">${(Object.keys(o.colors) as S[]).map((s) => h`<li><span class="swatch" style="background:${o.colors[s]}"></span>${s}</li>`)}</ul>
  </figcaption>
</figure>`;
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `floor`. */
export function niceMax(value: number, floor: number): number {
  const v = Math.max(value, floor);
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * power >= v) return step * power;
  return 10 * power;
}
