/**
 * The declared routes as the threat model's table (docs/security.md): method, path, authentication, scope,
 * body limit and rate limit of each. Generated, and compared with the document by a test, so the document
 * cannot drift from the code.
 */
import type { DeclaredRoute, RouteAuth } from './route.ts';

const AUTH_WORDS: Record<RouteAuth, string> = {
  none: 'none',
  'api-key': 'API key',
  'segment-write-key': 'Segment write key',
  'provider-signature': 'provider signature',
  'signed-link': 'signed link',
  'inbox-token': 'inbox user token',
  'dashboard-session': 'dashboard session',
  'dashboard-login': 'dashboard login',
};

function size(bytes: number): string {
  if (bytes === 0) return 'no body';
  if (bytes >= 1024 * 1024) return `${bytes / 1024 / 1024} MB`;
  return `${bytes / 1024} KB`;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function routeTableMarkdown(routes: readonly DeclaredRoute[]): string {
  const sorted = [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  const lines = ['| method | path | authentication | scope | body limit | rate limit | notes |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of sorted) {
    lines.push(
      `| ${r.method} | \`${r.path}\` | ${AUTH_WORDS[r.auth]} | ${r.scope ?? '—'} | ${size(r.body)} | ${cell(r.rate ?? '—')} | ${cell(r.note ?? '')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
