import type { DiagnosticCode } from './codes.ts';

/** One problem found in the user's files: what, where (file:line:col and the source line), how to fix. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  message: string;
  /** Path relative to the working directory, forward slashes. */
  file: string;
  line: number;
  column: number;
  /** The source line the problem is on. */
  excerpt: string;
  hint?: string;
}

/** Where something is in a source file (1-based line and column). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  excerpt: string;
}

export function diagnostic(code: DiagnosticCode, at: SourceLocation, message: string, hint?: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  return { code, severity, message, ...at, ...(hint === undefined ? {} : { hint }) };
}

/** Stable order for output: by file, line, column, then code. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}
