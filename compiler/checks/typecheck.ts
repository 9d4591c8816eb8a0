import { relative } from 'node:path';
import { ts } from 'ts-morph';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import type { SourceProgram } from '../load/source.ts';

/** TypeScript's own errors in the notifications files, as Herald diagnostics with file:line:col. */
export function typeCheck(program: SourceProgram): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ours = new Set(program.files.map((f) => f.getFilePath()));
  for (const d of program.project.getPreEmitDiagnostics()) {
    const sf = d.getSourceFile();
    if (d.getCategory() !== ts.DiagnosticCategory.Error || !sf || !ours.has(sf.getFilePath())) continue;
    const start = d.getStart() ?? 0;
    const { line, column } = sf.getLineAndColumnAtPos(start);
    const text = ts.flattenDiagnosticMessageText(d.getMessageText() as string | ts.DiagnosticMessageChain, '\n');
    const [first, ...rest] = text.split('\n');
    out.push(
      diagnostic(
        'ts-error',
        {
          file: relative(program.cwd, sf.getFilePath()).split('\\').join('/'),
          line,
          column,
          excerpt: sf.getFullText().split('\n')[line - 1]?.replace(/\r$/, '') ?? '',
        },
        `TS${d.getCode()}: ${first}`,
        rest.length ? rest.map((l) => l.trim()).join(' ') : undefined,
      ),
    );
  }
  return out;
}
