import { relative } from 'node:path';
import { ts } from 'ts-morph';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import type { SourceProgram } from '../load/source.ts';

/**
 * TypeScript's own errors in the notifications files, as Herald diagnostics with file:line:col. Only those files
 * are checked (their syntax and semantics): the checker still resolves every type they use, but does not check the
 * bodies of the files they import (Herald's own sources when it runs from them, a tsconfig's other files), whose
 * errors would not be reported anyway.
 */
export function typeCheck(program: SourceProgram): Diagnostic[] {
  const out: Diagnostic[] = [];
  const compiled = program.project.getProgram().compilerObject;
  for (const file of program.files) {
    const sf = compiled.getSourceFile(file.getFilePath());
    if (!sf) continue;
    for (const d of [...compiled.getSyntacticDiagnostics(sf), ...compiled.getSemanticDiagnostics(sf)]) {
      if (d.category !== ts.DiagnosticCategory.Error) continue;
      const { line, column } = file.getLineAndColumnAtPos(d.start ?? 0);
      const [first, ...rest] = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n');
      out.push(
        diagnostic(
          'ts-error',
          {
            file: relative(program.cwd, file.getFilePath()).split('\\').join('/'),
            line,
            column,
            excerpt: file.getFullText().split('\n')[line - 1]?.replace(/\r$/, '') ?? '',
          },
          `TS${d.code}: ${first}`,
          rest.length ? rest.map((l) => l.trim()).join(' ') : undefined,
        ),
      );
    }
  }
  return out;
}
