/** Messages and runs: one message's fate, engagements recorded by hand, a run's path, cancelling a run. */
import type { Router } from './route.ts';
import { auditRequest } from '../audit/routes.ts';
import { z } from 'zod';
import { engagementKindSchema } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { one, rows } from '../db/sql-client.ts';
import { processFact } from '../execution/batch.ts';
import { recordMessageEvent } from '../status/message-events.ts';
import { readBody } from './body.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';
import { presentMessage, presentRun } from './present.ts';
import { lookupFresh } from './reads.ts';

const engagementBody = z.object({
  // Every kind the engine knows: `seen` and `read` report an in-app message by hand, as the inbox API does.
  event: engagementKindSchema,
  url: z.url().optional(),
  at: z.iso.datetime().optional(),
});

function uuidParam(value: string, what: string): string {
  if (!z.uuid().safeParse(value).success) throw new HttpError(404, 'not_found', `no ${what} "${value}"`);
  return value;
}

export function runRoutes(routes: Router, deps: AppDeps) {
  // Lookups by id read the replica, then the primary on a miss (http/reads.ts): a message just made is never a 404.
  routes.get('/v1/messages/:id', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const id = uuidParam(c.req.param('id'), 'message');
    const message = await lookupFresh(c, deps, (db) => one<sql.MessageRow>(db, sql.messageById(id)));
    if (!message) throw new HttpError(404, 'not_found', `no message "${c.req.param('id')}"`);
    return c.json({ message: presentMessage(message) });
  });

  routes.post('/v1/messages/:id/events', { auth: 'api-key', scope: 'trigger', body: 4 * 1024 }, async (c) => {
    const id = uuidParam(c.req.param('id'), 'message');
    const { value } = await readBody(c, engagementBody);
    const updated = await deps.db.transaction(async (tx) => {
      const message = await one<sql.MessageRow>(tx, sql.lockMessage(id));
      if (!message) throw new HttpError(404, 'not_found', `no message "${id}"`);
      if (message.status === 'skipped' || message.status === 'queued') {
        throw new HttpError(400, 'invalid_request', `message "${id}" was never sent (status ${message.status}); it cannot be ${value.event}`);
      }
      return recordMessageEvent(deps.driver, tx, message, value.event, { source: 'api', ...(value.url ? { url: value.url } : {}) });
    });
    return c.json({ message: presentMessage(updated) }, 202);
  });

  routes.get('/v1/runs/:id', { auth: 'api-key', scope: 'read', body: 0 }, async (c) => {
    const id = uuidParam(c.req.param('id'), 'run');
    // The run and its messages from one server: both as of the same moment of the primary's history.
    const found = await lookupFresh(c, deps, async (db) => {
      const run = await one<sql.RunRow>(db, sql.runById(id));
      return run && { run, messages: await rows<sql.MessageRow>(db, sql.messagesOfRun(run)) };
    });
    if (!found) throw new HttpError(404, 'not_found', `no run "${c.req.param('id')}"`);
    return c.json({ run: { ...presentRun(found.run), messages: found.messages.map(presentMessage) } });
  });

  routes.post('/v1/runs/:id/cancel', { auth: 'api-key', scope: 'admin', body: 0 }, async (c) => {
    const id = uuidParam(c.req.param('id'), 'run');
    // Applied at once, through the same engine path as any fact: the answer shows the run cancelled.
    const state = await deps.db.transaction((tx) =>
      processFact(deps.driver, tx, { runId: id, fact: { type: 'cancel', now: deps.driver.now(), reason: 'api' } }),
    );
    if (!state) throw new HttpError(404, 'not_found', `no run "${id}"`);
    await auditRequest(c, deps, { action: 'run_cancelled', target: `run:${id}`, details: { status: state.status } });
    return c.json({ run: { id, status: state.status } });
  });
}
