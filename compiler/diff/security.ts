/**
 * Security-relevant changes: where a provider sends the credentials and messages it is given, and which
 * secrets it reads. A changed `options.apiUrl` redirects API keys and message contents to another host; a
 * changed `kind` hands the same credentials to another SDK and API; a changed credential name makes the
 * runtime read a different secret (one the deploy must provide, and someone else may control). None of
 * these breaks a run, so they are a kind of flag of their own, for a reviewer who owns the secrets.
 */
import type { Bundle, Provider } from '../bundle/schema.ts';
import type { RuleInput } from './breaking.ts';
import type { Flag } from './model.ts';
import { same } from './records.ts';
import { arrow, code } from './words.ts';

const endpoint = (p: Provider) => (typeof p.options.apiUrl === 'string' ? code(p.options.apiUrl) : "the provider's own API");
const variable = (name: string | undefined) => (name === undefined ? 'none' : code(`$${name}`));

function flag(rule: Flag['rule'], id: string, path: string | undefined, message: string): Flag {
  return { kind: 'security', rule, section: 'providers', id, ...(path === undefined ? {} : { path }), message };
}

function changedProvider(id: string, a: Provider, b: Provider): Flag[] {
  const flags: Flag[] = [];
  if (!same(a.options.apiUrl, b.options.apiUrl)) {
    flags.push(
      flag(
        'provider-endpoint-changed',
        id,
        'options.apiUrl',
        `Provider ${code(id)}: API endpoint ${arrow(endpoint(a), endpoint(b))}: its credentials and messages now go there.`,
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
  if (typeof p.options.apiUrl !== 'string') return [];
  return [
    flag('provider-endpoint-changed', id, undefined, `Provider ${code(id)} added with API endpoint ${endpoint(p)}: its credentials and messages go there.`),
  ];
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
  ];
}
