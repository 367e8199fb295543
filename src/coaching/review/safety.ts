/**
 * Safety alerts on the coach's side: the badge every coach landing shows while an alert is open
 * (not "new since the last visit": open until a coach says "Sudah saya tindak lanjuti"), and the
 * list the roster shows with each alert's follow-up. The alerts themselves are written where the
 * signal is found (ai-help/turns.ts).
 */
import { coursePath, withLtik } from '../../http/paths';
import { openSafetyAlerts, type SafetyAlertDoc } from '../ai-help/turns';

export interface SafetyBadge {
  open: number;
  /** The roster's alert list, where each alert links to the participant's work and can be closed. */
  href: string;
}

export type OpenAlertsOf = (courseKey: string) => Promise<SafetyAlertDoc[]>;

export async function safetyBadge(
  courseKey: string,
  ltik: string,
  openAlertsOf: OpenAlertsOf = openSafetyAlerts,
): Promise<SafetyBadge> {
  const open = (await openAlertsOf(courseKey)).length;
  return { open, href: `${withLtik(`${coursePath(courseKey)}/roster`, ltik)}#alerts-h` };
}
