/**
 * The built-in template values every send renders with (`message_id`, `run_id`, `preferences_url`,
 * `unsubscribe_url`, `digest`, `brand`): one definition for the runtime's sends, the preview, the replay and the
 * simulator, so the links (and with them SMS segment counts) are what a recipient gets.
 */
import type { Brand, Bundle, Channel, JsonValue } from '../../compiler/bundle/schema.ts';
import { resolveBrand } from './brand.ts';
import type { LinkSigner } from './links.ts';

export interface BuiltinInput {
  /** `settings.brand`, when given, is the default brand (`{{brand.…}}`). */
  bundle: Pick<Bundle, 'categories'> & { settings?: Pick<Bundle['settings'], 'brand'> };
  /** The run's tenant's brand values, over the default brand key by key (brand.ts). */
  tenantBrand?: Brand | null;
  /** The run's tenant: its preference-center link opens on the tenant's defaults. */
  tenantId?: string | null;
  publicUrl: string;
  links: LinkSigner;
  userId: string | null;
  /** The category of the send (decides whether an unsubscribe link exists). */
  category: string | null;
  channel: Channel;
  messageId: string;
  runId: string;
  /** After a digest step: `count` gathered, `items` (at most the step's maxItems), `omitted` (absent in runs collected before it existed). */
  digest: { count: number; items: JsonValue[]; omitted?: number } | null;
  /** The send's time, for the links' expiry (epoch ms). */
  now: number;
}

export interface Builtins {
  values: Record<string, JsonValue>;
  /** The one-click unsubscribe link, when the send has one (it also goes in the email's List-Unsubscribe). */
  unsubscribeUrl: string | null;
}

/**
 * The recipient's preference center is a signed link that expires (runtime/render/links.ts), since it lets its holder
 * change every choice; direct recipients have no profile to keep choices on and get the bare page. The
 * unsubscribe link opts the user out of the send's category on this channel; there is none for required
 * categories (security, billing), sends without a category, and direct recipients.
 */
export function templateBuiltins(input: BuiltinInput): Builtins {
  const preferencesUrl = input.userId
    ? `${input.publicUrl}/preferences/${input.links.preferences(input.userId, input.now, { tenant: input.tenantId })}`
    : `${input.publicUrl}/preferences`;
  const category = input.category ? input.bundle.categories[input.category] : undefined;
  const unsubscribeUrl =
    category && !category.required && input.userId
      ? `${input.publicUrl}/unsubscribe/${input.links.unsubscribe({ userId: input.userId, category: category.id, channel: input.channel, messageId: input.messageId }, input.now)}`
      : null;
  const brand = resolveBrand(input.bundle.settings?.brand, input.tenantBrand);
  return {
    values: {
      message_id: input.messageId,
      run_id: input.runId,
      preferences_url: preferencesUrl,
      unsubscribe_url: unsubscribeUrl ?? preferencesUrl,
      ...(brand ? { brand } : {}),
      ...(input.digest ? { digest: { count: input.digest.count, items: input.digest.items, omitted: input.digest.omitted ?? 0 } } : {}),
    },
    unsubscribeUrl,
  };
}
