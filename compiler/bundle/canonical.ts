/**
 * Canonical JSON: object keys sorted, no insignificant whitespace differences, `undefined` dropped.
 * The bundle's bytes and its version hash depend only on its content, never on authoring order.
 */
import { createHash } from 'node:crypto';
import { FORMAT_VERSION, type Bundle, type BundleContent } from './schema.ts';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Pretty, stable JSON (two-space indent, sorted keys, trailing newline) so diffs of bundles read well. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

export function contentVersion(content: BundleContent): string {
  const hex = createHash('sha256')
    .update(JSON.stringify(sortKeys(content)))
    .digest('hex');
  return `sha256:${hex}`;
}

/** Stamps the content with its format and hash; the result is what `herald build` writes. */
export function sealBundle(content: Omit<BundleContent, 'formatVersion'>): Bundle {
  const full: BundleContent = { ...content, formatVersion: FORMAT_VERSION };
  return { ...full, version: contentVersion(full) };
}
