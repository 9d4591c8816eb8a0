/**
 * What Herald takes as an email address or a phone number, wherever a profile or a recipient carries one
 * (`PUT /v1/users/:id`, a trigger's `to`, Courier's recipients and profiles, Segment's identify). An address
 * ends up in a provider's `To`, so anything else (a display name, a list, a line break) is refused at the door.
 */
import { z } from 'zod';

/** RFC 5321's limits: 64 characters before the @, 254 in all. */
export const emailAddress = z
  .email()
  .max(254)
  .refine((address) => address.lastIndexOf('@') <= 64, 'the part before the @ is longer than 64 characters');

export const PHONE_PATTERN = /^\+?[0-9 ()-]{5,20}$/;
export const phoneNumber = z.string().regex(PHONE_PATTERN, 'a phone number in E.164 form, e.g. +14155550100');
