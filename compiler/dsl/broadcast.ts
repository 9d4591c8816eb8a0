import type {
  BroadcastDefinition,
  CategoryDefinition,
  Channel,
  RecipientsSpec,
  RoutingSpec,
  SendWindowSpec,
  StepSpec,
  TemplateDefinition,
} from './definitions.ts';
import { stepBuilder, type StepBuilder } from './workflow.ts';

/** A broadcast has no trigger data: its steps read the recipient (`s.user`), never `s.data`. */
export type BroadcastStepBuilder = StepBuilder<Record<string, never>>;

/** An audience (its definition or id) or a list id: exactly one. */
type Recipients = { audience: { readonly kind: 'audience'; readonly id: string } | string; list?: never } | { list: string; audience?: never };

/** What it sends: one template (a shortcut for one send step, id `send`), or steps as a workflow's. */
type Content =
  | {
      template: TemplateDefinition<unknown> | string;
      /** One channel; or `routing`; neither: one of the template's channels, the user's preferred first. */
      channel?: Channel;
      routing?: RoutingSpec;
      steps?: never;
    }
  | { steps: (s: BroadcastStepBuilder) => StepSpec[]; template?: never; channel?: never; routing?: never };

export type BroadcastOptions = Recipients &
  Content & {
    description?: string;
    /** The preference category users opt out of; the broadcast's sends honour it, and its frequency caps. */
    category?: CategoryDefinition | string;
    /** At most this many recipients started per unit: `'500/min'`, `'20/s'`, `'1000/h'`. Default: as fast as it plans. */
    rate?: `${number}/${'s' | 'min' | 'h'}`;
    /** A send window in each recipient's zone (`timezone: 'user'`): `{ days: 'daily', hours: '09:00-11:00', timezone: 'user' }` is 9:00 local everywhere. */
    window?: SendWindowSpec;
  };

/**
 * A one-off send to many: every member of an audience or list gets one run, started in pages as durable jobs at
 * `rate`, each run an ordinary one (the member's preferences, caps, unsubscribes and time zone apply). Sent with
 * `POST /v1/broadcasts/:id/send` or from the dashboard. Its templates may read `{{user.*}}` and the built-ins
 * (`unsubscribe_url`, `preferences_url`, …), never trigger data: a broadcast has none.
 *
 * @example
 * export const springLaunch = broadcast('spring-launch', {
 *   audience: euFreePlan,
 *   template: springLaunchTemplate,
 *   category: productUpdates,
 *   rate: '500/min',
 *   window: { days: 'daily', hours: '09:00-12:00', timezone: 'user' },
 * });
 */
export function broadcast(id: string, options: BroadcastOptions): BroadcastDefinition {
  const recipients: RecipientsSpec = options.audience !== undefined ? { audience: options.audience } : { list: options.list as string };
  const steps: StepSpec[] =
    options.steps !== undefined
      ? options.steps(stepBuilder<Record<string, never>>())
      : [
          {
            kind: 'send',
            id: 'send',
            template: options.template as TemplateDefinition<unknown> | string,
            ...(options.channel === undefined ? {} : { channel: options.channel }),
            ...(options.routing === undefined ? {} : { routing: options.routing }),
          },
        ];
  return {
    kind: 'broadcast',
    id,
    ...(options.description === undefined ? {} : { description: options.description }),
    recipients,
    ...(options.category === undefined ? {} : { category: options.category }),
    ...(options.rate === undefined ? {} : { rate: options.rate }),
    ...(options.window === undefined ? {} : { window: options.window }),
    steps,
  };
}
