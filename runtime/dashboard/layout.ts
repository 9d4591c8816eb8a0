/** The page shell every dashboard page shares: head, skip link, navigation, sign-out, and the assets. */
import { ASSET_URLS } from './assets.ts';
import { h, urls, type Html } from './html.ts';

export type Section = 'messages' | 'workflows' | 'broadcasts' | 'providers' | 'audit' | 'none';

const NAV: { section: Exclude<Section, 'none'>; href: string; label: string }[] = [
  { section: 'messages', href: urls.messages(), label: 'Messages' },
  { section: 'workflows', href: urls.workflows(), label: 'Workflows' },
  { section: 'broadcasts', href: urls.broadcasts(), label: 'Broadcasts' },
  { section: 'providers', href: urls.providers(), label: 'Providers' },
  { section: 'audit', href: urls.audit(), label: 'Audit log' },
];

export interface PageOptions {
  title: string;
  section: Section;
  body: Html;
  /** False on the login page: no navigation, no sign-out. */
  signedIn?: boolean;
  /** Reload the page this often (a broadcast's progress while it runs); no script needed. */
  refreshSeconds?: number;
}

export function page({ title, section, body, signedIn = true, refreshSeconds }: PageOptions): Html {
  const nav = signedIn
    ? h`<nav aria-label="Dashboard">
        <ul>${NAV.map((n) => h`<li><a href="${n.href}"${n.section === section ? h` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul>
        <form method="post" action="/dashboard/logout" class="logout"><button type="submit">Sign out</button></form>
      </nav>`
    : '';
  return h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
${refreshSeconds ? h`<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<title>${title} · Herald</title>
<link rel="stylesheet" href="${ASSET_URLS.css}">
<script src="${ASSET_URLS.js}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${urls.messages()}">Herald</a>
  ${nav}
</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>`;
}

/** A page of its own for a missing message, user, run or workflow, or a refused query. */
export function problemPage(title: string, detail: string): Html {
  return page({ title, section: 'none', body: h`<h1>${title}</h1><p>${detail}</p><p><a href="${urls.messages()}">Back to messages</a></p>` });
}
