/**
 * `/inbox/example?token=…`: a stand-in for the customer's own page, showing the two lines that embed the
 * inbox. A real host page gets its token from its own backend (signInboxToken); here it comes in the URL so
 * the page can be tried with a token made on the command line.
 */

/** A token's shape (two base64url parts): anything else is not put in the page at all. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{1,512}$/;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Strict, since the page holds a token: only our own script and API, no inline script, no framing. */
export const EXAMPLE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function examplePage(token: string | undefined): string {
  const valid = token !== undefined && TOKEN_SHAPE.test(token);
  const inbox = valid ? `<herald-inbox token="${escapeHtml(token)}"></herald-inbox>` : '';
  const notice = valid
    ? ''
    : `<p class="notice" role="alert">${token ? 'That token is not one Herald issues.' : 'No token given.'} Open this page as <code>/inbox/example?token=&lt;token&gt;</code>, with a token signed by <code>signInboxToken(HERALD_INBOX_SECRET, userId, ttl)</code> (see runtime/inbox/README.md).</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald inbox: example host page</title>
<link rel="icon" href="data:,">
<style>
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; background: #f9fafb; }
  .bar { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 8px 16px; background: #fff; border-bottom: 1px solid #e5e7eb; }
  .brand { font-weight: 700; font-size: 18px; }
  main { max-width: 720px; margin: 0 auto; padding: 24px 16px; }
  pre { overflow-x: auto; padding: 12px; background: #111827; color: #f9fafb; border-radius: 8px; font-size: 14px; }
  .notice { padding: 12px; border: 1px solid #b91c1c; border-radius: 8px; background: #fef2f2; }
</style>
</head>
<body>
<header class="bar">
  <span class="brand">Acme</span>
  ${inbox}
</header>
<main>
  <h1>Embedding the Herald inbox</h1>
  ${notice}
  <p>The bell above is Herald's inbox widget, embedded the way your own page would embed it:</p>
<pre><code>&lt;script src="https://herald.example.com/inbox.js" defer&gt;&lt;/script&gt;
&lt;herald-inbox api="https://herald.example.com" token="&lt;token from your backend&gt;"&gt;&lt;/herald-inbox&gt;</code></pre>
  <p>Your backend signs the token for the signed-in user with <code>HERALD_INBOX_SECRET</code>; it expires, and it only
  ever reads that user's inbox. When it expires the widget fires <code>herald-inbox-expired</code>: set a fresh
  <code>token</code> attribute and it reconnects.</p>
</main>
<script src="/inbox.js" defer></script>
</body>
</html>
`;
}
