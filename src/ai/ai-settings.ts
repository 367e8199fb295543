/**
 * The AI settings an admin changes while Cermin runs: which lenses participants are offered and
 * the token budgets. One record for the instance (the agency runs Cermin for its platforms),
 * read through a change mark so every instance sees a change on its next request without reading
 * the record each time. Start-up configuration gives the defaults.
 */
import { Schema } from 'mongoose';
import { MarkedValue } from '../db/change-marks';
import { defineModel, putById } from '../db/model';
import { ajv, describeSchemaError } from '../validation';
import type { BudgetSettings } from './limits';

export interface AiRuntimeSettings extends BudgetSettings {
  /** Lens ids not offered to anyone (the activity's AI mode still narrows the rest). */
  disabledLenses: string[];
}

interface SettingsDoc { _id: string; settings: AiRuntimeSettings; updatedAt: Date; updatedBy: string }
const settingsSchema = new Schema<SettingsDoc>({
  _id: { type: String, required: true }, settings: { type: Schema.Types.Mixed, required: true }, updatedAt: Date, updatedBy: String,
}, { collection: 'ai_settings', autoIndex: false, _id: false, minimize: false });
const SettingsRecord = defineModel('AiRuntimeSettings', settingsSchema);

const RECORD_ID = 'instance';
const MARK = 'ai-settings';

export const validateAiSettings = ajv.compile<AiRuntimeSettings>({
  type: 'object', additionalProperties: false, required: ['disabledLenses', 'userDailyTokens', 'courseMonthlyTokens'],
  properties: {
    disabledLenses: { type: 'array', maxItems: 50, uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,40}$' } },
    userDailyTokens: { type: 'integer', minimum: 0, maximum: 100_000_000 },
    courseMonthlyTokens: { type: 'integer', minimum: 0, maximum: 10_000_000_000 },
  },
});

export class AiSettingsStore {
  private readonly inForce: MarkedValue<AiRuntimeSettings>;

  constructor(private readonly defaults: AiRuntimeSettings, private readonly knownLenses: readonly string[]) {
    this.inForce = new MarkedValue(MARK, async () => {
      const doc = await SettingsRecord.findById(RECORD_ID).lean<SettingsDoc>();
      return doc && validateAiSettings(doc.settings) ? doc.settings : this.defaults;
    });
  }

  /** The settings in force: the admin's, else the start-up configuration's. */
  current(): Promise<AiRuntimeSettings> {
    return this.inForce.get();
  }

  async isAdminSet(): Promise<boolean> {
    return Boolean(await SettingsRecord.findById(RECORD_ID).lean<SettingsDoc>());
  }

  /** Stores valid settings (every lens named must exist); returns the problems otherwise. */
  async set(settings: unknown, by: string): Promise<{ ok: true } | { ok: false; problems: string[] }> {
    if (!validateAiSettings(settings)) return { ok: false, problems: (validateAiSettings.errors ?? []).map(describeSchemaError) };
    const unknown = settings.disabledLenses.filter((l) => !this.knownLenses.includes(l));
    if (unknown.length) return { ok: false, problems: unknown.map((l) => `unknown lens ${l}`) };
    await putById(SettingsRecord, RECORD_ID, { settings, updatedAt: new Date(), updatedBy: by });
    await this.inForce.changed(); // this instance sees its own change at once
    return { ok: true };
  }
}
