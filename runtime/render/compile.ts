/**
 * Compiled templates, cached so that rendering at high throughput is a function call, not a parse. The
 * Handlebars environment is private (helpers registered here do not leak into any other user of the
 * package) and holds exactly the helpers the compiler checks against.
 */
import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';
import { registerHelpers } from '../../compiler/bundle/template-helpers.ts';

export type Compiled = Handlebars.TemplateDelegate;

const hb = Handlebars.create();
registerHelpers(hb);
// `log` writes to the process's console: not something template content should be able to do.
hb.unregisterHelper('log');

/** Bounded, least-recently-used: many bundle versions may be loaded over a process's life. */
const MAX_ENTRIES = 10_000;
const cache = new Map<string, Compiled>();

export interface CompileKey {
  templateId: string;
  /** `email.subject`, `push.data.deep_link`, … */
  field: string;
  /** The locale variant the source came from, '' for the default content. */
  locale: string;
  /** HTML fields escape values; every other field is plain text. */
  html: boolean;
}

export function compiledTemplate(key: CompileKey, source: string): Compiled {
  const hash = createHash('sha256').update(source).digest('base64url');
  const id = `${key.templateId}\0${key.field}\0${key.locale}\0${key.html ? 'h' : 't'}\0${hash}`;
  const hit = cache.get(id);
  if (hit) {
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  const compiled = hb.compile(source, { noEscape: !key.html, strict: false });
  cache.set(id, compiled);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return compiled;
}

/** For tests and metrics. */
export function compiledCacheSize(): number {
  return cache.size;
}
