/**
 * The AI settings an admin changes while Cermin runs: which lenses participants are offered and
 * the token budgets. Each platform's admin sets their own platform's; the operator sets the
 * instance's (`*`), which every platform without its own follows; the start-up configuration gives
 * the defaults of both. Read through a change mark, so every instance sees a change on its next
 * request without reading the records each time.
 */
import { Schema } from 'mongoose';
import { MarkedValues } from '../db/change-marks';
import { INSTANCE } from '../domain/launch';
import { defineModel, putById } from '../db/model';
import { ajv, describeSchemaError } from '../core/validation';
import type { BudgetSettings } from './limits';

export interface AiRuntimeSettings extends BudgetSettings {
  /** Lens ids not offered to anyone (the activity's AI mode still narrows the rest). */
  disabledLenses: string[];
}

interface SettingsDoc {
  _id: string;
  settings: AiRuntimeSettings;
  updatedAt: Date;
  updatedBy: string;
}
const settingsSchema = new Schema<SettingsDoc>(
  {
    _id: { type: String, required: true },
    settings: { type: Schema.Types.Mixed, required: true },
    updatedAt: Date,
    updatedBy: String,
  },
  { collection: 'ai_settings', autoIndex: false, _id: false, minimize: false },
);
const SettingsRecord = defineModel('AiRuntimeSettings', settingsSchema);

const MARK = 'ai-settings';
/** The operator's record keeps the `_id` it always had. */
const recordId = (scope: string) => (scope === INSTANCE ? 'instance' : `platform:${scope}`);

export const validateAiSettings = ajv.compile<AiRuntimeSettings>({
  type: 'object',
  additionalProperties: false,
  required: ['disabledLenses', 'userDailyTokens', 'courseMonthlyTokens'],
  properties: {
    disabledLenses: {
      type: 'array',
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,40}$' },
    },
    userDailyTokens: { type: 'integer', minimum: 0, maximum: 100_000_000 },
    courseMonthlyTokens: { type: 'integer', minimum: 0, maximum: 10_000_000_000 },
  },
});

export class AiSettingsStore {
  private readonly inForce: MarkedValues<AiRuntimeSettings>;

  constructor(
    private readonly defaults: AiRuntimeSettings,
    private readonly knownLenses: readonly string[],
  ) {
    this.inForce = new MarkedValues(MARK, async (platform) => {
      for (const scope of platform === INSTANCE ? [INSTANCE] : [platform, INSTANCE]) {
        const doc = await SettingsRecord.findById(recordId(scope)).lean<SettingsDoc>();
        if (doc && validateAiSettings(doc.settings)) return doc.settings;
      }
      return this.defaults;
    });
  }

  /** The settings in force for a platform (its key; `*`: the instance's): its own, else the instance's, else the start-up configuration's. */
  current(platform: string): Promise<AiRuntimeSettings> {
    return this.inForce.get(platform);
  }

  /** Whether this scope has settings of its own (else it follows the instance's, or the start-up configuration). */
  async isAdminSet(scope: string): Promise<boolean> {
    return Boolean(await SettingsRecord.findById(recordId(scope)).lean<SettingsDoc>());
  }

  /** Stores valid settings for a scope (every lens named must exist); returns the problems otherwise. */
  async set(scope: string, settings: unknown, by: string): Promise<{ ok: true } | { ok: false; problems: string[] }> {
    if (!validateAiSettings(settings))
      return { ok: false, problems: (validateAiSettings.errors ?? []).map(describeSchemaError) };
    const unknown = settings.disabledLenses.filter((l) => !this.knownLenses.includes(l));
    if (unknown.length) return { ok: false, problems: unknown.map((l) => `unknown lens ${l}`) };
    await putById(SettingsRecord, recordId(scope), { settings, updatedAt: new Date(), updatedBy: by });
    await this.inForce.changed(); // this instance sees its own change at once
    return { ok: true };
  }
}
