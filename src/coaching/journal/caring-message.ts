/**
 * What a participant reads when their writing raised a safety signal: warm and brief, with people
 * to reach (the national lines, their coach), saying a coach has been told whenever there are hits.
 * The words are in the locales (safety.*), reviewed with the domain articles; the numbers are
 * Indonesia's: SEJIWA 119 ext. 8 and the emergency number 112.
 */
import type { SafetyResult } from '../../ai/safety';
import type { Locale } from '../../domain/launch';
import { translator } from '../../http/i18n';

export interface CaringMessage {
  title: string;
  body: string;
  contacts: Array<{ label: string; value: string }>;
}

export function caringMessage(result: SafetyResult, locale: Locale, contacts: { coachName?: string }): CaringMessage {
  const t = translator(locale);
  const coachName = contacts.coachName?.trim() || undefined;
  const hasHits = result.hits.length > 0 || result.top !== null;
  const title = t(result.stepBack ? 'safety.title.stepBack' : hasHits ? 'safety.title.thanks' : 'safety.title.talk');
  const parts: string[] = [];
  if (result.top) parts.push(t(`safety.opener.${result.top}`));
  if (result.stepBack) parts.push(t('safety.stepBack'));
  if (hasHits) parts.push(coachName ? t('safety.coachTold', { coach: coachName }) : t('safety.courseCoachTold'));
  parts.push(t('safety.hotline'));
  if (hasHits && !result.stepBack) parts.push(t('safety.continue'));
  const list = [
    { label: t('safety.contact.sejiwa'), value: t('safety.contact.sejiwaNumber') },
    { label: t('safety.contact.emergency'), value: '112' },
  ];
  if (coachName) list.push({ label: t('safety.contact.coach'), value: coachName });
  return { title, body: parts.join(' '), contacts: list };
}
