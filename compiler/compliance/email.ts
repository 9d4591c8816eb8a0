/**
 * Email rules. An email that users can opt out of (sent in a category that is not `required`) must let them:
 * a `{{unsubscribe_url}}` or `{{preferences_url}}` link, and the sender's postal address (`{{brand.postalAddress}}`,
 * or the brand's address written out). Every email's subject is measured against RFC 5322's 78 characters.
 * Checked on the lowered content, where layouts and partials are already composed in.
 */
import type { Brand, Template } from '../bundle/schema.ts';
import { finding, type Finding } from './rules.ts';
import { describeSite, type SendSite } from './sites.ts';
import { variantName, variants } from './variants.ts';

const SUBJECT_MAX = 78;

/** A mustache that reads the built-in link (also `{{{…}}}`, `{{@root.…}}` inside blocks). */
const OPT_OUT_LINK = /\{\{[{&]?\s*(?:@root\.)?(?:unsubscribe_url|preferences_url)\s*\}/;
const BRAND_ADDRESS = /\{\{[{&]?\s*(?:@root\.)?brand\.postalAddress\s*\}/;

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

function hasAddress(text: string, brand: Brand | undefined): boolean {
  if (BRAND_ADDRESS.test(text)) return true;
  const literal = brand?.postalAddress;
  return typeof literal === 'string' && literal.trim() !== '' && squash(text).includes(squash(literal));
}

type Part = 'html' | 'text';

/** `site`: the first send (in reading order) that puts the template in a category users can opt out of; the message names it. */
export function optOutEmailFindings(template: Template, site: SendSite, brand: Brand | undefined): Finding[] {
  const out: Finding[] = [];
  const category = site.category!;
  const why = `is sent by email in category "${category.id}" (${describeSite(site)}), which users can opt out of`;
  for (const v of variants(template, 'email')) {
    const parts = (['html', 'text'] as const).filter((p): p is Part => typeof v.content[p] === 'string' && (v.locale === undefined || v.own.has(p)));
    if (parts.length === 0) continue;
    const name = variantName(template.id, v.locale);
    const subject = (part: Part) => ({
      kind: 'template' as const,
      id: template.id,
      ...(v.locale === undefined ? {} : { locale: v.locale }),
      path: ['email', part],
    });
    const noLink = parts.filter((p) => !OPT_OUT_LINK.test(v.content[p]!));
    if (noLink.length) {
      out.push(
        finding(
          'compliance-unsubscribe',
          subject(noLink[0]!),
          `${name} ${why}, but its ${noLink.map((p) => `email.${p}`).join(' and ')} carr${noLink.length === 1 ? 'ies' : 'y'} no unsubscribe link`,
          'add {{unsubscribe_url}} (one click, this category) or {{preferences_url}} to the email, or to its layout or a partial it uses',
        ),
      );
    }
    const noAddress = parts.filter((p) => !hasAddress(v.content[p]!, brand));
    if (noAddress.length) {
      const declared = typeof brand?.postalAddress === 'string';
      out.push(
        finding(
          'compliance-postal-address',
          subject(noAddress[0]!),
          `${name} ${why}, but its ${noAddress.map((p) => `email.${p}`).join(' and ')} carr${noAddress.length === 1 ? 'ies' : 'y'} no postal address`,
          declared
            ? 'add {{brand.postalAddress}} to the email, or to its layout or a partial it uses (e.g. a legal footer)'
            : "declare the sender's address in settings({ brand: { postalAddress: '…' } }) and add {{brand.postalAddress}} to the email or its layout",
        ),
      );
    }
  }
  return out;
}

/** Subjects longer than a header line should be: clients and gateways cut or fold them. */
export function subjectFindings(template: Template): Finding[] {
  const out: Finding[] = [];
  for (const v of variants(template, 'email')) {
    if (v.locale !== undefined && !v.own.has('subject')) continue;
    const length = [...v.content.subject].length;
    if (length <= SUBJECT_MAX) continue;
    out.push(
      finding(
        'compliance-subject-length',
        { kind: 'template', id: template.id, ...(v.locale === undefined ? {} : { locale: v.locale }), path: ['email', 'subject'] },
        `${variantName(template.id, v.locale)}: the email subject is ${length} characters (variables counted as written), over ${SUBJECT_MAX}`,
        `shorten it to ${SUBJECT_MAX} characters or fewer: longer subjects are cut off in inboxes and folded by mail servers`,
      ),
    );
  }
  return out;
}
