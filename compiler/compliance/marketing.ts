/**
 * What users cannot opt out of must not sell: a `required` category, or a `critical` send (which ignores
 * preferences), in a marketing category would carry marketing to people who said no, under a transactional label.
 */
import type { Category } from '../bundle/schema.ts';
import { finding, type Finding } from './rules.ts';
import { describeSite, type SendSite } from './sites.ts';

export function requiredMarketingFindings(category: Category): Finding[] {
  if (!category.required || category.marketing !== true) return [];
  return [
    finding(
      'compliance-marketing-required',
      { kind: 'category', id: category.id, path: ['marketing'] },
      `category "${category.id}" is both required (users cannot opt out) and marketing`,
      'split it: keep receipts and codes in a required category, and send offers in a marketing category users can leave',
    ),
  ];
}

export function criticalMarketingFindings(site: SendSite): Finding[] {
  if (!site.critical || site.category?.marketing !== true) return [];
  return [
    finding(
      'compliance-marketing-required',
      { kind: 'step', workflow: site.workflow, step: site.step, path: ['critical'] },
      `${describeSite(site)} is critical (it ignores preferences) in marketing category "${site.category.id}"`,
      'drop `critical`, or move the workflow to a required, non-marketing category if the message is transactional',
    ),
  ];
}
