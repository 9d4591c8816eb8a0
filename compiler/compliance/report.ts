/**
 * The compliance lint in `herald check` / `herald build`: each finding becomes a diagnostic at the field that
 * causes it (a template's field, per locale; a send's window; a category's `marketing`), a warning, or an error
 * under `settings({ compliance: 'strict' })`.
 */
import { broadcastIdOf } from '../bundle/broadcasts.ts';
import type { SourceLocation } from '../diagnostics/diagnostic.ts';
import type { LowerContext } from '../lower/context.ts';
import { lintBundle } from './lint.ts';
import type { FindingSubject } from './rules.ts';
import type { LintInput } from './sites.ts';

export function reportCompliance(ctx: LowerContext, bundle: LintInput): void {
  const strict = ctx.all('settings').some(({ def }) => def.compliance === 'strict');
  for (const f of lintBundle(bundle)) ctx.report(f.rule, locate(ctx, f.subject), f.message, f.hint, strict ? 'error' : 'warning');
}

function locate(ctx: LowerContext, subject: FindingSubject): SourceLocation {
  const fileOf = (kind: 'template' | 'category' | 'workflow' | 'broadcast', id: string) =>
    ctx.all(kind).find(({ def }) => ('id' in def ? def.id : undefined) === id)?.file ?? '';
  switch (subject.kind) {
    case 'template': {
      const path = subject.locale === undefined ? subject.path : ['locales', subject.locale, ...subject.path];
      return ctx.where('template', subject.id, fileOf('template', subject.id), path);
    }
    case 'category':
      return ctx.where('category', subject.id, fileOf('category', subject.id), subject.path);
    case 'step': {
      const broadcast = broadcastIdOf(subject.workflow);
      const file = broadcast === undefined ? fileOf('workflow', subject.workflow) : fileOf('broadcast', broadcast);
      return ctx.whereStep(subject.workflow, subject.step, file, subject.path);
    }
  }
}
