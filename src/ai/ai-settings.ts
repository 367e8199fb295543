/**
 * The AI settings an admin changes while Cermin runs: which lenses participants are offered and
 * the token budgets. One record for the instance (the agency runs Cermin for its platforms),
 * read through a change mark so every instance sees a change on its next request without reading
 * the record each time. Start-up configuration gives the defaults.
 */
import { Schema } from 'mongoose';
import { currentMark, markChanged, MARK_RECHECK_MS } from '../db/change-marks';
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
  private cached?: { checkedAt: number; mark: string; settings: AiRuntimeSettings };

  constructor(private readonly defaults: AiRuntimeSettings, private readonly knownLenses: readonly string[]) {}

  /** The settings in force: the admin's, else the start-up configuration's. */
  async current(): Promise<AiRuntimeSettings> {
    if (this.cached && Date.now() - this.cached.checkedAt < MARK_RECHECK_MS) return this.cached.settings;
    const mark = await currentMark(MARK);
    if (this.cached?.mark === mark) {
      this.cached.checkedAt = Date.now();
      return this.cached.settings;
    }
    const doc = await SettingsRecord.findById(RECORD_ID).lean<SettingsDoc>();
    const settings = doc && validateAiSettings(doc.settings) ? doc.settings : this.defaults;
    this.cached = { checkedAt: Date.now(), mark, settings };
    return settings;
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
    await markChanged(MARK);
    this.cached = undefined; // this instance sees its own change at once
    return { ok: true };
  }
}
