/** Template rendering for the runtime: content per channel and locale, and SMS segment counts. */
export { renderTemplate, TemplateRenderError, type RenderedContent, type RenderInput, type RenderUser } from './render.ts';
export { selectLocale } from './locale.ts';
export { smsSegments, type SmsSegments } from './sms.ts';
