/**
 * Which locale variant of a template serves a recipient: an exact match (ignoring case and `_` vs `-`),
 * then the bare language (`pt-BR` → `pt`), then none (the default content).
 */
import type { Template } from '../../compiler/bundle/schema.ts';

const normalise = (code: string) => code.trim().replace(/_/g, '-').toLowerCase();

function languageOf(code: string): string {
  try {
    return new Intl.Locale(code).language.toLowerCase();
  } catch {
    return code.split('-')[0] ?? code;
  }
}

/** The key of `template.locales` to use for `requested`, or undefined for the default content. */
export function selectLocale(template: Pick<Template, 'locales'>, requested: string | null | undefined): string | undefined {
  if (!requested) return undefined;
  const keys = Object.keys(template.locales);
  if (keys.length === 0) return undefined;
  const wanted = normalise(requested);
  const exact = keys.find((k) => normalise(k) === wanted);
  if (exact !== undefined) return exact;
  const language = languageOf(wanted);
  return keys.find((k) => normalise(k) === language);
}
