/**
 * A strict, small XML well-formedness check for the SVG the graph command writes: balanced and properly
 * nested tags, quoted and unique attributes, no raw `<` or stray `&` in text or attribute values. It does
 * not validate against the SVG schema; it catches what would make a viewer refuse the file.
 */
const NAME = /^[A-Za-z_][\w.:-]*$/;
const ENTITY = /&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);/g;

function checkText(text: string, where: string): void {
  if (text.includes('<')) throw new Error(`raw "<" in ${where}: ${text.slice(0, 60)}`);
  if (text.replace(ENTITY, '').includes('&')) throw new Error(`stray "&" in ${where}: ${text.slice(0, 60)}`);
}

function checkAttributes(source: string, tag: string): void {
  const seen = new Set<string>();
  let rest = source.trim();
  while (rest.length) {
    const match = /^([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')\s*/.exec(rest);
    if (!match) throw new Error(`malformed attributes in <${tag}>: ${rest.slice(0, 60)}`);
    const name = match[1]!;
    if (!NAME.test(name)) throw new Error(`bad attribute name "${name}" in <${tag}>`);
    if (seen.has(name)) throw new Error(`duplicate attribute "${name}" in <${tag}>`);
    seen.add(name);
    checkText(match[3] ?? match[4] ?? '', `attribute ${name} of <${tag}>`);
    rest = rest.slice(match[0].length);
  }
}

export function checkWellFormed(xml: string): void {
  const stack: string[] = [];
  let roots = 0;
  let at = 0;
  while (at < xml.length) {
    const open = xml.indexOf('<', at);
    const text = xml.slice(at, open === -1 ? xml.length : open);
    if (stack.length === 0 && text.trim()) throw new Error(`text outside the root element: ${text.trim().slice(0, 60)}`);
    checkText(text, stack.length ? `<${stack[stack.length - 1]}>` : 'the prolog');
    if (open === -1) break;
    if (xml.startsWith('<!--', open)) {
      const end = xml.indexOf('-->', open);
      if (end === -1) throw new Error('unterminated comment');
      at = end + 3;
      continue;
    }
    if (xml.startsWith('<?', open)) {
      const end = xml.indexOf('?>', open);
      if (end === -1 || stack.length || roots) throw new Error('misplaced processing instruction');
      at = end + 2;
      continue;
    }
    const close = xml.indexOf('>', open);
    if (close === -1) throw new Error('unterminated tag');
    const body = xml.slice(open + 1, close);
    at = close + 1;
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      const expected = stack.pop();
      if (name !== expected) throw new Error(`</${name}> closes <${expected ?? 'nothing'}>`);
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const name = /^\S+/.exec(inner)?.[0] ?? '';
    if (!NAME.test(name)) throw new Error(`bad tag name "${name}"`);
    checkAttributes(inner.slice(name.length), name);
    if (stack.length === 0) roots++;
    if (roots > 1) throw new Error('more than one root element');
    if (!selfClosing) stack.push(name);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error('no root element');
}
