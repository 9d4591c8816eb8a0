/**
 * Security-relevant changes: where a provider sends the credentials and messages it is given, and which
 * secrets it reads. A changed `options.apiUrl` redirects API keys and message contents to another host; a
 * changed `kind` hands the same credentials to another SDK and API; a changed credential name makes the
 * runtime read a different secret (one the deploy must provide, and someone else may control). None of
 * these breaks a run, so they are a kind of flag of their own, for a reviewer who owns the secrets. The same
 * holds for a webhook provider's URL, and for a fetch step's URL and headers, in a workflow or a broadcast (where
 * secrets and trigger data go).
 */
import { broadcastWorkflow } from '../bundle/broadcasts.ts';
import type { Bundle, FetchStep, Provider, Step } from '../bundle/schema.ts';
import { allSteps } from '../bundle/walk.ts';
import type { RuleInput } from './breaking.ts';
import type { Flag } from './model.ts';
import { same } from './records.ts';
import { arrow, code } from './words.ts';

/** Where a provider sends what it is given: `options.apiUrl`, or a webhook provider's `options.url` (POSTed to as written). */
const ENDPOINT_OPTIONS = ['apiUrl', 'url'] as const;
const endpoint = (p: Provider, key: string = 'apiUrl') => (typeof p.options[key] === 'string' ? code(p.options[key]) : "the provider's own API");
const variable = (name: string | undefined) => (name === undefined ? 'none' : code(`$${name}`));

function flag(rule: Flag['rule'], id: string, path: string | undefined, message: string): Flag {
  return { kind: 'security', rule, section: 'providers', id, ...(path === undefined ? {} : { path }), message };
}

function changedProvider(id: string, a: Provider, b: Provider): Flag[] {
  const flags: Flag[] = [];
  for (const key of ENDPOINT_OPTIONS) {
    if (same(a.options[key], b.options[key])) continue;
    flags.push(
      flag(
        'provider-endpoint-changed',
        id,
        `options.${key}`,
        `Provider ${code(id)}: ${key === 'url' ? 'URL' : 'API endpoint'} ${arrow(endpoint(a, key), endpoint(b, key))}: its credentials and messages now go there.`,
      ),
    );
  }
  if (a.kind !== b.kind) {
    flags.push(
      flag('provider-kind-changed', id, 'kind', `Provider ${code(id)}: kind ${arrow(code(a.kind), code(b.kind))}: its credentials now go to another service.`),
    );
  }
  for (const slot of [...new Set([...Object.keys(a.credentials), ...Object.keys(b.credentials)])].sort()) {
    const [before, after] = [a.credentials[slot]?.env, b.credentials[slot]?.env];
    if (before === after) continue;
    flags.push(
      flag(
        'provider-credentials-changed',
        id,
        `credentials.${slot}`,
        `Provider ${code(id)}: credential ${code(slot)} read from ${arrow(variable(before), variable(after))}: the deploy must provide that secret, and whoever sets it controls the account.`,
      ),
    );
  }
  return flags;
}

/** A new provider with an endpoint of its own: credentials go somewhere no reviewed bundle sent them before. */
function addedProvider(head: Bundle, id: string): Flag[] {
  const p = head.providers[id]!;
  return ENDPOINT_OPTIONS.filter((key) => typeof p.options[key] === 'string').map((key) =>
    flag(
      'provider-endpoint-changed',
      id,
      undefined,
      `Provider ${code(id)} added with ${key === 'url' ? 'URL' : 'API endpoint'} ${endpoint(p, key)}: its credentials and messages go there.`,
    ),
  );
}

/** Every fetch step of a step list, branch arms included, by step id (ids are unique within a workflow). */
const fetchSteps = (steps: readonly Step[]): Map<string, FetchStep> =>
  new Map([...allSteps(steps)].flatMap((step) => (step.kind === 'fetch' ? [[step.id, step] as const] : [])));

const headerOf = (step: FetchStep, name: string) => (step.headers && Object.hasOwn(step.headers, name) ? step.headers[name] : undefined);

/** A header as the diff shows it: the literal, or the variable it reads (a secret's name, never its value). */
const headerText = (header: NonNullable<FetchStep['headers']>[string] | undefined) =>
  header === undefined ? 'none' : 'env' in header ? variable(header.env) : code(header.value);

/**
 * Fetch steps added, or whose URL or headers changed, in a workflow or a broadcast: a fetch sends the headers it names
 * (secrets read from the environment) and trigger data in its URL to the host it names, so a new host or a new secret
 * is for the reviewer who owns the secrets, as a provider's endpoint is.
 */
function fetchFlags({ diff, base, head }: RuleInput): Flag[] {
  const touched = (section: { added: { id: string }[]; changed: { id: string }[] }) => [...section.added, ...section.changed].map(({ id }) => id);
  const broadcastSteps = (bundle: Bundle, id: string) => {
    const broadcast = bundle.broadcasts && Object.hasOwn(bundle.broadcasts, id) ? bundle.broadcasts[id] : undefined;
    return broadcast ? broadcastWorkflow(broadcast).steps : [];
  };
  return [
    ...touched(diff.workflows).flatMap((id) =>
      changedFetches('workflows', `Workflow ${code(id)}`, id, base.workflows[id]?.steps ?? [], head.workflows[id]!.steps),
    ),
    ...touched(diff.broadcasts).flatMap((id) => changedFetches('broadcasts', `Broadcast ${code(id)}`, id, broadcastSteps(base, id), broadcastSteps(head, id))),
  ];
}

function changedFetches(section: 'workflows' | 'broadcasts', owner: string, id: string, baseSteps: readonly Step[], headSteps: readonly Step[]): Flag[] {
  const flags: Flag[] = [];
  const before = fetchSteps(baseSteps);
  for (const [stepId, step] of fetchSteps(headSteps)) {
    const old = before.get(stepId);
    const at = (path: string, message: string) =>
      flags.push({ kind: 'security', rule: 'fetch-request-changed', section, id, path: `steps.${stepId}.${path}`, message });
    const where = `${owner}, fetch ${code(stepId)}`;
    if (!old) {
      const secrets = Object.values(step.headers ?? {}).flatMap((h) => ('env' in h ? [variable(h.env)] : []));
      at('url', `${where} added: GET ${code(step.url)}${secrets.length ? `, sending ${secrets.join(', ')}` : ''}: trigger data and these headers go there.`);
      continue;
    }
    if (old.url !== step.url) at('url', `${where}: URL ${arrow(code(old.url), code(step.url))}: its headers and trigger data now go there.`);
    for (const name of [...new Set([...Object.keys(old.headers ?? {}), ...Object.keys(step.headers ?? {})])].sort()) {
      const [a, b] = [headerOf(old, name), headerOf(step, name)];
      if (same(a, b)) continue;
      at(`headers.${name}`, `${where}: header ${code(name)} ${arrow(headerText(a), headerText(b))}: sent to ${code(step.url)}.`);
    }
  }
  return flags;
}

/** Workflows added as, or made, `clientTriggerable`: anyone holding a browser write key may start them, for any user. */
function openedWorkflows({ diff, base, head }: RuleInput): Flag[] {
  const opened = (id: string) => head.workflows[id]?.clientTriggerable === true;
  const ids = [
    ...diff.workflows.added.filter(({ id }) => opened(id)).map(({ id }) => id),
    ...diff.workflows.changed.filter(({ id }) => opened(id) && base.workflows[id]?.clientTriggerable !== true).map(({ id }) => id),
  ];
  return ids.map((id) => ({
    kind: 'security',
    rule: 'workflow-opened-to-clients',
    section: 'workflows',
    id,
    path: 'clientTriggerable',
    message: `Workflow ${code(id)} is now clientTriggerable: anyone holding a browser write key (public in every page) can start it, for any user.`,
  }));
}

export function securityFlags(input: RuleInput): Flag[] {
  const { diff, base, head } = input;
  return [
    ...diff.providers.added.flatMap(({ id }) => addedProvider(head, id)),
    ...diff.providers.changed.flatMap(({ id }) => changedProvider(id, base.providers[id]!, head.providers[id]!)),
    ...openedWorkflows(input),
    ...fetchFlags(input),
  ];
}
