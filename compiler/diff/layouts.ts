/**
 * Which templates a layout, partial or brand change alters: "layout `default` changed: changes 23 templates".
 * A layout or partial changed when its digest (templates' `composedFrom`) differs between the sides; the brand when
 * `settings.brand` does. Each template that uses it (on either side) is rendered with its event's first example,
 * in its default content and every locale, on every channel, before and after, by the runtime's own renderer: it is
 * listed when what a recipient gets differs (a footer edit inside an `{{#if}}` a template never opens changes nothing).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Bundle, Template } from '../bundle/schema.ts';
import { DEFAULT_PUBLIC_URL } from '../preview/builtins.ts';
import { examplesOf, renderChannels } from '../preview/collect.ts';

export interface CompositionChange {
  kind: 'layout' | 'partial' | 'brand';
  /** The layout's or partial's id; the brand's is `brand`. */
  id: string;
  /** "layout `default` changed: changes 2 templates" */
  summary: string;
  /** Ids of the templates whose rendered output differs, sorted. */
  templates: string[];
}

export function diffCompositions(base: Bundle, head: Bundle): CompositionChange[] {
  const out: CompositionChange[] = [];
  for (const kind of ['layout', 'partial'] as const) {
    const before = digests(base, kind);
    const after = digests(head, kind);
    for (const id of [...after.keys()].filter((id) => before.has(id)).sort()) {
      if (before.get(id) === after.get(id)) continue;
      const users = (bundle: Bundle) => Object.values(bundle.templates).filter((t) => partsOf(t, kind).some((p) => p.id === id));
      out.push(change(kind, id, alteredTemplates(base, head, [...users(base), ...users(head)])));
    }
  }
  if (!isDeepStrictEqual(base.settings.brand ?? null, head.settings.brand ?? null)) {
    out.push(change('brand', 'brand', alteredTemplates(base, head, Object.values(head.templates))));
  }
  return out;
}

function change(kind: CompositionChange['kind'], id: string, templates: string[]): CompositionChange {
  const what = kind === 'brand' ? 'the brand' : `${kind} \`${id}\``;
  const count = templates.length === 1 ? '1 template' : `${templates.length} templates`;
  return { kind, id, summary: `${what} changed: changes ${count}`, templates };
}

const partsOf = (template: Template, kind: 'layout' | 'partial') =>
  kind === 'layout' ? (template.composedFrom?.layout ? [template.composedFrom.layout] : []) : (template.composedFrom?.partials ?? []);

/** Layout or partial id → its digest, as the side's templates recorded it. */
function digests(bundle: Bundle, kind: 'layout' | 'partial'): Map<string, string> {
  const out = new Map<string, string>();
  for (const template of Object.values(bundle.templates)) for (const part of partsOf(template, kind)) out.set(part.id, part.digest);
  return out;
}

/** The candidates present on both sides whose rendered output differs (an added or removed template is its own news). */
function alteredTemplates(base: Bundle, head: Bundle, candidates: Template[]): string[] {
  const ids = new Set(candidates.map((t) => t.id));
  return [...ids]
    .filter((id) => Object.hasOwn(base.templates, id) && Object.hasOwn(head.templates, id))
    .filter((id) => !isDeepStrictEqual(rendered(base, base.templates[id]!), rendered(head, head.templates[id]!)))
    .sort();
}

/** Every channel of the default content and of each locale, rendered as the preview renders it, with the event's first example (a failure is its message). */
function rendered(bundle: Bundle, template: Template): Record<string, unknown> {
  const data = examplesOf(bundle, template).list[0]!;
  const out: Record<string, unknown> = Object.create(null);
  for (const locale of [null, ...Object.keys(template.locales).sort()]) {
    for (const render of renderChannels(bundle, template, locale, data, { publicUrl: DEFAULT_PUBLIC_URL, category: null, digestItems: [data] })) {
      out[`${locale ?? 'default'}:${render.channel}`] = render.ok ? render.content : render.error;
    }
  }
  return out;
}
