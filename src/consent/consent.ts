/**
 * Consent to AI help, per person and platform, with the version of the text they agreed to. A new
 * consent text (a new version) asks again; withdrawing is one call. Each change is also kept as an
 * insert-only event, so what a person agreed to, and when, can be shown and exported.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Schema } from 'mongoose';
import { deleteAll, findAll, type PersonDataProvider } from '../db/person-data';
import { idOf } from '../db/ids';
import { defineModel, isDuplicateKey, putById } from '../db/model';
import { MarkedValues } from '../db/change-marks';
import { INSTANCE } from '../domain/launch';
import { projectRoot } from '../core/paths';
import { ajv, describeSchemaError } from '../core/validation';

export interface ConsentText {
  version: number;
  id: { title: string; body: string[]; accept: string; decline: string; withdraw: string };
  en: { title: string; body: string[]; accept: string; decline: string; withdraw: string };
}

const localized = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'body', 'accept', 'decline', 'withdraw'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    body: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 2000 } },
    accept: { type: 'string', minLength: 1, maxLength: 200 },
    decline: { type: 'string', minLength: 1, maxLength: 200 },
    withdraw: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;
export const validateConsentText = ajv.compile<ConsentText>({
  type: 'object',
  additionalProperties: false,
  required: ['version', 'id', 'en'],
  properties: { version: { type: 'integer', minimum: 1 }, id: localized, en: localized },
});

export function loadConsentText(file = path.join(projectRoot, 'config', 'consent.json')): ConsentText {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!validateConsentText(parsed)) {
    throw new Error(
      `${path.basename(file)}: ${(validateConsentText.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`,
    );
  }
  return parsed;
}

/** The text as shown: the provider, model and retention filled in. */
export function renderConsent(
  text: ConsentText,
  locale: 'id' | 'en',
  facts: { provider: string; model: string; retentionDays: number },
): ConsentText['id'] {
  const fill = (s: string) =>
    s.replace(/\{(provider|model|retentionDays)\}/g, (_m, k: keyof typeof facts) => String(facts[k]));
  const t = text[locale];
  return { ...t, title: fill(t.title), body: t.body.map(fill) };
}

export interface ConsentDoc {
  _id: string;
  platform: string;
  userId: string;
  version: number;
  givenAt?: Date;
  withdrawnAt?: Date;
  textHash?: string;
}
interface ConsentEventDoc {
  _id: string;
  consentId: string;
  action: 'given' | 'withdrawn';
  version: number;
  at: Date;
  textHash?: string;
}

const consentSchema = new Schema<ConsentDoc>(
  {
    _id: { type: String, required: true },
    platform: String,
    userId: String,
    version: Number,
    givenAt: Date,
    withdrawnAt: Date,
    textHash: String,
  },
  { collection: 'ai_consents', autoIndex: false, _id: false },
);
const eventSchema = new Schema<ConsentEventDoc>(
  {
    _id: { type: String, required: true },
    consentId: { type: String, required: true },
    action: String,
    version: Number,
    at: Date,
    textHash: String,
  },
  { collection: 'ai_consent_events', autoIndex: false, _id: false },
);
eventSchema.index({ consentId: 1, at: 1 });

export const Consent = defineModel('AiConsent', consentSchema);
export const ConsentEvent = defineModel('AiConsentEvent', eventSchema);

/**
 * The consent text's versions, per platform with the instance's as default: the file in config/ is
 * version 1 of an install's history; the operator's edits (scope `*`) are the instance's next
 * versions, which every platform without its own text follows; a platform admin's edit is that
 * platform's own next version, and from then on the platform follows only its own. Insert-only
 * (what a person agreed to stays readable); the newest is in force. Read through a change mark.
 */
interface TextVersionDoc {
  _id: string;
  scope?: string;
  version: number;
  text: ConsentText;
  at: Date;
  by: string;
}
const textVersionSchema = new Schema<TextVersionDoc>(
  {
    _id: { type: String, required: true },
    scope: String,
    version: { type: Number, required: true },
    text: { type: Schema.Types.Mixed, required: true },
    at: Date,
    by: String,
  },
  { collection: 'ai_consent_texts', autoIndex: false, _id: false, minimize: false },
);
const TextVersion = defineModel('AiConsentTextVersion', textVersionSchema);
const TEXT_MARK = 'consent-text';

/** The instance's versions keep the `_id`s they always had (`v2`, …); a platform's are prefixed with its key. */
const versionId = (scope: string, version: number) => (scope === INSTANCE ? `v${version}` : `${scope}:v${version}`);

export class ConsentTextStore {
  private readonly inForce: MarkedValues<ConsentText>;

  constructor(private readonly fromFile: ConsentText) {
    this.inForce = new MarkedValues(TEXT_MARK, async (platform) => {
      const own = platform === INSTANCE ? undefined : (await this.versions(platform))[0];
      if (own) return own.text;
      const instance = (await this.versions(INSTANCE))[0];
      return instance && instance.version > this.fromFile.version ? instance.text : this.fromFile;
    });
  }

  /** The text in force for a platform (its key; `*`: the instance's default). */
  current(platform: string): Promise<ConsentText> {
    return this.inForce.get(platform);
  }

  /** Whether the platform has a text of its own (else it follows the instance's). */
  async hasOwn(platform: string): Promise<boolean> {
    return platform !== INSTANCE && (await this.versions(platform)).length > 0;
  }

  /** Every version stored in this scope, newest first (the instance's: the file's is the one before the first). */
  async versions(scope: string): Promise<TextVersionDoc[]> {
    // A handful of records in all; those stored before platforms had their own are the instance's (no scope).
    return (await TextVersion.find({}).lean<TextVersionDoc[]>())
      .filter((v) => (v.scope ?? INSTANCE) === scope)
      .sort((a, b) => b.version - a.version);
  }

  /** Stores `text` (without a version) as the scope's next version; the insert of a version number decides between two admins at once. */
  async publish(
    scope: string,
    text: Omit<ConsentText, 'version'>,
    by: string,
  ): Promise<{ ok: true; version: number } | { ok: false; reason: 'invalid' | 'race'; problems: string[] }> {
    const version = (await this.current(scope)).version + 1;
    const candidate = { version, id: text.id, en: text.en };
    if (!validateConsentText(candidate))
      return { ok: false, reason: 'invalid', problems: (validateConsentText.errors ?? []).map(describeSchemaError) };
    try {
      await TextVersion.create({ _id: versionId(scope, version), scope, version, text: candidate, at: new Date(), by });
    } catch (err) {
      if (isDuplicateKey(err))
        return {
          ok: false,
          reason: 'race',
          problems: ['another admin published a version at the same moment: reload and try again'],
        };
      throw err;
    }
    await this.inForce.changed(); // this instance sees its own change at once
    return { ok: true, version };
  }
}

export class ConsentService {
  /**
   * `facts` are what the text names (provider, model, retention): agreeing to send text to one
   * provider is not agreeing to another, so a change of any of them asks again, as a new text does.
   * Given as a function, they are read at each question, for the person's platform (each platform's
   * admin may choose its provider and how long its AI conversations are kept).
   */
  constructor(
    private readonly source: ConsentText | ConsentTextStore,
    private readonly facts: Record<string, unknown> | ((platform: string) => Promise<Record<string, unknown>>) = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The text in force for a platform (a store's newest version, or the fixed text given). */
  async text(platform: string): Promise<ConsentText> {
    return this.source instanceof ConsentTextStore ? this.source.current(platform) : this.source;
  }

  /** The text in force and its hash with the facts it names for this platform (read once per question). */
  private async current(platform: string): Promise<{ version: number; hash: string }> {
    const [text, facts] = await Promise.all([
      this.text(platform),
      typeof this.facts === 'function' ? this.facts(platform) : this.facts,
    ]);
    return {
      version: text.version,
      hash: crypto
        .createHash('sha256')
        .update(JSON.stringify([text, facts]))
        .digest('base64url')
        .slice(0, 16),
    };
  }

  /**
   * Where this person (their platform's key, their user id) stands with the question as it is now,
   * from one read: `given` — consent to the current text is in force; `mustAsk` — they have not
   * answered it (never, or before the text, provider or model changed; declining is an answer).
   */
  async state(platform: string, userId: string): Promise<{ given: boolean; mustAsk: boolean }> {
    const [doc, now] = await Promise.all([
      Consent.findById(idOf('ac', platform, userId)).lean<ConsentDoc>(),
      this.current(platform),
    ]);
    const answered = Boolean(doc && doc.textHash === now.hash);
    return {
      given: answered && Boolean(doc?.givenAt && !doc.withdrawnAt && doc.version === now.version),
      mustAsk: !answered,
    };
  }

  async hasConsent(platform: string, userId: string): Promise<boolean> {
    return (await this.state(platform, userId)).given;
  }

  async mustAsk(platform: string, userId: string): Promise<boolean> {
    return (await this.state(platform, userId)).mustAsk;
  }

  async status(platform: string, userId: string): Promise<ConsentDoc | null> {
    return Consent.findById(idOf('ac', platform, userId)).lean<ConsentDoc>();
  }

  async give(platform: string, userId: string): Promise<void> {
    await this.change(platform, userId, 'given');
  }

  async withdraw(platform: string, userId: string): Promise<void> {
    await this.change(platform, userId, 'withdrawn');
  }

  async history(platform: string, userId: string): Promise<ConsentEventDoc[]> {
    return ConsentEvent.find({ consentId: idOf('ac', platform, userId) })
      .sort({ at: 1 })
      .lean<ConsentEventDoc[]>();
  }

  private async change(platform: string, userId: string, action: 'given' | 'withdrawn'): Promise<void> {
    const consentId = idOf('ac', platform, userId);
    const at = this.now();
    const { hash: textHash, version } = await this.current(platform);
    // The event first: what the person did is kept even if the summary write fails.
    await ConsentEvent.create({
      _id: crypto.randomBytes(12).toString('base64url'),
      consentId,
      action,
      version,
      at,
      textHash,
    });
    await putById(
      Consent,
      consentId,
      action === 'given'
        ? { platform, userId, version, givenAt: at, textHash }
        : { platform, userId, version, withdrawnAt: at, textHash },
    );
  }
}

/** A person's consent record and its history: theirs to download and to have erased. */
export const consentPrivacy: PersonDataProvider = {
  id: 'consent',
  // The record's `_id` is derived from the person, so neither collection is searched by anything else.
  async exportFor(p) {
    const consentId = idOf('ac', p.platform.key, p.userId);
    return { consents: await findAll(Consent, { _id: consentId }), events: await findAll(ConsentEvent, { consentId }) };
  },
  async eraseFor(p) {
    const consentId = idOf('ac', p.platform.key, p.userId);
    return {
      events: await deleteAll(ConsentEvent, { consentId }),
      consents: await deleteAll(Consent, { _id: consentId }),
    };
  },
};
