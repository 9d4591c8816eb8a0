/**
 * The bundle must depend only on the sources: a notifications file may not read the clock, randomness, the
 * environment, the network or the filesystem, and may import only `herald` and its sibling files.
 */
import { Node, ts } from 'ts-morph';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.ts';
import { locationOf, type SourceProgram } from '../load/source.ts';

const FORBIDDEN_ACCESS: Record<string, string> = {
  'Date.now': 'reads the clock',
  'Math.random': 'is random',
  'performance.now': 'reads the clock',
  'crypto.randomUUID': 'is random',
  'crypto.getRandomValues': 'is random',
};
const FORBIDDEN_CALLS: Record<string, string> = { fetch: 'reaches the network', require: 'loads code at run time' };

const ENV_HINT = "credentials belong in provider({ credentials: { apiKey: env('NAME') } }); the runtime reads the value where it runs";

export function checkDeterminism(program: SourceProgram): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const sf of program.files) {
    for (const decl of sf.getImportDeclarations()) {
      const spec = decl.getModuleSpecifierValue();
      if (spec === 'herald' || spec.startsWith('./') || spec.startsWith('../')) continue;
      out.push(
        diagnostic(
          'import-not-allowed',
          locationOf(decl.getModuleSpecifier(), program.cwd),
          `import of "${spec}" is not allowed in notifications: the bundle must depend only on these sources`,
          "import the DSL from 'herald' (it re-exports z from zod) and share code through sibling files",
        ),
      );
    }
    sf.forEachDescendant((node) => {
      if (Node.isPropertyAccessExpression(node)) {
        const text = node.getText().replace(/^globalThis\./, '');
        const why = FORBIDDEN_ACCESS[text];
        if (why) {
          out.push(
            diagnostic(
              'non-deterministic',
              locationOf(node, program.cwd),
              `${text} ${why}: a build would depend on when or where it runs`,
              'use fixed values; time-dependent behaviour belongs in steps (delay, waitFor, window)',
            ),
          );
        } else if (/^process\.env\b/.test(text) && !Node.isPropertyAccessExpression(node.getParent())) {
          out.push(diagnostic('non-deterministic', locationOf(node, program.cwd), `${text} reads the build machine's environment`, ENV_HINT));
        }
      } else if (Node.isElementAccessExpression(node) && /^process\.env\b/.test(node.getExpression().getText())) {
        out.push(diagnostic('non-deterministic', locationOf(node, program.cwd), `${node.getText()} reads the build machine's environment`, ENV_HINT));
      } else if (Node.isNewExpression(node) && node.getExpression().getText() === 'Date' && node.getArguments().length === 0) {
        out.push(
          diagnostic(
            'non-deterministic',
            locationOf(node, program.cwd),
            'new Date() reads the clock: a build would depend on when it runs',
            'pass a fixed date string, or express the timing as a step',
          ),
        );
      } else if (Node.isCallExpression(node)) {
        const callee = node.getExpression();
        const name = Node.isIdentifier(callee) ? callee.getText() : undefined;
        if (name && FORBIDDEN_CALLS[name]) {
          out.push(
            diagnostic('non-deterministic', locationOf(node, program.cwd), `${name}() ${FORBIDDEN_CALLS[name]}`, 'notifications files hold definitions only'),
          );
        } else if (callee.getKind() === ts.SyntaxKind.ImportKeyword) {
          out.push(
            diagnostic(
              'import-not-allowed',
              locationOf(node, program.cwd),
              'dynamic import() is not allowed in notifications',
              'use a static import of a sibling file',
            ),
          );
        }
      }
      return undefined;
    });
  }
  return out;
}
