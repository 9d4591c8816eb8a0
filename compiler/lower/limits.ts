/**
 * Lowers `settings({ limits })`: frequency caps across workflows. Each names one channel or one known category,
 * a positive whole `max` and a window no longer than the retention (messages older than it are gone, so a
 * longer window would count too few). A cap on a required category is refused: those sends are never capped.
 */
import { type Bundle, CHANNELS, type Channel, type FrequencyLimit } from '../bundle/schema.ts';
import { formatDuration } from '../dsl/duration.ts';
import type { SerialLimit } from '../load/serial.ts';
import type { LowerContext } from './context.ts';
import { durationMs } from './durations.ts';

const EXAMPLE = "e.g. { channel: 'sms', max: 3, per: '1d' } or { category: promotions, max: 5, per: '1w' }";

/** The bundle's `settings.limits`, or undefined when none is set (the bundle then has no such key). */
export function lowerLimits(ctx: LowerContext, retentionMs: number, categories: Bundle['categories']): FrequencyLimit[] | undefined {
  const first = ctx.all('settings')[0];
  const limits: unknown = first?.def.limits;
  if (!first || limits === undefined) return undefined;
  const at = (path: string[]) => () => ctx.where('settings', '', first.file, ['limits', ...path]);
  if (!Array.isArray(limits)) {
    ctx.report('invalid-definition', at([])(), 'settings limits must be a list of frequency caps', EXAMPLE);
    return undefined;
  }
  const lowered = limits.flatMap((limit: unknown, index) => {
    const one = lowerLimit(ctx, limit, index, { retentionMs, categories, at: (path) => at([String(index), ...path]) });
    return one ? [one] : [];
  });
  return lowered.length > 0 ? lowered : undefined;
}

interface Scope {
  retentionMs: number;
  categories: Bundle['categories'];
  at: (path: string[]) => () => ReturnType<LowerContext['where']>;
}

function lowerLimit(ctx: LowerContext, limit: unknown, index: number, scope: Scope): FrequencyLimit | null {
  const name = `settings limits[${index}]`;
  if (typeof limit !== 'object' || limit === null) {
    ctx.report('invalid-definition', scope.at([])(), `${name} is not a frequency cap`, EXAMPLE);
    return null;
  }
  const { channel, category, max, per } = limit as Partial<SerialLimit>;
  if ((channel === undefined) === (category === undefined)) {
    ctx.report(
      'invalid-definition',
      scope.at([])(),
      `${name} names ${channel === undefined ? 'neither a channel nor a category' : 'both a channel and a category'}: a cap counts one or the other`,
      channel === undefined ? EXAMPLE : 'write two caps, one for the channel and one for the category',
    );
    return null;
  }
  let ok = true;
  if (channel !== undefined && !(CHANNELS as readonly string[]).includes(channel)) {
    ctx.report('invalid-definition', scope.at(['channel'])(), `${name} caps unknown channel "${channel}"`, `channels are ${CHANNELS.join(', ')}`);
    ok = false;
  }
  if (category !== undefined) ok = checkCategory(ctx, name, String(category), scope) && ok;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
    ctx.report('invalid-definition', scope.at(['max'])(), `${name}: max must be a whole number of messages, at least 1 (got ${JSON.stringify(max)})`, EXAMPLE);
    ok = false;
  }
  const reported = ctx.diagnostics.length;
  const perMs = durationMs(ctx, per, scope.at(['per']));
  if (perMs === 0 && ctx.diagnostics.length === reported) {
    ctx.report('invalid-definition', scope.at(['per'])(), `${name}: a window of ${JSON.stringify(per)} counts nothing`, EXAMPLE);
  }
  if (perMs > scope.retentionMs) {
    ctx.report(
      'exceeds-retention',
      scope.at(['per'])(),
      `${name} counts sends over ${formatDuration(perMs)}, longer than the retention of ${formatDuration(scope.retentionMs)}: older messages are gone, so the count would be too low`,
      `count over at most '${formatDuration(scope.retentionMs)}', or raise settings({ retention }) to at least '${formatDuration(perMs)}'`,
    );
    ok = false;
  }
  if (!ok || perMs === 0 || typeof max !== 'number') return null;
  return { ...(channel === undefined ? {} : { channel: channel as Channel }), ...(category === undefined ? {} : { category: String(category) }), max, perMs };
}

function checkCategory(ctx: LowerContext, name: string, category: string, scope: Scope): boolean {
  const known = Object.hasOwn(scope.categories, category) ? scope.categories[category] : undefined;
  if (!known) {
    ctx.report(
      'unknown-reference',
      scope.at(['category'])(),
      `${name} caps unknown category "${category}"`,
      ctx.suggest(category, Object.keys(scope.categories), 'category'),
    );
    return false;
  }
  if (known.required) {
    ctx.report(
      'cap-never-applies',
      scope.at(['category'])(),
      `${name} caps category "${category}", which is required: its sends are never capped, so this cap could never apply`,
      'remove it: required categories (receipts, security codes) always go out; to bound how many messages a user gets on a channel, cap the channel',
    );
    return false;
  }
  return true;
}
