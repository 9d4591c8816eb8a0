/**
 * Every diagnostic the compiler can report, in one place. The code is stable (tools and docs key on it);
 * the summary says what it means.
 */
export const DIAGNOSTIC_CODES = {
  'ts-error': 'TypeScript reports an error in a notifications file',
  'evaluate-error': 'a notifications file threw while being evaluated',
  'non-deterministic': 'a file reads the clock, randomness, the environment, the network or the filesystem',
  'import-not-allowed': "a file imports something other than 'herald' or a sibling file",
  'invalid-definition': "a definition does not match the bundle's schema (wrong field, type or value)",
  'invalid-duration': "a duration string is not of the form '45s', '30m', '2h', '7d'",
  'invalid-schema': 'an event schema cannot be represented in the bundle (e.g. uses a transform)',
  'duplicate-id': 'two definitions of the same kind share an id, or two steps of a workflow share an id',
  'unknown-reference': 'a workflow, template or routing names an event, template, step, provider or category that does not exist',
  'template-parse': 'a template does not parse as Handlebars',
  'template-unknown-variable': "a template uses a variable that is neither in its event's schema nor in the user profile",
  'template-unknown-helper': 'a template calls a helper Herald does not provide',
  'mjml-error':
    "an email's mjml body is not valid MJML (an unknown element, one in the wrong parent, an illegal attribute or value, or no <mjml> document); nothing is compiled until it is fixed",
  'circular-partial': 'partials include each other in a circle ({{> a}} in b, {{> b}} in a), so they could never be expanded',
  'template-event-mismatch': "a send uses a template written for another event than the workflow's trigger",
  'template-reads-data': 'a broadcast sends a template that reads fields of trigger data, which a broadcast does not have',
  'unknown-locale': 'a template variant names a locale code that is not a known language',
  'missing-channel-content': 'a send uses a channel for which its template has no content',
  'no-provider': 'a send uses a channel that no provider serves',
  'bad-step-reference': 'a waitFor or engaged() names a step that is not an earlier send of the same path',
  'bad-match':
    "a keyed wait or cancel's match names a field that its event or the trigger does not have, pairs fields of types that can never be equal, or is on a scheduled workflow",
  'bad-until':
    "a delay's until names something other than a date-time field of the trigger's data (z.iso.datetime(), JSON Schema format date-time) or a user trait",
  'unreachable-step': 'a step can never run (after a cancel, or after an otherwise arm)',
  'exceeds-retention': 'a wait or digest could outlive the data retention, or a frequency cap counts over a longer window than it',
  'window-never-opens': 'a send window can never open, or is malformed',
  'critical-not-required': 'a critical send is in a workflow whose category is not required',
  'cap-never-applies': 'a frequency cap (settings limits) is on a required category, whose sends are never capped',
  'insecure-endpoint':
    "a provider's options.apiUrl is not https: an error, except plain http to a loopback address (localhost, 127.0.0.1, [::1]), which is a warning (development only)",
  'bad-audience':
    "an audience's condition names a trait not in settings traits, a profile field or category that does not exist, or an operator or value its type cannot meet (a prefix of a number, an order on an email)",
  'compliance-unsubscribe':
    'an email sent in a category users can opt out of (not required) has no {{unsubscribe_url}} or {{preferences_url}} link (CAN-SPAM); a warning, an error under settings compliance strict',
  'compliance-postal-address':
    "an email sent in a category users can opt out of has no postal address ({{brand.postalAddress}} or the brand's address written out; CAN-SPAM); warning, or error when strict",
  'compliance-sms-opt-out': 'an SMS sent in a marketing category does not say how to opt out ("Reply STOP"); warning, or error when strict',
  'compliance-sms-window':
    "an SMS sent in a marketing category has no send window in the recipient's time zone inside 08:00-21:00 (TCPA); warning, or error when strict",
  'compliance-marketing-required': 'a required category, or a critical send, is in a marketing category; warning, or error when strict',
  'compliance-subject-length': 'an email subject is over 78 characters (variables counted as written); warning, or error when strict',
  'compliance-sms-segments': 'an SMS is over 3 segments (GSM-7 160/153, UCS-2 70/67; variables counted as written); warning, or error when strict',
  'bad-fetch':
    "a fetch step's url is not https (or reads a field the trigger does not have), a header is neither text nor env('NAME'), its timeout or onError is out of range, or s.fetched() / {{fetched.…}} names a fetch that does not run before it or a field its response does not have",
  'empty-project': 'the notifications folder holds no definitions',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
