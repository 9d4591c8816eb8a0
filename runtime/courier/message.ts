/**
 * A Courier `message` as a Herald workflow: an ad-hoc run definition (runtime/execution/definition.ts) with one
 * send step — after a delay step when the message asks for one — over the routing's channels, with the
 * named bundle template or a template made from the message's inline content. The one engine then routes,
 * checks preferences, fails over and logs it like any workflow of the bundle.
 */
import { CHANNELS, type Bundle, type Channel, type ChannelContent, type Step, type Template, type Workflow } from '../../compiler/bundle/schema.ts';
import { runDefinitionSchema, type RunDefinition } from '../execution/definition.ts';
import { InputError } from '../errors.ts';
import { contentDocumentSchema, contentSugarSchema, type CourierContent, type RoutingChannel, type SendMessage } from './schemas.ts';

/** A request Herald understands but cannot carry out as asked: 400 with the field at fault. */
export class CourierInputError extends InputError {
  readonly field: string;

  constructor(message: string, field: string) {
    super(message, [{ path: field, message }]);
    this.field = field;
  }
}

export const AD_HOC_WORKFLOW = 'courier.send';
/** Courier's channel names that differ from Herald's. */
// Looked up by names from requests: a null prototype, so `constructor` is no channel.
const CHANNEL_ALIASES: Readonly<Record<string, Channel>> = Object.assign(Object.create(null) as Record<string, Channel>, {
  inbox: 'inapp',
  email: 'email',
  sms: 'sms',
  push: 'push',
  inapp: 'inapp',
});

function flatten(channels: RoutingChannel[]): string[] {
  return channels.flatMap((c) => (typeof c === 'string' ? [c] : flatten(c.channels)));
}

/** Channels in order, and providers named among them (Courier lets routing list a provider for its channel). */
function resolveRouting(bundle: Bundle, names: string[]): { channels: Channel[]; providers: string[] } {
  const channels: Channel[] = [];
  const providers: string[] = [];
  for (const name of names) {
    const channel = CHANNEL_ALIASES[name] ?? bundle.providers[name]?.channel;
    if (!channel) {
      const known = [...Object.keys(CHANNEL_ALIASES), ...Object.keys(bundle.providers)].join(', ');
      throw new CourierInputError(`routing.channels: "${name}" is neither a channel nor a provider (known: ${known})`, 'message.routing.channels');
    }
    if (!CHANNEL_ALIASES[name]) providers.push(name);
    if (!channels.includes(channel)) channels.push(channel);
  }
  return { channels, providers };
}

/** Provider ids from `providers`, in either of its forms. */
function resolveProviders(bundle: Bundle, providers: SendMessage['providers']): string[] {
  const ids: string[] = [];
  for (const [key, value] of Object.entries(providers ?? {})) {
    const id = typeof value === 'string' ? value : key;
    if (!bundle.providers[id]) {
      throw new CourierInputError(`providers: unknown provider "${id}" (known: ${Object.keys(bundle.providers).join(', ')})`, `message.providers.${key}`);
    }
    ids.push(id);
  }
  return ids;
}

/** Title and body of elemental content: the sugar as is, or a document's meta title and text elements. */
function titleAndBody(content: CourierContent): { title: string; body: string } {
  const sugar = contentSugarSchema.safeParse(content);
  if (sugar.success) return { title: sugar.data.title, body: sugar.data.body };
  const elements = contentDocumentSchema.safeParse(content).data?.elements ?? [];
  const title = elements.find((e) => e.type === 'meta' && e.title)?.title ?? elements.find((e) => e.title)?.title ?? '';
  const body = elements
    .filter((e) => (e.type ?? 'text') === 'text' && e.content)
    .map((e) => e.content!)
    .join('\n\n');
  if (!title && !body) throw new CourierInputError('content: no title and no text elements to send', 'message.content');
  return { title, body };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A template of the message's inline content for each channel (Handlebars, as in Courier). */
function inlineTemplate(id: string, content: CourierContent): Template {
  const { title, body } = titleAndBody(content);
  // The body is Handlebars: escaping here would break its {{variables}}; paragraphs only.
  const html = body
    .split(/\n{2,}/)
    .map((p) => `<p>${p.includes('{{') ? p : escapeHtml(p)}</p>`)
    .join('\n');
  const channels: ChannelContent = {
    email: { subject: title || body.slice(0, 80), text: body, html },
    sms: { body: title && body ? `${title}\n${body}` : title || body },
    push: { title: title || body.slice(0, 80), body },
    inapp: { title: title || body.slice(0, 80), body },
  };
  return { id, event: AD_HOC_WORKFLOW, content: channels, locales: {} };
}

/** A Courier message as the one-off workflow its runs carry, with the run definition that holds it. */
export interface CourierMessageWorkflow {
  workflow: Workflow;
  definition: RunDefinition;
}

/** The workflow that carries out a Courier `message`; a message Herald cannot carry out throws CourierInputError. */
export function courierMessageWorkflow(bundle: Bundle, message: SendMessage, ids: { requestId: string; now: number }): CourierMessageWorkflow {
  const templates: Record<string, Template> = {};
  let template: Template;
  if (message.template) {
    const named = bundle.templates[message.template];
    if (!named) throw new CourierInputError(`unknown template "${message.template}" (known: ${Object.keys(bundle.templates).join(', ')})`, 'message.template');
    template = named;
  } else {
    template = inlineTemplate(`courier:${ids.requestId}`, message.content!);
    templates[template.id] = template;
  }
  const routed = message.routing ? resolveRouting(bundle, flatten(message.routing.channels)) : null;
  const channels = routed?.channels ?? CHANNELS.filter((c) => template.content[c]);
  const missing = channels.filter((c) => !template.content[c]);
  if (missing.length) throw new CourierInputError(`template "${template.id}" has no ${missing.join(', ')} content for the routing`, 'message.routing.channels');
  if (channels.length === 0) throw new CourierInputError(`template "${template.id}" has content for no channel`, 'message.template');
  const providers = [...(routed?.providers ?? []), ...resolveProviders(bundle, message.providers)];

  const category = message.preferences?.subscription_topic_id;
  if (category && !bundle.categories[category]) {
    throw new CourierInputError(
      `unknown subscription topic "${category}" (known: ${Object.keys(bundle.categories).join(', ')})`,
      'message.preferences.subscription_topic_id',
    );
  }
  const steps: Step[] = [];
  const delayMs = message.delay?.duration ?? (message.delay?.until ? Date.parse(message.delay.until) - ids.now : null);
  if (delayMs !== null && delayMs !== undefined) {
    if (Number.isNaN(delayMs)) throw new CourierInputError(`delay.until "${message.delay!.until}" is not an ISO 8601 time`, 'message.delay.until');
    if (delayMs > 0) steps.push({ id: 'delay', kind: 'delay', durationMs: delayMs });
  }
  steps.push({
    id: 'send',
    kind: 'send',
    template: template.id,
    routing: { method: message.routing?.method ?? 'single', channels, strategy: 'ordered' },
    ...(providers.length ? { providers } : {}),
    critical: false,
  });
  const workflow: Workflow = {
    id: AD_HOC_WORKFLOW,
    trigger: { type: 'event', event: message.metadata?.event ?? AD_HOC_WORKFLOW },
    ...(category ? { category } : {}),
    cancelOn: [],
    steps,
  };
  return { workflow, definition: runDefinitionSchema.parse({ workflow, templates }) };
}
