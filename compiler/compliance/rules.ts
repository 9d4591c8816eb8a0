/**
 * The compliance rules: each cites what it enforces, so a finding reads as the law or standard it comes from.
 * The code is the diagnostic code (compiler/diagnostics/codes.ts) and the key `herald diff` compares.
 */
export const COMPLIANCE_RULES = {
  'compliance-unsubscribe': 'CAN-SPAM §7704(a)(3), (a)(5)(A)(ii)',
  'compliance-postal-address': 'CAN-SPAM §7704(a)(5)(A)(iii)',
  'compliance-sms-opt-out': 'CTIA Messaging Principles and Best Practices (opt-out)',
  'compliance-sms-window': 'TCPA 47 CFR §64.1200(c)(1)',
  'compliance-marketing-required': 'CAN-SPAM 16 CFR §316.3 (primary purpose)',
  'compliance-subject-length': 'RFC 5322 §2.1.1',
  'compliance-sms-segments': '3GPP TS 23.040 (concatenated SMS)',
} as const;

export type ComplianceRule = keyof typeof COMPLIANCE_RULES;

/** Where a finding is: a template's field (per locale), a send step, or a category's definition. */
export type FindingSubject =
  | { kind: 'template'; id: string; locale?: string; path: readonly string[] }
  | { kind: 'step'; workflow: string; step: string; path: readonly string[] }
  | { kind: 'category'; id: string; path: readonly string[] };

export interface Finding {
  rule: ComplianceRule;
  subject: FindingSubject;
  /** Starts with the rule's citation: "CAN-SPAM §7704(a)(5)(A)(iii): …". */
  message: string;
  hint: string;
}

export function finding(rule: ComplianceRule, subject: FindingSubject, message: string, hint: string): Finding {
  return { rule, subject, message: `${COMPLIANCE_RULES[rule]}: ${message}`, hint };
}

/**
 * What stays the same while a violation persists (not the measured length, which may change): `herald diff`
 * calls a finding new when its key is not among the base's.
 */
export function findingKey(f: Finding): string {
  const s = f.subject;
  const where =
    s.kind === 'template' ? `template ${s.id} ${s.locale ?? ''} ${s.path[0] ?? ''}` : s.kind === 'step' ? `step ${s.workflow} ${s.step}` : `category ${s.id}`;
  return `${f.rule} ${where}`;
}
