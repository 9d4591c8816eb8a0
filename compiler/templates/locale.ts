/**
 * Locale codes for template variants: a syntactically valid BCP 47 tag whose language Intl knows, so that
 * `pt-BR` and `de-CH` pass while `en_US`, `xx` and `english` do not.
 */
let languages: Intl.DisplayNames | undefined;

export function isKnownLocale(code: string): boolean {
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(code)[0];
  } catch {
    return false;
  }
  if (!canonical) return false;
  const language = new Intl.Locale(canonical).language;
  languages ??= new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  try {
    return languages.of(language) !== undefined;
  } catch {
    return false;
  }
}
