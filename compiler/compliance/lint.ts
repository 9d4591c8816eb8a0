/**
 * The compliance lint over a lowered bundle: one finding per rule and template variant (or send, or category),
 * in a stable order. Pure: `herald check` turns findings into diagnostics (report.ts), `herald diff` compares
 * two bundles' findings (compiler/diff/compliance.ts).
 */
import { optOutEmailFindings, subjectFindings } from './email.ts';
import { criticalMarketingFindings, requiredMarketingFindings } from './marketing.ts';
import { findingKey, type Finding } from './rules.ts';
import { type LintInput, sendSites } from './sites.ts';
import { optOutSmsFindings, segmentFindings, smsWindowFindings } from './sms.ts';

export function lintBundle(bundle: LintInput): Finding[] {
  const found: Finding[] = [];
  const brand = bundle.settings.brand;
  const templateOf = (id: string) => (Object.hasOwn(bundle.templates, id) ? bundle.templates[id] : undefined);

  for (const id of Object.keys(bundle.categories).sort()) found.push(...requiredMarketingFindings(bundle.categories[id]!));
  for (const site of sendSites(bundle)) {
    const template = templateOf(site.template);
    found.push(...criticalMarketingFindings(site));
    if (!template || !site.category) continue;
    if (site.channels.includes('email') && template.content.email && !site.category.required) found.push(...optOutEmailFindings(template, site, brand));
    if (site.channels.includes('sms') && template.content.sms && site.category.marketing === true) {
      found.push(...optOutSmsFindings(template, site), ...smsWindowFindings(site));
    }
  }
  // Lengths hold for every template, sent by a workflow or only by the API (Courier-style sends).
  for (const id of Object.keys(bundle.templates).sort()) found.push(...subjectFindings(bundle.templates[id]!), ...segmentFindings(bundle.templates[id]!));

  // A template sent by several steps of the same category is one problem, reported for its first send.
  const seen = new Set<string>();
  return found.filter((f) => {
    const key = findingKey(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
