/**
 * Which AI provider a platform's participants use, now: the one their platform's admin set in the
 * console (address, model, name participants see, API key), else the one the instance operator
 * set, else the one the environment configured at start. A key is encrypted at rest (AES-256-GCM
 * with a key derived from LTI_KEY), never shown again (only whether one is set), never given to
 * another scope's address, and dropped when its own address changes: a key is a secret between
 * Cermin and one server. Read through a change mark, so every instance switches on its next
 * request; everything that names the provider (consent, the "why this answer" card, the
 * transparency page) asks here, so a change of provider or model asks participants for consent again.
 */
import crypto from 'node:crypto';
import { Schema } from 'mongoose';
import { MarkedValues } from '../db/change-marks';
import { INSTANCE } from '../domain/launch';
import { defineModel, putById } from '../db/model';
import { ajv, describeSchemaError, httpUrlSchema } from '../core/validation';
import { AiProvider, type ProviderSettings } from './provider';
import type { GuardedFetch } from '../outbound/guarded-fetch';

export interface ProviderChoice {
  /** Absent: no provider (the offline engine answers). */
  provider?: AiProvider;
  /** How participants see it named. */
  name: string;
  model: string;
  baseUrl: string | null;
  /** `platform`: set by the platform's own admin; `instance`: by the operator; `environment`: at start. */
  source: 'platform' | 'instance' | 'environment';
  /**
   * The stored API key cannot be opened (LTI_KEY changed since it was sealed, or the record was
   * damaged): the provider is used without a key (its calls fail and the offline engine answers)
   * and the admin page asks for the key again, rather than every page failing.
   */
  keyUnreadable?: boolean;
}

interface SealedKey {
  iv: string;
  tag: string;
  data: string;
}
interface ProviderDoc {
  _id: string;
  baseUrl: string;
  model: string;
  name: string;
  key?: SealedKey;
  updatedAt: Date;
  updatedBy: string;
}
const providerSchema = new Schema<ProviderDoc>(
  {
    _id: { type: String, required: true },
    baseUrl: String,
    model: String,
    name: String,
    key: Schema.Types.Mixed,
    updatedAt: Date,
    updatedBy: String,
  },
  { collection: 'ai_provider', autoIndex: false, _id: false },
);
const ProviderRecord = defineModel('AiProviderSetting', providerSchema);

const MARK = 'ai-provider';
/** The operator's record keeps the `_id` it always had. */
const recordId = (scope: string) => (scope === INSTANCE ? 'instance' : `platform:${scope}`);

export const validateProviderForm = ajv.compile<{
  baseUrl: string;
  model: string;
  name: string;
  apiKey?: string;
  clearKey?: '1';
  ltik?: string;
  csrf?: string;
}>({
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'model', 'name'],
  properties: {
    baseUrl: httpUrlSchema,
    model: { type: 'string', minLength: 1, maxLength: 200 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    apiKey: { type: 'string', maxLength: 1000 },
    clearKey: { const: '1' },
    ltik: { type: 'string', maxLength: 4096 },
    csrf: { type: 'string', maxLength: 200 },
  },
});

/** Seals and opens the stored API key with a key derived from the instance secret. */
class KeySealer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = crypto.createHash('sha256').update(`cermin:ai-provider-key:${secret}`).digest();
  }

  seal(plain: string): SealedKey {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  open(sealed: SealedKey): string {
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  }
}

export class ProviderSource {
  private readonly inForce = new MarkedValues<ProviderChoice>(MARK, (platform) => this.load(platform));
  private readonly sealer: KeySealer;
  private readonly fromEnvironment: ProviderChoice;

  /**
   * `fetch`: the guarded client of the operator's providers (the environment's and the instance's);
   * `platformFetch`: the one of a platform admin's, whose allow list is only what the operator named
   * for everyone (default `fetch`).
   */
  constructor(
    private readonly env: Omit<ProviderSettings, 'baseUrl'> & { baseUrl?: string; name: string },
    secret: string,
    private readonly opts: { fetch?: GuardedFetch; platformFetch?: GuardedFetch } = {},
  ) {
    this.sealer = new KeySealer(secret);
    this.fromEnvironment = {
      provider: env.baseUrl ? new AiProvider({ ...env, baseUrl: env.baseUrl }, { fetch: opts.fetch }) : undefined,
      name: env.name,
      model: env.model,
      baseUrl: env.baseUrl ?? null,
      source: 'environment',
    };
  }

  /** The provider in force for a platform (its key; `*`: the instance's). One mark read per call; the records only when they changed. */
  current(platform: string): Promise<ProviderChoice> {
    return this.inForce.get(platform);
  }

  /** Whether this scope set a provider of its own. */
  async isSet(scope: string): Promise<boolean> {
    return Boolean(await ProviderRecord.findById(recordId(scope)).lean<ProviderDoc>());
  }

  private async load(platform: string): Promise<ProviderChoice> {
    for (const scope of platform === INSTANCE ? [INSTANCE] : [platform, INSTANCE]) {
      const doc = await ProviderRecord.findById(recordId(scope)).lean<ProviderDoc>();
      if (doc) return this.choiceOf(doc, scope === INSTANCE ? 'instance' : 'platform');
    }
    return this.fromEnvironment;
  }

  private choiceOf(doc: ProviderDoc, source: ProviderChoice['source']): ProviderChoice {
    // Timeouts, retries and the embedding model stay as started: only what an agency switches is here.
    let apiKey: string | undefined;
    let keyUnreadable = false;
    try {
      apiKey = doc.key ? this.sealer.open(doc.key) : undefined;
    } catch {
      keyUnreadable = true;
    }
    return {
      provider: new AiProvider(
        { ...this.env, baseUrl: doc.baseUrl, model: doc.model, apiKey },
        { fetch: source === 'platform' ? (this.opts.platformFetch ?? this.opts.fetch) : this.opts.fetch },
      ),
      name: doc.name,
      model: doc.model,
      baseUrl: doc.baseUrl,
      source,
      ...(keyUnreadable ? { keyUnreadable } : {}),
    };
  }

  /**
   * Sets a scope's provider from its admin's form. An empty key field keeps the scope's stored key
   * only while the address stays the same: a key is never sent to an address it was not given for
   * (an admin who changes only the address and presses "test connection" would otherwise send the
   * stored key to the new server). `clearKey` drops it in any case.
   */
  async set(
    scope: string,
    form: unknown,
    by: string,
  ): Promise<{ ok: true; key: 'replaced' | 'kept' | 'cleared' | 'none' } | { ok: false; problems: string[] }> {
    if (!validateProviderForm(form))
      return { ok: false, problems: (validateProviderForm.errors ?? []).map(describeSchemaError) };
    const old = await ProviderRecord.findById(recordId(scope)).lean<ProviderDoc>();
    const sameAddress = old?.baseUrl === form.baseUrl;
    const key = form.clearKey
      ? undefined
      : form.apiKey
        ? this.sealer.seal(form.apiKey)
        : sameAddress
          ? old?.key
          : undefined;
    await putById(ProviderRecord, recordId(scope), {
      baseUrl: form.baseUrl,
      model: form.model,
      name: form.name,
      key,
      updatedAt: new Date(),
      updatedBy: by,
    });
    await this.inForce.changed(); // this instance sees its own change at once
    const keyOutcome = form.apiKey ? 'replaced' : key ? 'kept' : old?.key ? 'cleared' : 'none';
    return { ok: true, key: keyOutcome };
  }

  /** Back to what the scope inherits (a platform: the instance's; the instance: the environment's). */
  async reset(scope: string): Promise<void> {
    await ProviderRecord.deleteOne({ _id: recordId(scope) });
    await this.inForce.changed(); // this instance sees its own change at once
  }
}
