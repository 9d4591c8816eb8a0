/** A problem found in one template string; line and column are 1-based, within that string. */
export interface TemplateProblem {
  code: 'template-parse' | 'template-unknown-variable' | 'template-unknown-helper';
  message: string;
  hint?: string;
  line: number;
  column: number;
  /** The variable as written (`user.emial`, `../title`), for unknown-variable problems. */
  variable?: string;
}
