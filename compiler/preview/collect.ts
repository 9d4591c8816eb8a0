/**
 * Every render the preview shows: each template, in its default content and each locale variant, with each
 * example of its event, on each channel it has content for. Rendering goes through the runtime's own
 * renderTemplate and SMS segment counter, so what is shown is what would be sent.
 */
import { CHANNELS, type Bundle, type Channel, type JsonValue, type SendStep, type Step, type Template } from '../bundle/schema.ts';
import { renderTemplate, smsSegments, type RenderedContent, type RenderUser, type SmsSegments } from '../../runtime/render/index.ts';
import { builtinValues, publicUrlFromEnv, uuidLike } from './builtins.ts';

/** The recipient every preview is rendered for: a full profile, so `{{user.…}}` fields show something. */
export const SAMPLE_USER: Readonly<RenderUser> = {
  id: 'user_preview',
  email: 'ada.lovelace@example.com',
  phone_number: '+447700900123',
  locale: null,
  timezone: 'Europe/London',
  traits: { company: 'Analytical Engines Ltd', plan: 'pro', name: 'Ada Lovelace' },
};

export type ChannelRender =
  | { channel: Channel; from: 'default' | 'locale'; ok: true; content: RenderedContent; sms: SmsSegments | null }
  | { channel: Channel; from: 'default' | 'locale'; ok: false; error: string };

export interface ExampleRender {
  /** 1-based, as shown. */
  number: number;
  data: Record<string, JsonValue>;
  channels: ChannelRender[];
}

export interface LocaleRender {
  /** null: the default content. */
  locale: string | null;
  examples: ExampleRender[];
}

export interface TemplatePreview {
  id: string;
  event: string;
  /** The send steps that use the template, `workflow › step`. */
  usedBy: { workflow: string; step: string }[];
  /** Set when the event has no examples, so the preview fell back to empty data. */
  note: string | null;
  locales: LocaleRender[];
}

export function collectPreviews(bundle: Bundle, options: { publicUrl?: string } = {}): TemplatePreview[] {
  const publicUrl = options.publicUrl ?? publicUrlFromEnv();
  const senders = sendStepsByTemplate(bundle);
  return Object.values(bundle.templates)
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((template) => {
      const usedBy = senders.get(template.id) ?? [];
      // The category decides whether `{{unsubscribe_url}}` is a real unsubscribe link: take the first sender's.
      const category = usedBy.length ? (bundle.workflows[usedBy[0]!.workflow]?.category ?? null) : null;
      const examples = examplesOf(bundle, template);
      const locales = [null, ...Object.keys(template.locales).sort()].map((locale) => ({
        locale,
        examples: examples.list.map((data, i) => ({
          number: i + 1,
          data,
          channels: renderChannels(bundle, template, locale, data, { publicUrl, category, digestItems: examples.list }),
        })),
      }));
      return { id: template.id, event: template.event, usedBy, note: examples.note, locales };
    });
}

/** The event's examples that are objects, or one empty example (with a note saying so) when it has none. */
export function examplesOf(bundle: Bundle, template: Template): { list: Record<string, JsonValue>[]; note: string | null } {
  const raw = bundle.events[template.event]?.examples ?? [];
  const list = raw.filter((e): e is Record<string, JsonValue> => e !== null && typeof e === 'object' && !Array.isArray(e));
  if (list.length > 0) return { list, note: null };
  return { list: [{}], note: `event "${template.event}" has no examples: rendered with empty data (add examples to the event to preview real values)` };
}

/** Each channel the template (or its locale variant) has content for, rendered by the runtime's renderer for SAMPLE_USER. */
export function renderChannels(
  bundle: Bundle,
  template: Template,
  locale: string | null,
  data: Record<string, JsonValue>,
  context: { publicUrl: string; category: string | null; digestItems: JsonValue[] },
): ChannelRender[] {
  const variant = locale === null ? undefined : template.locales[locale];
  const out: ChannelRender[] = [];
  for (const channel of CHANNELS) {
    if (!template.content[channel] && !variant?.[channel]) continue;
    const from = variant?.[channel] ? 'locale' : 'default';
    // A digest template reads `{{digest.items}}`: the event's examples stand in for the gathered events.
    const extra = builtinValues({
      bundle,
      publicUrl: context.publicUrl,
      userId: SAMPLE_USER.id,
      category: context.category,
      channel,
      messageId: uuidLike(1),
      runId: uuidLike(2),
      digest: { count: context.digestItems.length, items: context.digestItems, omitted: 0 },
      now: 0,
    });
    try {
      const content = renderTemplate(template, channel, { data, user: { ...SAMPLE_USER, locale }, locale, extra });
      const sms = channel === 'sms' ? smsSegments((content as RenderedContent<'sms'>).body) : null;
      out.push({ channel, from, ok: true, content, sms });
    } catch (error) {
      out.push({ channel, from, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}

/** Template id → the send steps (in any branch) that use it. */
function sendStepsByTemplate(bundle: Bundle): Map<string, { workflow: string; step: string }[]> {
  const map = new Map<string, { workflow: string; step: string }[]>();
  const walk = (workflow: string, steps: Step[]) => {
    for (const step of steps) {
      if (step.kind === 'send') {
        const send: SendStep = step;
        map.set(send.template, [...(map.get(send.template) ?? []), { workflow, step: send.id }]);
      } else if (step.kind === 'branch') {
        for (const arm of step.arms) walk(workflow, arm.steps);
        walk(workflow, step.otherwise);
      }
    }
  };
  for (const workflow of Object.values(bundle.workflows).sort((a, b) => a.id.localeCompare(b.id))) walk(workflow.id, workflow.steps);
  return map;
}
