/** Template rendering for the runtime: content per channel and locale, SMS segment counts, the built-in values and signed links. Reach it through this file only. */
export { renderTemplate, TemplateRenderError, type RenderedContent, type RenderInput, type RenderUser } from './render.ts';
export { selectLocale } from './locale.ts';
export { smsSegments, type SmsSegments } from './sms.ts';
export { type BuiltinInput, type Builtins, templateBuiltins } from './builtins.ts';
export { declaredBrandKeys, resolveBrand, undeclaredBrandKeys } from './brand.ts';
export {
  createLinkSigner,
  HANDED_ON_PREFERENCES_TTL_MS,
  type LinkSigner,
  PREFERENCES_LINK_TTL_MS,
  type PreferencesClaim,
  UNSUBSCRIBE_LINK_TTL_MS,
  type UnsubscribeClaim,
  type Verified,
} from './links.ts';
