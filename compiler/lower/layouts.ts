/**
 * Layouts and partials: checked once each here (ids, the `{{{content}}}` marker, the settings' default), then
 * handed to template composition (templates/compose.ts), which resolves them into every template that uses them.
 * They are not in the bundle themselves: templates carry the resolved content.
 */
import type { Bundle } from '../bundle/schema.ts';
import { type CompositionParts, expandLayout, type LayoutSource, type PartialSource } from '../templates/compose.ts';
import { uniqueById } from './catalog.ts';
import type { LowerContext } from './context.ts';

/** Channels that take a layout: only email has a document around its body. */
const LAYOUT_CHANNELS = new Set(['email']);

export function lowerLayouts(ctx: LowerContext, events: Bundle['events']): CompositionParts {
  const partials = new Map<string, PartialSource>();
  for (const { def, file } of uniqueById(ctx, 'partial', ctx.all('partial'), (d) => d.id)) {
    if (typeof def.html !== 'string' && typeof def.text !== 'string') {
      ctx.report(
        'invalid-definition',
        ctx.where('partial', def.id, file),
        `partial "${def.id}" has neither html nor text`,
        'add html (for email bodies), text (for everything else), or both',
      );
      continue;
    }
    partials.set(def.id, {
      id: def.id,
      ...(typeof def.html === 'string' ? { html: def.html } : {}),
      ...(typeof def.text === 'string' ? { text: def.text } : {}),
    });
  }

  const layouts = new Map<string, LayoutSource>();
  for (const { def, file } of uniqueById(ctx, 'layout', ctx.all('layout'), (d) => d.id)) {
    const frames = (['html', 'text'] as const).filter((frame) => def[frame] !== undefined);
    for (const frame of frames) {
      const source = def[frame];
      // Counted with its partials expanded, as composition wraps each template's email in it.
      const markers = typeof source === 'string' ? expandLayout(def.id, frame, source, partials).markers.length : 0;
      if (markers === 1) continue;
      ctx.report(
        'invalid-definition',
        ctx.where('layout', def.id, file, [frame]),
        typeof source !== 'string'
          ? `the ${frame} of layout "${def.id}" is not a text`
          : `the ${frame} of layout "${def.id}" has ${markers === 0 ? 'no' : markers} {{{content}}} marker${markers > 1 ? 's' : ''}`,
        "put {{{content}}} (three braces: the body is already HTML) once, in the layout or a partial it brings in, where each template's body goes",
      );
    }
    if (typeof def.html !== 'string') continue;
    if (def.event !== undefined && !Object.hasOwn(events, def.event)) {
      ctx.report(
        'unknown-reference',
        ctx.where('layout', def.id, file, ['data']),
        `layout "${def.id}" is for unknown event "${def.event}"`,
        ctx.suggest(def.event, Object.keys(events), 'event'),
      );
    }
    layouts.set(def.id, {
      id: def.id,
      html: def.html,
      ...(def.text === undefined ? {} : { text: def.text }),
      ...(def.event === undefined ? {} : { event: def.event }),
    });
  }

  return { layouts, partials, ...defaultLayout(ctx, layouts) };
}

/** `settings({ layouts: { email } })`, checked: only email takes a layout, and the layout must exist. */
function defaultLayout(ctx: LowerContext, layouts: ReadonlyMap<string, LayoutSource>): { defaultLayout?: string } {
  const settings = ctx.all('settings')[0];
  const chosen = settings?.def.layouts;
  if (!settings || chosen === undefined) return {};
  let email: string | undefined;
  for (const [channel, id] of Object.entries(chosen)) {
    const at = ctx.where('settings', '', settings.file, ['layouts', channel]);
    if (!LAYOUT_CHANNELS.has(channel)) {
      ctx.report(
        'invalid-definition',
        at,
        `settings layouts names a layout for ${channel}, and only email takes layouts`,
        'keep layouts: { email: … }; use partials ({{> name}}) for shared text in other channels',
      );
    } else if (!layouts.has(id)) {
      ctx.report('unknown-reference', at, `settings layouts names unknown layout "${id}"`, ctx.suggest(id, [...layouts.keys()], 'layout'));
    } else email = id;
  }
  return email === undefined ? {} : { defaultLayout: email };
}
