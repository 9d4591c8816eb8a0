/**
 * What every email shares, written once: the brand, the legal footer (sender and postal address, the unsubscribe
 * and preference links the law asks of emails users can opt out of) and the layout that frames each email.
 * The compiler composes them into each template at build time, so the runtime renders what it always did.
 * For a required category (receipts, codes) `{{unsubscribe_url}}` is the preference page: there is nothing to
 * unsubscribe from there. The header is the brand's name, not its logo: an image from elsewhere would be fetched by
 * every preview and dashboard that shows the email (both load nothing from other hosts).
 */
import { brand, layout, partial } from 'herald';

export const example = brand('example', {
  name: 'Example Inc.',
  logoUrl: 'https://app.example.com/logo.png',
  colors: { primary: '#0a66c2' },
  postalAddress: '1 Example Street, Springfield',
});

export const legalFooter = partial('legal-footer', {
  html: `<footer style="color:#888;font-size:12px"><a href="{{unsubscribe_url}}">Unsubscribe</a> · <a href="{{preferences_url}}">Manage your notification preferences</a><br>{{brand.name}}, {{brand.postalAddress}}</footer>`,
  text: `Unsubscribe: {{unsubscribe_url}}
Manage your notification preferences: {{preferences_url}}
{{brand.name}}, {{brand.postalAddress}}`,
});

export const defaultLayout = layout('default', {
  html: `<div style="font-family:sans-serif;max-width:600px;margin:0 auto">
  <p style="font-weight:bold;color:{{brand.colors.primary}}">{{brand.name}}</p>
  {{{content}}}
  {{> legal-footer}}
</div>`,
  text: `{{{content}}}

{{> legal-footer}}`,
});
