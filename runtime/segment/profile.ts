/**
 * An identify call as a Herald profile patch. Traits Herald has a column for go to it (`email`, `phone` →
 * `phone_number`); every other trait (`first_name`, `plan`, `company`…) is merged into `traits` under the
 * name it was sent with, so templates read `{{user.traits.first_name}}`. The device's `context` gives the
 * time zone, the locale and a push token.
 *
 * An email or phone that is not one is refused (the sender's data is wrong, and a profile must not hold an
 * address no provider will take); a context field that is unusable is only skipped (the device reported it,
 * not the sender).
 */
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import { isValidTimeZone } from '../../compiler/bundle/window.ts';
import type { ProfilePatch } from '../db/sql.ts';
import { emailAddress, PHONE_PATTERN } from '../http/contact.ts';
import type { SegmentContext } from './schema.ts';

/** Refused calls: the reason goes back to the sender (400, or the batch's rejected list). */
export class SegmentRejection extends Error {}

/** The same rules as `PUT /v1/users/:id` (runtime/http/contact.ts). */
const emailSchema = emailAddress;
const PHONE = PHONE_PATTERN;

/** The traits that go to the profile's contact columns (where Herald sends), not to `traits`. */
export const CONTACT_TRAITS: readonly string[] = ['email', 'phone', 'phone_number'];

/** The traits that are not contact fields, as sent (a null-prototype map: the names are the sender's). */
export function otherTraits(traits: Record<string, JsonValue>): Record<string, JsonValue> {
  const kept: Record<string, JsonValue> = Object.create(null);
  for (const [name, value] of Object.entries(traits)) if (!CONTACT_TRAITS.includes(name)) kept[name] = value;
  return kept;
}

export interface IdentifyPatch {
  patch: ProfilePatch;
  /** Added to the profile's tokens, never replacing them: one person has several devices. */
  pushToken: string | null;
}

function contactField(traits: Record<string, JsonValue>, name: string, valid: (v: string) => boolean, what: string): string | null | undefined {
  if (!(name in traits)) return undefined;
  const value = traits[name];
  if (value === null || value === '') return null;
  if (typeof value !== 'string' || !valid(value.trim())) throw new SegmentRejection(`traits.${name}: ${JSON.stringify(value)} is not ${what}`);
  return value.trim();
}

export function identifyPatch(traits: Record<string, JsonValue>, context: SegmentContext | undefined): IdentifyPatch {
  const rest = otherTraits(traits);
  const patch: ProfilePatch = {};
  const email = contactField(traits, 'email', (v) => emailSchema.safeParse(v).success, 'an email address');
  if (email !== undefined) patch.email = email;
  // Segment's reserved trait is `phone`; `phone_number` (Herald's own name) is taken when `phone` is absent.
  const phone = contactField(traits, 'phone' in traits ? 'phone' : 'phone_number', (v) => PHONE.test(v), 'a phone number (E.164, e.g. +14155550100)');
  if (phone !== undefined) patch.phone_number = phone;
  if (Object.keys(rest).length > 0) patch.traits = rest;
  if (context?.timezone && isValidTimeZone(context.timezone)) patch.timezone = context.timezone;
  if (context?.locale && /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/.test(context.locale)) patch.locale = context.locale.replace(/_/g, '-');
  return { patch, pushToken: context?.device?.token ?? null };
}
