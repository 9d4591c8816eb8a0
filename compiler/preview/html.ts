/**
 * The preview page: one self-contained HTML file (inline CSS, one small inline script, no external asset),
 * a template list to navigate, and for each template, locale and example the message as each channel shows
 * it. Email HTML goes into a sandboxed iframe (srcdoc), so its styles and markup render as a mail client
 * would and cannot touch the page; scripts in it never run.
 */
import type { Channel } from '../bundle/schema.ts';
import type { RenderedContent, SmsSegments } from '../../runtime/render/index.ts';
import { SAMPLE_USER, type ChannelRender, type ExampleRender, type TemplatePreview } from './collect.ts';

export interface PageOptions {
  /** The bundle's version, shown in the header. */
  version: string;
  /** Link each card's screenshot (`<shot>.png` beside the page). */
  pngs: boolean;
}

/** The file name (without `.png`) of a card's screenshot; also its `data-shot` attribute. */
export function shotName(templateId: string, locale: string | null, example: number, channel: Channel): string {
  return `${templateId}.${locale ?? 'default'}.${example}.${channel}`.replace(/[^a-z0-9._-]/gi, '_');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const anchor = (...parts: (string | number | null)[]) => `t-${parts.map((p) => p ?? 'default').join('--')}`.replace(/[^a-z0-9_-]/gi, '_');
const localeLabel = (locale: string | null) => (locale === null ? 'default content' : `locale ${locale}`);

export function previewPage(previews: TemplatePreview[], options: PageOptions): string {
  const renders = previews.reduce((n, t) => n + t.locales.reduce((m, l) => m + l.examples.reduce((k, e) => k + e.channels.length, 0), 0), 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald preview</title>
<style>${STYLE}</style>
</head>
<body>
<nav class="toc" aria-label="Templates">
  <h1>Herald preview</h1>
  <ol>
${previews.map(tocEntry).join('\n')}
  </ol>
</nav>
<main>
  <header class="page-head">
    <p>${previews.length} templates · ${renders} renders · bundle <code>${escapeHtml(options.version)}</code></p>
    <p class="sample">Rendered for a sample profile: <code>${escapeHtml(SAMPLE_USER.id ?? '')}</code>, ${escapeHtml(SAMPLE_USER.email ?? '')}, ${escapeHtml(SAMPLE_USER.phone_number ?? '')}, traits <code>${escapeHtml(JSON.stringify(SAMPLE_USER.traits))}</code>; each locale section renders with that locale on the profile.</p>
  </header>
${previews.map((t) => templateSection(t, options)).join('\n')}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function tocEntry(t: TemplatePreview): string {
  const channels = [...new Set(t.locales.flatMap((l) => l.examples.flatMap((e) => e.channels.map((c) => c.channel))))];
  const locales = t.locales.filter((l) => l.locale !== null);
  return `    <li><a href="#${anchor(t.id)}">${escapeHtml(t.id)}</a> <span class="chips">${channels.map((c) => `<span class="chip">${c}</span>`).join('')}</span>${
    locales.length ? `<ul>${locales.map((l) => `<li><a href="#${anchor(t.id, l.locale)}">${escapeHtml(l.locale ?? '')}</a></li>`).join('')}</ul>` : ''
  }</li>`;
}

function templateSection(t: TemplatePreview, options: PageOptions): string {
  const usedBy = t.usedBy.length ? t.usedBy.map((u) => `<code>${escapeHtml(u.workflow)} › ${escapeHtml(u.step)}</code>`).join(', ') : 'no workflow';
  return `  <section class="template" id="${anchor(t.id)}">
    <h2>${escapeHtml(t.id)}</h2>
    <p class="about">Event <code>${escapeHtml(t.event)}</code> · sent by ${usedBy}</p>
    ${t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : ''}
${t.locales
  .map(
    (l) => `    <section class="locale" id="${anchor(t.id, l.locale)}">
      <h3>${escapeHtml(localeLabel(l.locale))}</h3>
${l.examples.map((e) => exampleBlock(t.id, l.locale, e, options)).join('\n')}
    </section>`,
  )
  .join('\n')}
  </section>`;
}

function exampleBlock(templateId: string, locale: string | null, example: ExampleRender, options: PageOptions): string {
  return `      <div class="example" id="${anchor(templateId, locale, example.number)}">
        <details class="data"><summary>Example ${example.number}</summary><pre>${escapeHtml(JSON.stringify(example.data, null, 2))}</pre></details>
        <div class="messages">
${example.channels.map((c) => messageBlock(shotName(templateId, locale, example.number, c.channel), c, options)).join('\n')}
        </div>
      </div>`;
}

function messageBlock(shot: string, render: ChannelRender, options: PageOptions): string {
  const label = `<div class="label">${render.channel}${render.from === 'default' ? '' : ' · from the locale variant'}</div>`;
  if (!render.ok) return `          <div class="message">${label}<div class="card error" role="alert">Render error: ${escapeHtml(render.error)}</div></div>`;
  const png = options.pngs ? `<a class="png" href="${escapeHtml(shot)}.png">PNG</a>` : '';
  return `          <div class="message message-${render.channel}">${label}${card(shot, render.channel, render.content, render.sms)}${textPart(render)}${png}</div>`;
}

function card(shot: string, channel: Channel, content: RenderedContent, sms: SmsSegments | null): string {
  const attrs = `class="card ${channel}" data-shot="${escapeHtml(shot)}"`;
  switch (channel) {
    case 'email': {
      const email = content as RenderedContent<'email'>;
      const body =
        email.html !== undefined
          ? `<iframe class="email-body" title="Email body" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" srcdoc="${escapeHtml(emailDocument(email.html))}"></iframe>`
          : `<pre class="email-text">${escapeHtml(email.text ?? '')}</pre>`;
      return `<article ${attrs}><header class="email-head"><div class="to">To ${escapeHtml(SAMPLE_USER.email ?? '')}</div><div class="subject">${escapeHtml(email.subject)}</div></header>${body}</article>`;
    }
    case 'sms': {
      const body = (content as RenderedContent<'sms'>).body;
      return `<article ${attrs}><div class="to">To ${escapeHtml(SAMPLE_USER.phone_number ?? '')}</div><div class="bubble">${escapeHtml(body)}</div><div class="segments">${escapeHtml(segmentLine(sms))}</div></article>`;
    }
    case 'push': {
      const push = content as RenderedContent<'push'>;
      const data = Object.entries(push.data ?? {});
      return `<article ${attrs}><div class="push-head"><span class="app-icon" aria-hidden="true"></span><span>Your app</span><span class="when">now</span></div><div class="title">${escapeHtml(push.title)}</div><div class="body">${escapeHtml(push.body)}</div>${
        data.length ? `<dl class="push-data">${data.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>` : ''
      }</article>`;
    }
    case 'inapp': {
      const inapp = content as RenderedContent<'inapp'>;
      return `<article ${attrs}><div class="title"><span class="unread" aria-label="unread"></span>${escapeHtml(inapp.title)}</div><div class="body">${escapeHtml(inapp.body)}</div>${
        inapp.actionUrl ? `<div class="action">Open <span class="url">${escapeHtml(inapp.actionUrl)}</span></div>` : ''
      }</article>`;
    }
    case 'webhook':
      return `<article ${attrs}><div class="to">POST (signed, Standard Webhooks)</div><pre class="webhook-body">${escapeHtml(JSON.stringify((content as RenderedContent<'webhook'>).body, null, 2))}</pre></article>`;
  }
}

/** "1 segment · GSM-7 · 98 characters": what the carrier bills, counted by the runtime's own counter. */
export function segmentLine(sms: SmsSegments | null): string {
  if (!sms) return '';
  const unit = sms.encoding === 'GSM-7' ? 'characters' : 'UTF-16 units';
  return `${sms.segments} segment${sms.segments === 1 ? '' : 's'} · ${sms.encoding} · ${sms.characters} ${unit}`;
}

/** The email's text part, below the card (it is not part of what the recipient sees first). */
function textPart(render: Extract<ChannelRender, { ok: true }>): string {
  if (render.channel !== 'email') return '';
  const email = render.content as RenderedContent<'email'>;
  if (email.html === undefined || email.text === undefined) return '';
  return `<details class="text-part"><summary>Text part</summary><pre>${escapeHtml(email.text)}</pre></details>`;
}

/**
 * A full document for the iframe: the email's own HTML when it is one, else wrapped with the defaults a
 * mail client applies. Links open outside the frame.
 */
function emailDocument(html: string): string {
  if (/<html[\s>]/i.test(html)) return html;
  return `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><style>body{margin:16px;font:15px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222}</style></head><body>${html}</body></html>`;
}

// Fits each email frame to its content (same-origin srcdoc; the frame itself runs no script). Global, so
// the screenshot step can call it again once every frame has loaded.
const SCRIPT = `
function fitFrames() {
  for (const frame of document.querySelectorAll('iframe.email-body')) {
    try {
      const d = frame.contentDocument;
      if (!d || !d.body) continue;
      // Collapse first: a document is never shorter than its frame, so scrollHeight alone could only grow.
      frame.style.height = '0px';
      frame.style.height = Math.max(80, d.documentElement.scrollHeight + 2) + 'px';
    } catch (e) {}
  }
}
for (const frame of document.querySelectorAll('iframe.email-body')) frame.addEventListener('load', fitFrames);
window.addEventListener('load', fitFrames);
`;

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1d2330;background:#f4f5f7;display:grid;grid-template-columns:260px 1fr;min-height:100vh}
.toc{position:sticky;top:0;align-self:start;height:100vh;overflow:auto;padding:16px;background:#fff;border-right:1px solid #e2e5ea}
.toc h1{font-size:16px;margin:0 0 12px}
.toc ol{list-style:none;margin:0;padding:0}
.toc li{margin:6px 0}
.toc ul{list-style:none;margin:2px 0 0 12px;padding:0;font-size:12px}
.toc a{color:#2450b8;text-decoration:none}
.toc a:hover{text-decoration:underline}
.chips{display:inline-flex;gap:3px;flex-wrap:wrap}
.chip{font-size:10px;padding:0 5px;border-radius:8px;background:#eef1f6;color:#56607a}
main{padding:16px 24px 64px;min-width:0}
.page-head{color:#56607a}
.page-head .sample{font-size:12px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f6;padding:1px 4px;border-radius:3px}
.template{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:16px 20px;margin:20px 0}
.template h2{margin:0 0 4px;font-size:18px}
.about{margin:0 0 8px;color:#56607a}
.note{background:#fff7e0;border:1px solid #f0d68a;padding:6px 10px;border-radius:6px}
.locale h3{font-size:14px;text-transform:uppercase;letter-spacing:.04em;color:#56607a;border-top:1px solid #eef0f3;padding-top:12px}
.example{margin:8px 0 20px}
.data summary{cursor:pointer;font-weight:600}
.data pre,.text-part pre{background:#f7f8fa;border:1px solid #e8ebef;border-radius:6px;padding:8px;font-size:12px;white-space:pre-wrap;overflow:auto}
.messages{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;margin-top:8px}
.message{display:flex;flex-direction:column;gap:6px}
.message-email{flex:1 1 560px;max-width:720px}
.label{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:#7a8399}
.png{font-size:12px;color:#2450b8}
.card{background:#fff;border:1px solid #dde1e7;border-radius:10px;padding:12px 14px}
.card.error{background:#fdecec;border-color:#f3b4b4;color:#8a1c1c;max-width:560px}
.card.email{padding:0;overflow:hidden}
.email-head{padding:10px 14px;border-bottom:1px solid #e8ebef;background:#fafbfc}
.email-head .to{font-size:12px;color:#7a8399}
.email-head .subject{font-weight:600;font-size:15px}
.email-body{display:block;width:100%;height:360px;border:0;resize:vertical;background:#fff}
.email-text{margin:0;padding:14px;white-space:pre-wrap;font:13px/1.5 ui-monospace,Menlo,monospace}
.card.sms{width:300px;background:#f2f2f7;border-radius:18px}
.card.sms .to{font-size:11px;color:#7a8399;text-align:center;margin-bottom:8px}
.bubble{background:#e5e5ea;color:#111;border-radius:16px;padding:8px 12px;white-space:pre-wrap;overflow-wrap:anywhere;max-width:250px}
.segments{font-size:11px;color:#56607a;margin-top:8px}
.card.push{width:340px;border-radius:14px;background:rgba(250,250,252,.96);box-shadow:0 4px 14px rgba(0,0,0,.08)}
.push-head{display:flex;align-items:center;gap:6px;font-size:11px;color:#7a8399;margin-bottom:4px}
.app-icon{width:16px;height:16px;border-radius:4px;background:linear-gradient(135deg,#4f7df0,#7a4ff0)}
.push-head .when{margin-left:auto}
.card .title{font-weight:600}
.card .body{white-space:pre-wrap;overflow-wrap:anywhere}
.push-data{display:grid;grid-template-columns:auto 1fr;gap:0 8px;margin:8px 0 0;font-size:11px;color:#56607a}
.push-data dt{font-weight:600}
.push-data dd{margin:0;overflow-wrap:anywhere}
.card.inapp{width:340px;border-left:4px solid #4f7df0}
.unread{display:inline-block;width:8px;height:8px;border-radius:50%;background:#4f7df0;margin-right:6px;vertical-align:middle}
.action{margin-top:8px;font-size:12px;color:#2450b8;font-weight:600}
.action .url{font-weight:400;color:#56607a}
`;
