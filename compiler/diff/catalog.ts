/**
 * The catalogue around workflows: routing (each channel's providers in failover order), providers,
 * preference categories and project settings (retention, frequency caps).
 */
import type { Bundle, Category, FrequencyLimit, Provider } from '../bundle/schema.ts';
import { DEFAULT_ADDRESS_GRACE_MS } from '../../runtime/engine/index.ts';
import { duration, json } from '../graph/describe.ts';
import type { Change, ItemChange, SectionDiff } from './model.ts';
import { change, diffRecords, same, sameExcept } from './records.ts';
import { arrow, byId, code, codeList } from './words.ts';

type Route = Bundle['channels'][string];

export function diffRouting(base: Bundle, head: Bundle): SectionDiff {
  return diffRecords(base.channels, head.channels, {
    summarize: (r: Route) => `→ ${codeList(r.providers)}`,
    compare: (id, a, b): ItemChange => ({
      id,
      changes: same(a.providers, b.providers)
        ? []
        : [change('providers', `failover ${arrow(codeList(a.providers), codeList(b.providers))}`, a.providers, b.providers)],
    }),
  });
}

function compareProvider(id: string, a: Provider, b: Provider): ItemChange {
  const changes: Change[] = [];
  const field = <T>(path: string, label: string, x: T, y: T, show: (v: T) => string) => {
    if (!same(x, y)) changes.push(change(path, `${label} ${arrow(show(x), show(y))}`, x, y));
  };
  const text = (v: string | undefined) => (v === undefined ? 'none' : code(v));
  field('channel', 'channel', a.channel, b.channel, text);
  field('kind', 'kind', a.kind, b.kind, text);
  field('from', 'from', a.from, b.from, text);
  for (const slot of [...new Set([...Object.keys(a.credentials), ...Object.keys(b.credentials)])].sort()) {
    // Only the names of the variables are in the bundle, never their values: renaming one needs the deploy's secrets updated.
    field(`credentials.${slot}`, `credential ${code(slot)} from`, a.credentials[slot]?.env, b.credentials[slot]?.env, (v) =>
      v === undefined ? 'none' : code(`$${v}`),
    );
  }
  for (const key of [...new Set([...Object.keys(a.options), ...Object.keys(b.options)])].sort()) {
    field(`options.${key}`, `option ${code(key)}`, a.options[key], b.options[key], (v) => (v === undefined ? 'unset' : code(json(v))));
  }
  return { id, changes };
}

export function diffProviders(base: Bundle, head: Bundle): SectionDiff {
  return diffRecords(base.providers, head.providers, {
    summarize: (p: Provider) => `${p.kind} for ${p.channel}${p.from ? ` from ${code(p.from)}` : ''}`,
    compare: compareProvider,
    isRename: (a, b) => sameExcept(a, b, 'id'),
  });
}

function compareCategory(id: string, a: Category, b: Category): ItemChange {
  const changes: Change[] = [];
  if (a.description !== b.description)
    changes.push(change('description', `description ${arrow(code(a.description), code(b.description))}`, a.description, b.description));
  if (!same(a.defaultChannels, b.defaultChannels)) {
    changes.push(
      change(
        'defaultChannels',
        `default channels ${arrow(a.defaultChannels.join(', ') || 'none', b.defaultChannels.join(', ') || 'none')}`,
        a.defaultChannels,
        b.defaultChannels,
      ),
    );
  }
  if (a.required !== b.required) {
    changes.push(change('required', b.required ? 'now required (users cannot opt out)' : 'no longer required (users can opt out)', a.required, b.required));
  }
  if ((a.marketing === true) !== (b.marketing === true)) {
    const [before, after] = [a.marketing === true, b.marketing === true];
    changes.push(change('marketing', after ? 'now marketing (held to the marketing rules)' : 'no longer marketing', before, after));
  }
  return { id, changes };
}

export function diffCategories(base: Bundle, head: Bundle): SectionDiff {
  return diffRecords(base.categories, head.categories, {
    summarize: (c: Category) => `default ${c.defaultChannels.join(', ') || 'none'}${c.required ? ' · required' : ''}${c.marketing ? ' · marketing' : ''}`,
    compare: compareCategory,
    isRename: (a, b) => sameExcept(a, b, 'id'),
  });
}

export function diffSettings(base: Bundle, head: Bundle): Change[] {
  const a = base.settings.retentionMs;
  const b = head.settings.retentionMs;
  const retention = a === b ? [] : [change('retentionMs', `retention ${arrow(duration(a), duration(b))}`, a, b)];
  return [...retention, ...diffLimits(base.settings.limits ?? [], head.settings.limits ?? []), ...diffAddressGrace(base, head)];
}

/** The address grace as it applies (absent is the engine's default): `address grace 10s → off`. */
function diffAddressGrace(base: Bundle, head: Bundle): Change[] {
  const graceOf = (b: Bundle) => b.settings.addressGrace ?? DEFAULT_ADDRESS_GRACE_MS;
  const shown = (ms: number) => (ms === 0 ? 'off' : duration(ms));
  const [a, b] = [graceOf(base), graceOf(head)];
  return a === b ? [] : [change('addressGrace', `address grace ${arrow(shown(a), shown(b))}`, a, b)];
}

/**
 * Frequency caps, one line per channel or category they count: `frequency cap on channel sms: none → 3/1d`,
 * `frequency cap on category promotions: 5/1w → 10/1w`. Not flagged: a cap only ever holds messages back.
 */
function diffLimits(base: FrequencyLimit[], head: FrequencyLimit[]): Change[] {
  const target = (l: FrequencyLimit) => (l.channel !== undefined ? `channel ${l.channel}` : `category ${l.category}`);
  const on = (limits: FrequencyLimit[], t: string) => limits.filter((l) => target(l) === t);
  const shown = (limits: FrequencyLimit[]) =>
    limits
      .map((l) => `${l.max}/${duration(l.perMs)}`)
      .sort()
      .join(', ') || 'none';
  const targets = [...new Set([...base, ...head].map(target))].sort(byId);
  return targets.flatMap((t) => {
    const [before, after] = [on(base, t), on(head, t)];
    if (shown(before) === shown(after)) return [];
    const path = `limits.${t.replace(' ', '.')}`;
    return [change(path, `frequency cap on ${t}: ${arrow(shown(before), shown(after))}`, before.length ? before : undefined, after.length ? after : undefined)];
  });
}
