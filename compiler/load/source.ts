/**
 * The notifications sources as a ts-morph program: type-checking, and the index that turns a definition's id
 * into the file:line:col of the builder call that made it (and of its fields), so that every diagnostic points
 * at the line to change.
 */
import { relative } from 'node:path';
import { Node, Project, ts, type CallExpression, type SourceFile } from 'ts-morph';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import { runsFromSource, SOURCE_CONDITION } from '../installation.ts';

export const TOP_BUILDERS = [
  'event',
  'template',
  'workflow',
  'broadcast',
  'audience',
  'provider',
  'channel',
  'category',
  'settings',
  'layout',
  'partial',
  'brand',
] as const;
const STEP_BUILDERS = new Set(['send', 'delay', 'waitFor', 'branch', 'digest', 'throttle', 'updateProfile', 'cancel', 'fetch']);

export interface SourceProgram {
  project: Project;
  files: SourceFile[];
  cwd: string;
}

export function openProgram(files: string[], cwd: string, tsconfig?: string): SourceProgram {
  const project = tsconfig
    ? new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true })
    : new Project({
        compilerOptions: {
          strict: true,
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          allowImportingTsExtensions: true,
          noEmit: true,
          skipLibCheck: true,
          // `herald` resolves to this repository's sources here, to the package's .d.ts where it is installed.
          ...(runsFromSource ? { customConditions: [SOURCE_CONDITION] } : {}),
        },
      });
  const sources = files.map((f) => project.addSourceFileAtPath(f));
  project.resolveSourceFileDependencies();
  return { project, files: sources, cwd };
}

export function locationOf(node: Node, cwd: string): SourceLocation {
  const sf = node.getSourceFile();
  const { line, column } = sf.getLineAndColumnAtPos(node.getStart());
  return {
    file: relative(cwd, sf.getFilePath()).split('\\').join('/'),
    line,
    column,
    excerpt: sf.getFullText().split('\n')[line - 1]?.replace(/\r$/, '') ?? '',
  };
}

/** The name a call is made by: `event(...)` → `event`, `s.send(...)` → `send`, `h.template(...)` → `template`. */
function calleeName(call: CallExpression): string | undefined {
  const callee = call.getExpression();
  if (Node.isIdentifier(callee)) return callee.getText();
  if (Node.isPropertyAccessExpression(callee)) return callee.getName();
  return undefined;
}

function firstStringArg(call: CallExpression): string | undefined {
  const arg = call.getArguments()[0];
  return arg && (Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg)) ? arg.getLiteralValue() : undefined;
}

/** Finds builder calls by id, and fields inside their option objects. */
export interface Locator {
  /** The call that defines `kind` `id` (e.g. `template`, `onboarding-welcome`), preferring `file` when given. */
  definition(kind: string, id: string, file?: string): CallExpression | undefined;
  /** Every call that defines `kind` `id`, in file order. */
  definitions(kind: string, id: string): CallExpression[];
  /** The `s.<kind>('stepId', …)` call inside workflow `workflowId`. */
  step(workflowId: string, stepId: string): CallExpression | undefined;
  /** All step calls with that id inside the workflow (for duplicates). */
  steps(workflowId: string, stepId: string): CallExpression[];
  /** Descends through object-literal properties (and array elements, by index) of the call's arguments; returns the deepest node found. */
  field(call: CallExpression, path: readonly string[]): Node;
  readonly cwd: string;
  /** The location of a node, or of the first line of `fallbackFile` when nothing was found. */
  at(node: Node | undefined, fallbackFile: string): SourceLocation;
}

export function buildLocator(program: SourceProgram): Locator {
  const defs = new Map<string, CallExpression[]>();
  const stepCalls = new Map<string, CallExpression[]>();
  // Files the notifications import from outside their folder define things too; the DSL itself does not.
  const indexed = program.project
    .getSourceFiles()
    .filter((sf) => !sf.isInNodeModules() && !sf.isDeclarationFile() && !sf.getFilePath().includes('/compiler/dsl/'))
    .sort((a, b) => a.getFilePath().localeCompare(b.getFilePath()));
  for (const sf of indexed) {
    for (const call of sf.getDescendantsOfKind(ts.SyntaxKind.CallExpression)) {
      const name = calleeName(call);
      // `settings({ … })` has no id: there is one per tree, found by its file.
      const id = firstStringArg(call) ?? (name === 'settings' ? '' : undefined);
      if (!name || id === undefined) continue;
      if ((TOP_BUILDERS as readonly string[]).includes(name) && Node.isIdentifier(call.getExpression())) {
        const key = `${name}\0${id}`;
        defs.set(key, [...(defs.get(key) ?? []), call]);
      } else if (STEP_BUILDERS.has(name) && Node.isPropertyAccessExpression(call.getExpression())) {
        // Steps live in a workflow or a broadcast; a broadcast's are keyed by its runs' workflow id (`broadcast:<id>`).
        const wf = call.getFirstAncestor(
          (a) => Node.isCallExpression(a) && (calleeName(a) === 'workflow' || calleeName(a) === 'broadcast') && firstStringArg(a) !== undefined,
        ) as CallExpression | undefined;
        if (!wf) continue;
        const owner = calleeName(wf) === 'broadcast' ? `broadcast:${firstStringArg(wf)}` : firstStringArg(wf);
        const key = `${owner}\0${id}`;
        stepCalls.set(key, [...(stepCalls.get(key) ?? []), call]);
      }
    }
  }
  const rel = (sf: SourceFile) => relative(program.cwd, sf.getFilePath()).split('\\').join('/');
  return {
    cwd: program.cwd,
    definition(kind, id, file) {
      const calls = defs.get(`${kind}\0${id}`) ?? [];
      return calls.find((c) => file !== undefined && rel(c.getSourceFile()) === file) ?? calls[0];
    },
    definitions: (kind, id) => defs.get(`${kind}\0${id}`) ?? [],
    step: (workflowId, stepId) => stepCalls.get(`${workflowId}\0${stepId}`)?.[0],
    steps: (workflowId, stepId) => stepCalls.get(`${workflowId}\0${stepId}`) ?? [],
    field(call, path) {
      let current: Node = call;
      let objects = call.getArguments().filter(Node.isObjectLiteralExpression);
      for (const key of path) {
        // A number steps into an array literal: `['limits', '1', 'max']`.
        if (Node.isArrayLiteralExpression(current) && /^\d+$/.test(key)) {
          const element = current.getElements()[Number(key)];
          if (!element) break;
          current = element;
          objects = Node.isObjectLiteralExpression(element) ? [element] : [];
          continue;
        }
        const prop = objects.map((o) => o.getProperty(key)).find((p) => p !== undefined);
        if (!prop) break;
        current = prop;
        const init = Node.isPropertyAssignment(prop) ? prop.getInitializer() : undefined;
        if (!init) break;
        current = init;
        objects = Node.isObjectLiteralExpression(init) ? [init] : [];
      }
      return current;
    },
    at(node, fallbackFile) {
      if (node) return locationOf(node, program.cwd);
      const sf = program.files.find((f) => rel(f) === fallbackFile);
      return { file: fallbackFile, line: 1, column: 1, excerpt: sf?.getFullText().split('\n')[0] ?? '' };
    },
  };
}

/** Position of a (line, column) inside a string literal node, in file coordinates. */
export function positionInLiteral(node: Node, line: number, column: number, cwd: string): SourceLocation {
  const base = locationOf(node, cwd);
  const isLiteral = Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node);
  if (!isLiteral) return base;
  const fileLine = base.line + line - 1;
  const col = line === 1 ? base.column + 1 + (column - 1) : column;
  const excerpt = node.getSourceFile().getFullText().split('\n')[fileLine - 1]?.replace(/\r$/, '') ?? base.excerpt;
  return { file: base.file, line: fileLine, column: col, excerpt };
}
