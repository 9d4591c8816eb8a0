import { settings } from 'herald';

/**
 * Project-wide settings. Retention bounds how long runs, messages and waits are kept, so no `waitFor`
 * timeout or digest window in this folder may be longer than it.
 */
export default settings({ retention: '30d' });
