import { expect, it } from 'vitest';
import { createLogger, logSandboxDelivery, prettyLine } from './log.ts';

it('writes JSON lines, or one readable line per entry on a terminal', () => {
  const lines: string[] = [];
  const delivery = { at: '', messageId: 'm-1', provider: 'sendgrid', channel: 'email', to: 'ada@example.com', content: { subject: 'Welcome,\n  Ada' } };
  logSandboxDelivery(createLogger({ write: (l) => lines.push(l) }), delivery);
  expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'sandbox email to ada@example.com: Welcome, Ada', message: 'm-1', provider: 'sendgrid' });
  expect(prettyLine(lines[0]!)).toMatch(/^\d\d:\d\d:\d\d info {2}sandbox email to ada@example\.com: Welcome, Ada {2}message=m-1 provider=sendgrid\n$/);
  expect(prettyLine('not json')).toBe('not json');
});

it('logs an error with its message, code and stack, not the database client a pool hangs on it', () => {
  const lines: string[] = [];
  const error = Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
    client: { connectionParameters: { user: 'herald', host: '/tmp/pg', password: 'never-printed' } },
  });
  createLogger({ write: (l) => lines.push(l) }).error({ err: error }, error.message);
  const entry = JSON.parse(lines[0]!) as { err: Record<string, unknown> };
  expect(entry.err).toMatchObject({ type: 'Error', message: error.message, code: '57P01', stack: expect.stringContaining('log.test.ts') });
  expect(lines[0]).not.toContain('connectionParameters');
  expect(lines[0]).not.toContain('never-printed');
});
