/**
 * Words every feature uses, defined once and below all of them: a feature that needs one imports
 * it from here, not from another feature's models.
 */

/** How much AI help an activity offers: none, the mirror's questions, or also the coach's drafts. */
export type AiMode = 'off' | 'mirror' | 'all';

/** A platform registration: its key (from issuer and client id), issuer and client id. */
export interface PlatformIdentity {
  key: string;
  issuer: string;
  clientId: string;
}

/** Who may read a journal entry besides its writer. */
export type Visibility = 'private' | 'coach' | 'mentor';

/** The seven BerAKHLAK core values of the ASN, by the ids templates, lenses and the catalog use. */
export const BERAKHLAK_VALUES = [
  'berorientasi-pelayanan',
  'akuntabel',
  'kompeten',
  'harmonis',
  'loyal',
  'adaptif',
  'kolaboratif',
] as const;
export type BerakhlakValue = (typeof BERAKHLAK_VALUES)[number];

/** The seven values as participants know them. */
export const VALUE_NAMES: Readonly<Record<BerakhlakValue, { id: string; en: string }>> = {
  'berorientasi-pelayanan': { id: 'Berorientasi Pelayanan', en: 'Service-oriented' },
  akuntabel: { id: 'Akuntabel', en: 'Accountable' },
  kompeten: { id: 'Kompeten', en: 'Competent' },
  harmonis: { id: 'Harmonis', en: 'Harmonious' },
  loyal: { id: 'Loyal', en: 'Loyal' },
  adaptif: { id: 'Adaptif', en: 'Adaptive' },
  kolaboratif: { id: 'Kolaboratif', en: 'Collaborative' },
};

/** The GROW coaching model's phases, in order: where a reflection stands. */
export const GROW_PHASES = ['goal', 'reality', 'options', 'will'] as const;
export type GrowPhase = (typeof GROW_PHASES)[number];

export const PHASE_NAMES: Readonly<Record<GrowPhase, { id: string; en: string }>> = {
  goal: { id: 'Goal (tujuan)', en: 'Goal' },
  reality: { id: 'Reality (kenyataan)', en: 'Reality' },
  options: { id: 'Options (pilihan)', en: 'Options' },
  will: { id: 'Will (langkah)', en: 'Will' },
};
