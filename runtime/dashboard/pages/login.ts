/** The login form: the API key, or the dashboard password when HERALD_DASHBOARD_PASSWORD is set. */
import { h, type Html } from '../html.ts';
import { page } from '../layout.ts';
import type { DashboardAuthSettings } from '../session.ts';

export interface LoginPageOptions {
  mode: DashboardAuthSettings['mode'];
  next: string;
  error?: string;
}

export function loginPage({ mode, next, error }: LoginPageOptions): Html {
  const what = mode === 'password' ? 'Dashboard password' : 'API key';
  const hint =
    mode === 'password'
      ? 'The password set in HERALD_DASHBOARD_PASSWORD.'
      : mode === 'off'
        ? 'Sign-in is off: the runtime has no admin API key and HERALD_DASHBOARD_PASSWORD is not set.'
        : 'The runtime’s HERALD_API_KEY (set HERALD_DASHBOARD_PASSWORD to sign in with a password instead).';
  const body = h`<div class="login panel">
  <h1>Sign in to the dashboard</h1>
  ${error ? h`<p class="error" role="alert" id="login-error">${error}</p>` : ''}
  <form method="post" action="/dashboard/login">
    <input type="hidden" name="next" value="${next}">
    <div>
      <label for="secret">${what}</label>
      <input id="secret" name="secret" type="password" autocomplete="current-password" required autofocus
        aria-describedby="secret-hint${error ? ' login-error' : ''}"${error ? h` aria-invalid="true"` : ''}>
      <p class="muted" id="secret-hint">${hint}</p>
    </div>
    <div><button type="submit">Sign in</button></div>
  </form>
</div>`;
  return page({ title: 'Sign in', section: 'none', body, signedIn: false });
}
