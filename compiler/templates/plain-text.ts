/**
 * The plain-text part of an email, generated at build time from its HTML when the author gave no `text`
 * (html-to-text). The HTML is a Handlebars template, not a rendered email, so every `{{…}}` is set aside
 * before conversion and put back after: the converter must not upper-case a variable in a heading, decode
 * an entity inside a helper's argument or wrap a block tag over two lines.
 */
import { compile, type HtmlToTextOptions } from 'html-to-text';

const OPTIONS: HtmlToTextOptions = {
  // Lines are not wrapped: their length is only known once the variables are filled in, at send time.
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['[', ']'] } },
    // A logo or a tracking pixel says nothing in text; an inline `data:` image would be kilobytes of noise.
    { selector: 'img', format: 'skip' },
    // MJML's preview text (and any hidden element) is for the inbox list, not for the body.
    { selector: '[style*="display:none"]', format: 'skip' },
    { selector: '[style*="display: none"]', format: 'skip' },
  ],
};

let convert: ((html: string) => string) | undefined;

/**
 * @example
 * plainTextOf('<h1>Hi {{first_name}}</h1><p><a href="{{url}}">Start</a></p>');
 * // 'HI {{first_name}}\n\nStart [{{url}}]'
 */
export function plainTextOf(html: string): string {
  convert ??= compile(OPTIONS);
  const { text, tags } = setAsideHandlebars(html);
  // Spacers and dividers become runs of empty lines; one empty line is enough to separate blocks.
  return putBack(convert(text), tags)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Handlebars tags, triple-stash and comments included; matched lazily so two tags on a line stay two. */
const HANDLEBARS_TAG = /\{\{\{[\s\S]*?\}\}\}|\{\{!--[\s\S]*?--\}\}|\{\{[\s\S]*?\}\}/g;
/** Private-use characters: no case, not whitespace, never in real content, kept by the converter as text. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001/g;

function setAsideHandlebars(html: string): { text: string; tags: string[] } {
  const tags: string[] = [];
  // The same tag gets the same placeholder, so that a link whose text is its own URL is recognised as such.
  const indexOf = new Map<string, number>();
  const text = html.replace(HANDLEBARS_TAG, (tag) => {
    let index = indexOf.get(tag);
    if (index === undefined) {
      index = tags.push(tag) - 1;
      indexOf.set(tag, index);
    }
    return `${OPEN}${index}${CLOSE}`;
  });
  return { text, tags };
}

function putBack(text: string, tags: string[]): string {
  return text.replace(PLACEHOLDER, (placeholder, index: string) => tags[Number(index)] ?? placeholder);
}
