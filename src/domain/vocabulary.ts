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
