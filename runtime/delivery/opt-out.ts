/**
 * A recipient's opt-out reported by a provider (a send refused with Twilio's 21610, or a status callback that
 * says so), recorded on the profile so later sends skip the channel. One place for both paths.
 */
import * as sql from '../db/sql.ts';
import { exec, type SqlClient } from '../db/sql-client.ts';
import type { OptOut } from './providers/types.ts';

export async function recordOptOut(tx: SqlClient, userId: string, optOut: OptOut): Promise<void> {
  switch (optOut.channel) {
    case 'sms':
      await exec(tx, sql.setSmsOptOut(userId, true));
      return;
  }
}
