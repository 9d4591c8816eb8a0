/**
 * The runtime's secrets, each in its own Secrets Manager entry (`herald/<stack>/<name>`): the API key and
 * link-signing secret (generated), the SendGrid, Twilio, Firebase and Segment credentials and SendGrid's
 * webhook verification key from stack config, and the optional extra API keys and Segment browser key. The task receives them as ECS `secrets` — references the ECS agent
 * resolves at start — so no value is ever in the task definition, its environment, or a plain input.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import type { SecretSettings } from './settings.ts';

/** One ECS container secret: the variable and where the agent reads it from (an ARN, or ARN:jsonKey::). */
export interface ContainerSecret {
  name: string;
  valueFrom: pulumi.Output<string>;
}

interface Entry {
  /** The entry's last name segment. */
  id: string;
  description: string;
  /** The value (plain string) or, for several variables from one entry, a JSON object of them. */
  value: pulumi.Output<string> | pulumi.Output<Record<string, string>> | undefined;
  /** Variable → JSON key (for object values) or null (the whole string). */
  variables: Record<string, string | null>;
  /** A setting most stacks do without: no entry at all when unset (rather than an empty one on the to-do list). */
  optional?: true;
}

export class AppSecrets extends pulumi.ComponentResource {
  /** What the task definition's `secrets` lists: only entries that hold a value. */
  readonly containerSecrets: ContainerSecret[];
  /** Every entry's ARN that the task may read (the execution role's exact resources). */
  readonly readableArns: pulumi.Output<string>[];
  /** Entries created empty because their config is unset (the stack outputs them as a to-do). */
  readonly unset: string[];

  constructor(name: string, args: { stack: string; production: boolean; settings: SecretSettings }, opts?: pulumi.ComponentResourceOptions) {
    super('herald:infra:AppSecrets', name, {}, opts);
    const o = { parent: this };
    const s = args.settings;
    const generated = (id: string) => new random.RandomPassword(`${name}-${id}`, { length: 48, special: false }, o).result;
    const twilio = s.twilioAccountSid && s.twilioAuthToken ? pulumi.all({ accountSid: s.twilioAccountSid, authToken: s.twilioAuthToken }) : undefined;
    const entries: Entry[] = [
      { id: 'api-key', description: 'HERALD_API_KEY: the API bearer key', value: s.apiKey ?? generated('api-key'), variables: { HERALD_API_KEY: null } },
      // Its own secret, so rotating the API key does not break the unsubscribe links already sent.
      {
        id: 'signing-secret',
        description: 'HERALD_SIGNING_SECRET: signs links in messages',
        value: generated('signing-secret'),
        variables: { HERALD_SIGNING_SECRET: null },
      },
      { id: 'sendgrid', description: 'SENDGRID_API_KEY', value: s.sendgridApiKey, variables: { SENDGRID_API_KEY: null } },
      {
        id: 'twilio',
        description: 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (JSON)',
        value: twilio,
        variables: { TWILIO_ACCOUNT_SID: 'accountSid', TWILIO_AUTH_TOKEN: 'authToken' },
      },
      {
        id: 'firebase',
        description: 'FIREBASE_SERVICE_ACCOUNT: the service-account JSON',
        value: s.firebaseServiceAccount,
        variables: { FIREBASE_SERVICE_ACCOUNT: null },
      },
      { id: 'segment', description: 'SEGMENT_WRITE_KEY', value: s.segmentWriteKey, variables: { SEGMENT_WRITE_KEY: null } },
      // A public key, kept here all the same: whoever can replace it can forge delivery and engagement events.
      {
        id: 'sendgrid-webhook',
        description: 'SENDGRID_WEBHOOK_PUBLIC_KEY: verifies the Signed Event Webhook',
        value: s.sendgridWebhookPublicKey,
        variables: { SENDGRID_WEBHOOK_PUBLIC_KEY: null },
      },
      { id: 'api-keys', description: 'HERALD_API_KEYS: further API keys', value: s.apiKeys, variables: { HERALD_API_KEYS: null }, optional: true },
      {
        id: 'segment-browser',
        description: 'SEGMENT_BROWSER_WRITE_KEY',
        value: s.segmentBrowserWriteKey,
        variables: { SEGMENT_BROWSER_WRITE_KEY: null },
        optional: true,
      },
    ];

    this.containerSecrets = [];
    this.readableArns = [];
    this.unset = [];
    for (const entry of entries) {
      if (entry.optional && !entry.value) continue;
      const secret = new aws.secretsmanager.Secret(
        `${name}-${entry.id}`,
        { name: `herald/${args.stack}/${entry.id}`, description: entry.description, recoveryWindowInDays: args.production ? 30 : 0 },
        o,
      );
      if (!entry.value) {
        this.unset.push(entry.id);
        continue;
      }
      const value: pulumi.Output<string> = (entry.value as pulumi.Output<string | Record<string, string>>).apply((v) =>
        typeof v === 'string' ? v : JSON.stringify(v),
      );
      const version = new aws.secretsmanager.SecretVersion(`${name}-${entry.id}`, { secretId: secret.id, secretString: pulumi.secret(value) }, o);
      // Through the version, so a task never starts before its value exists.
      const arn = pulumi.all([secret.arn, version.id]).apply(([a]) => a);
      this.readableArns.push(secret.arn);
      for (const [variable, key] of Object.entries(entry.variables)) {
        this.containerSecrets.push({ name: variable, valueFrom: key ? pulumi.interpolate`${arn}:${key}::` : arn });
      }
    }
    this.registerOutputs({});
  }
}
