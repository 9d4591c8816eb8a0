/**
 * One message's fate: where it got to (queued → sent → delivered → opened → clicked) and when, every entry of
 * its history, the content as the recipient saw it (email HTML in a sandboxed frame: no script, no forms, no
 * same-origin access), the provider's answers and the webhook payloads, and the run it belongs to.
 */
import { channelContentSchema, type Channel, type ChannelContent } from '../../../compiler/bundle/schema.ts';
import type { MessageRow } from '../../db/sql.ts';
import { smsSegments } from '../../render/index.ts';
import { badge, dash, h, json, time, urls, userLink, type Html } from '../html.ts';
import { page } from '../layout.ts';

type Entry = { status: string; at: string } & Record<string, unknown>;

/**
 * The delivery stages a message may reach, in order; the bad delivery outcomes stand in for `delivered`. An in-app
 * message is seen (the inbox list was opened) and read rather than opened; another channel's message marked read
 * by read sync shows `read` as its opened stage (the same rung: the person saw the content).
 */
const STAGES = ['queued', 'sent', 'delivered', 'opened', 'clicked'] as const;
const INAPP_STAGES = ['queued', 'sent', 'delivered', 'seen', 'read', 'clicked'] as const;
type Stage = (typeof STAGES)[number] | (typeof INAPP_STAGES)[number];
const DELIVERY_OUTCOMES = new Set(['delivered', 'bounced', 'failed', 'undeliverable']);

/** History fields shown inline; anything else (responses, payloads, skip details) goes in a JSON block. */
const INLINE = ['provider', 'adapter', 'attempt', 'error', 'code', 'reason', 'retryable', 'retryAfterMs', 'source', 'url'] as const;
const BLOCKS: Record<string, string> = { payload: 'Webhook payload', response: 'Provider response' };

function entries(m: MessageRow): Entry[] {
  return (Array.isArray(m.history) ? m.history : []).filter((e): e is Entry => typeof e === 'object' && e !== null && typeof e.status === 'string');
}

function stages(m: MessageRow, history: Entry[]): Html {
  if (m.status === 'skipped') return h`<p>${badge('skipped')} Never sent: ${m.reason ?? 'no reason recorded'}.</p>`;
  const sent = history.find((e) => e.status === 'sent');
  const reached: Record<Stage, Entry | undefined> = {
    queued: history.find((e) => e.status === 'queued'),
    // A send the providers refused has a `failed` entry in place of `sent`.
    sent: sent ?? history.find((e) => e.status === 'failed'),
    // Delivery outcomes count only once the message was sent: the first one reported stands (status/status.ts).
    delivered: sent ? history.find((e) => DELIVERY_OUTCOMES.has(e.status) && Date.parse(e.at) >= Date.parse(sent.at)) : undefined,
    seen: history.find((e) => e.status === 'seen'),
    read: history.find((e) => e.status === 'read'),
    opened: history.find((e) => e.status === 'opened') ?? history.find((e) => e.status === 'read'),
    clicked: history.find((e) => e.status === 'clicked'),
  };
  const items = (m.channel === 'inapp' ? INAPP_STAGES : STAGES).map((stage) => {
    const entry = reached[stage];
    const bad = entry !== undefined && entry.status !== stage && entry.status !== 'read';
    return h`<li class="${entry ? 'reached' : ''}${bad ? ' bad' : ''}"><strong>${entry && entry.status !== stage ? entry.status : stage}</strong>${entry ? time(entry.at) : h`<span>not yet</span>`}</li>`;
  });
  return h`<ol class="stages" aria-label="Delivery stages">${items}</ol>`;
}

function timeline(history: Entry[]): Html {
  if (!history.length) return h`<p class="muted">No history recorded.</p>`;
  const sorted = [...history].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return h`<ol class="timeline">${sorted.map((e) => {
    const inline = INLINE.filter((k) => e[k] !== undefined && e[k] !== null).map((k) => h`<span class="muted">${k}</span> ${String(e[k])}`);
    const rest = Object.entries(e).filter(([k]) => k !== 'status' && k !== 'at' && !(INLINE as readonly string[]).includes(k));
    return h`<li>
  <span class="when">${time(e.at)}</span>
  ${badge(e.status)} ${inline.map((part, i) => h`${i ? ' · ' : ''}${part}`)}
  ${rest.map(([k, v]) => h`<details${k === 'payload' ? h` class="payload"` : ''}><summary>${BLOCKS[k] ?? k}</summary>${json(v, `${BLOCKS[k] ?? k} (${e.status})`)}</details>`)}
</li>`;
  })}</ol>`;
}

function parseContent(channel: string, content: unknown): NonNullable<ChannelContent[Channel]> | null {
  const parsed = channelContentSchema.safeParse({ [channel]: content });
  return parsed.success ? ((parsed.data as Record<string, ChannelContent[Channel]>)[channel] ?? null) : null;
}

function contentView(m: MessageRow): Html {
  if (m.content === null || m.content === undefined) {
    return h`<p class="muted">No content: ${m.status === 'skipped' || m.status === 'failed' ? 'nothing was rendered for this message' : 'the runtime does not keep rendered content (HERALD_REDACT=content)'}.</p>`;
  }
  const c = parseContent(m.channel, m.content);
  if (c === null) return json(m.content, 'Content');
  if (m.channel === 'email' && 'subject' in c) {
    return h`<div class="content">
  <dl class="facts"><dt>Subject</dt><dd class="subject">${c.subject}</dd></dl>
  ${
    c.html !== undefined
      ? h`<iframe class="email-frame" sandbox="" srcdoc="${c.html}" title="Email body, as the recipient saw it"></iframe>
      <p class="muted">Shown in a sandbox (no scripts, forms or navigation outside the frame); remote images are not loaded.</p>`
      : ''
  }
  ${c.text !== undefined ? h`<details${c.html === undefined ? h` open` : ''}><summary>Plain-text part</summary><pre class="bubble text-part">${c.text}</pre></details>` : ''}
</div>`;
  }
  if (m.channel === 'sms' && 'body' in c && typeof c.body === 'string' && !('title' in c)) {
    const seg = smsSegments(c.body);
    return h`<div class="content"><p class="bubble sms-body">${c.body}</p>
  <p class="muted">${seg.segments} segment${seg.segments === 1 ? '' : 's'} · ${seg.encoding} · ${seg.characters} ${seg.encoding === 'GSM-7' ? 'characters' : 'UTF-16 units'}</p></div>`;
  }
  if ('title' in c) {
    return h`<div class="content"><dl class="facts">
  <dt>Title</dt><dd>${c.title}</dd>
  <dt>Body</dt><dd>${c.body}</dd>
  ${'actionUrl' in c && c.actionUrl !== undefined ? h`<dt>Action URL</dt><dd>${c.actionUrl}</dd>` : ''}
  ${'data' in c && c.data !== undefined ? h`<dt>Data</dt><dd>${json(c.data, 'Push data')}</dd>` : ''}
</dl></div>`;
  }
  return json(m.content, 'Content');
}

export function messagePage(m: MessageRow): Html {
  const history = entries(m);
  const payloads = history.filter((e) => e.payload !== undefined);
  const responses = history.filter((e) => e.response !== undefined);
  const body = h`<p class="muted"><a href="${urls.messages()}">Messages</a> › message</p>
<h1>${m.workflow} · ${m.step_id} <span class="muted">(${m.channel})</span></h1>
<dl class="facts panel">
  <dt>Status</dt><dd>${badge(m.status)}${m.reason ? h` <span class="muted">${m.reason}</span>` : ''}</dd>
  <dt>Message id</dt><dd><code>${m.id}</code></dd>
  <dt>Recipient</dt><dd>${userLink(m.user_id)}</dd>
  <dt>Workflow</dt><dd><a href="${urls.workflow(m.workflow)}">${m.workflow}</a>, step ${m.step_id}, template ${m.template}</dd>
  <dt>Run</dt><dd><a href="${urls.run(m.run_id)}" id="run-link">${m.run_id}</a></dd>
  <dt>Channel</dt><dd>${m.channel}</dd>
  <dt>Provider</dt><dd>${m.provider ?? dash}${m.provider_message_id ? h` <span class="muted">id</span> <code>${m.provider_message_id}</code>` : ''}</dd>
  <dt>Created</dt><dd>${time(m.created_at)}</dd>
  <dt>Updated</dt><dd>${time(m.updated_at)}</dd>
</dl>
<section aria-labelledby="h-timeline">
  <h2 id="h-timeline">Timeline</h2>
  ${stages(m, history)}
  ${timeline(history)}
</section>
<section aria-labelledby="h-content">
  <h2 id="h-content">Content</h2>
  ${contentView(m)}
</section>
<section aria-labelledby="h-provider">
  <h2 id="h-provider">Provider responses</h2>
  ${m.provider_response === null || m.provider_response === undefined ? h`<p class="muted">No response kept for the accepted send.</p>` : json(m.provider_response, 'Provider response to the accepted send')}
  ${responses.map((e) => h`<h3>${e.status} at ${time(e.at)}${typeof e.provider === 'string' ? h` (${e.provider})` : ''}</h3>${json(e.response, `Provider response (${e.status})`)}`)}
</section>
<section aria-labelledby="h-webhooks">
  <h2 id="h-webhooks">Webhook payloads</h2>
  ${
    payloads.length
      ? payloads.map(
          (e) =>
            h`<h3>${e.status} at ${time(e.at)}${typeof e.source === 'string' ? h` from ${e.source}` : ''}</h3>${json(e.payload, `Webhook payload (${e.status})`)}`,
        )
      : h`<p class="muted">No webhook payloads for this message${m.status === 'skipped' ? '' : ' (yet, or HERALD_REDACT=payloads)'}.</p>`
  }
</section>`;
  return page({ title: `Message ${m.id}`, section: 'messages', body });
}
