/**
 * Broadcasts in `herald diff` (added, removed, renamed, changed: recipients, rate, window, category, steps) and in
 * `herald graph` (a broadcast drawn as the workflow its runs execute, headed by who it reaches, its rate and window).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Broadcast, Bundle } from '../../compiler/bundle/schema.ts';
import { diffBundles } from '../../compiler/diff/diff.ts';
import { renderMarkdown } from '../../compiler/diff/markdown.ts';
import { broadcastsBundle } from './bundle.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'herald-broadcast-graph-'));
let base: Bundle;

beforeAll(async () => {
  base = await broadcastsBundle();
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function withBroadcasts(bundle: Bundle, edit: (b: Record<string, Broadcast>) => Record<string, Broadcast>): Bundle {
  const { version: _v, formatVersion: _f, ...content } = bundle;
  return sealBundle({ ...content, broadcasts: edit({ ...content.broadcasts }) });
}

function herald(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [join(root, 'compiler/cli/herald.js'), ...args], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('herald diff', () => {
  it('lists broadcasts added, removed, renamed and changed, with their audience or list, rate and window', () => {
    const head = withBroadcasts(base, (b) => {
      const { spring, slow, branded } = b;
      const window = { days: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 720, timezone: 'user' };
      const changedSlow = { ...slow!, recipients: { audience: 'eu-free-plan' }, rate: { max: 500, perMs: 60_000 }, window };
      const steps = spring!.steps.map((s) => (s.kind === 'send' ? { ...s, template: 'ping-text' } : s));
      return {
        'french-news': b['french-news']!,
        slow: changedSlow,
        'spring-2': { ...spring!, id: 'spring-2' },
        summer: { ...spring!, id: 'summer', steps },
        autumn: { ...branded!, id: 'autumn' },
      };
    });
    // `branded` is renamed `autumn` (nothing else differs); `spring` became `spring-2` (a rename too).
    const diff = diffBundles(base, head);
    expect(diff.broadcasts.renamed).toEqual([
      { from: 'branded', to: 'autumn' },
      { from: 'spring', to: 'spring-2' },
    ]);
    expect(diff.broadcasts.added).toEqual([{ id: 'summer', summary: 'to `list newsletter` · rate `unlimited` · 1 step · category `promotions`' }]);
    expect(diff.broadcasts.removed).toEqual([]);
    const slow = diff.broadcasts.changed.find((c) => c.id === 'slow')!;
    expect(slow.changes.map((c) => c.summary)).toEqual([
      'recipients `list slowlist` → `audience eu-free-plan`',
      'rate `60/min` → `500/min`',
      "send window any time → Mon–Fri 09:00–12:00 (user's timezone)",
    ]);
    const markdown = renderMarkdown(diff, head);
    expect(markdown).toContain('### Broadcasts');
    expect(markdown).toContain('- `summer`: to `list newsletter`');
    expect(markdown).toContain('- rate `60/min` → `500/min`');

    const removed = diffBundles(
      base,
      withBroadcasts(base, ({ slow }) => ({ slow: slow! })),
    );
    expect(removed.broadcasts.removed.map((r) => r.id)).toEqual(['branded', 'french-news', 'spring']);
    const pinged = (b: Broadcast) => ({ ...b, steps: b.steps.map((s) => (s.kind === 'send' ? { ...s, template: 'ping-text' } : s)) });
    const steps = diffBundles(
      base,
      withBroadcasts(base, (b) => ({ ...b, spring: pinged(b.spring!) })),
    );
    expect(steps.broadcasts.changed[0]!.changes.map((c) => c.summary)).toEqual([expect.stringMatching(/^send `send`: template `spring-text` → `ping-text`/)]);
  });
});

describe('herald graph', () => {
  it('draws a broadcast headed by its recipients, rate and window; an unknown id lists workflows and broadcasts', async () => {
    const bundlePath = join(work, 'bundle.json');
    writeFileSync(bundlePath, JSON.stringify(base));
    const mermaid = await herald(['graph', 'slow', '--bundle', bundlePath]);
    expect(mermaid.stderr).toBe('');
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toContain('broadcast slow to list slowlist');
    expect(mermaid.stdout).toContain('rate 60/min');
    expect(mermaid.stdout).toContain('category promotions');
    expect(mermaid.stdout).toContain('send send');
    const svg = await herald(['graph', 'spring', '--bundle', bundlePath, '--format', 'svg']);
    expect(svg.code).toBe(0);
    expect(svg.stdout).toContain('broadcast spring to list newsletter');
    const unknown = await herald(['graph', 'slwo', '--bundle', bundlePath]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "slow"?');
    expect(unknown.stderr).toContain('broadcasts: branded, french-news, slow, spring');
    const audience = await herald(['graph', 'french-news', '--bundle', bundlePath]);
    expect(audience.stdout).toContain('broadcast french-news to audience french');
  });
});
