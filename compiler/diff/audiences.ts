/**
 * Audiences in `herald diff`: added, removed, renamed (same condition, new id), and changed — the condition as a
 * reviewer reads it (`trait plan = "free" and locale starts with "fr"`), and the description. With `--reach`, the
 * CLI adds each audience's size from a database (`reach.ts`).
 */
import type { AudienceCondition, Bundle } from '../bundle/schema.ts';
import type { ItemChange, SectionDiff } from './model.ts';
import { change, diffRecords, same, sameExcept } from './records.ts';
import { arrow, code } from './words.ts';

type Audience = NonNullable<Bundle['audiences']>[string];

const WORDS: Record<string, string> = { eq: '=', ne: '≠', in: 'in', startsWith: 'starts with', gt: '>', gte: '≥', lt: '<', lte: '≤', contains: 'contains' };

/** One line for a reviewer; `and` binds tighter than `or`, so nested groups are parenthesised. */
export function describeCondition(c: AudienceCondition, nested = false): string {
  const group = (parts: string[], word: string) => (nested && parts.length > 1 ? `(${parts.join(` ${word} `)})` : parts.join(` ${word} `));
  switch (c.op) {
    case 'and':
      return c.all.length
        ? group(
            c.all.map((x) => describeCondition(x, true)),
            'and',
          )
        : 'everyone';
    case 'or':
      return c.any.length
        ? group(
            c.any.map((x) => describeCondition(x, true)),
            'or',
          )
        : 'no one';
    case 'not':
      return `not ${describeCondition(c.cond, true)}`;
    case 'trait':
    case 'field': {
      const subject = c.op === 'trait' ? `trait ${c.name}` : c.name;
      if (c.cmp === 'exists') return `${subject} is set`;
      return `${subject} ${WORDS[c.cmp]} ${JSON.stringify(c.value)}`;
    }
    case 'preference':
      return `opted ${c.allowed ? 'in to' : 'out of'} ${c.category}${c.channel ? ` on ${c.channel}` : ''}`;
    case 'inList':
      return `in list ${c.list}`;
    case 'activeWithin':
      return `active within ${c.durationMs / 3_600_000 >= 24 ? `${c.durationMs / 86_400_000}d` : `${c.durationMs / 60_000}m`}`;
  }
}

function compareAudience(id: string, a: Audience, b: Audience): ItemChange {
  const changes = [];
  if (!same(a.condition, b.condition)) {
    changes.push(
      change('condition', `condition ${arrow(code(describeCondition(a.condition)), code(describeCondition(b.condition)))}`, a.condition, b.condition),
    );
  }
  if (a.description !== b.description) {
    changes.push(
      change(
        'description',
        `description ${arrow(a.description ? code(a.description) : 'none', b.description ? code(b.description) : 'none')}`,
        a.description,
        b.description,
      ),
    );
  }
  return { id, changes };
}

export function diffAudiences(base: Bundle, head: Bundle): SectionDiff {
  return diffRecords(base.audiences ?? {}, head.audiences ?? {}, {
    summarize: (a: Audience) => code(describeCondition(a.condition)),
    compare: compareAudience,
    isRename: (a, b) => sameExcept(a, b, 'description'),
  });
}
