/**
 * The automation-bias monitor of a course, for its coaches and admins: per coach how often AI
 * drafts were accepted unchanged, how much they were edited, the drift between the AI's
 * suggested score and the final one, review time and a warning; the fairness view by activity
 * and by engine; blind re-marking against sighted marks; and what the cohort struggles with.
 * Figures come from src/privacy/monitor.ts and cohort-insight.ts (pure); groups under five are
 * withheld there.
 */
import { formatNumber } from '../http/format';
import express from 'express';
import type { QuestionBank } from '../ai/offline/engine';
import { valueName } from '../ai/offline/engine';
import type { CoachingService } from '../coaching/service';
import type { ReviewService } from '../coaching/review/service';
import { coursePath, withLtik } from '../http/paths';
import { handle } from '../http/async';
import { launchOf, requireAudience, ltikOf } from '../http/guards';
import { translator } from '../http/i18n';
import { sendPage } from '../http/render';
import { cohortInsight } from './cohort-insight';
import { blindFigures, coachFigures, decisionFact, fairness } from './monitor';

export function monitorRoutes(deps: {
  coaching: CoachingService;
  reviews: ReviewService;
  bank: QuestionBank;
}): express.Router {
  const router = express.Router({ mergeParams: true });

  router.get(
    '/monitor',
    requireAudience('coach', 'admin'),
    handle(async (_req, res) => {
      const ctx = launchOf(res);
      const t = translator(ctx.locale);
      const [activities, decisions, texts] = await Promise.all([
        deps.coaching.activitiesInCourse(ctx.courseKey),
        deps.reviews.decisionsInCourse(ctx.courseKey),
        deps.coaching.coachVisibleTexts(ctx.courseKey),
      ]);
      const byId = new Map(activities.map((a) => [a._id, a]));
      const facts = decisions.flatMap((d) => {
        const activity = byId.get(d.activityId);
        return activity
          ? [decisionFact({ activity, participantId: d.userId, decision: d.decision, draft: d.draft })]
          : [];
      });
      // Quotes only from what a participant chose to share as an example: nothing is marked so yet, so none are shown.
      const insight = cohortInsight(
        texts.map((x) => ({ participantId: x.userId, text: x.text, shared: false })),
        deps.bank,
      );
      await sendPage(res, 200, 'monitor', {
        locale: ctx.locale,
        title: t('monitor.title'),
        ctx,
        ltik: ltikOf(res),
        link: (path: string) => withLtik(path, ltikOf(res)),
        coachHome: `${coursePath(ctx.courseKey)}/coach`,
        coaches: coachFigures(facts),
        byActivity: fairness(facts, 'activity'),
        byEngine: fairness(facts, 'engine'),
        blind: blindFigures(facts),
        insight,
        valueName: (id: string) => valueName(deps.bank, id, ctx.locale),
        decisions: facts.length,
        pct: (x: number | undefined) => (x === undefined ? '–' : formatNumber(x, ctx.locale, 1)),
        minutes: (s: number | undefined) =>
          s === undefined
            ? '–'
            : t('monitor.minutes', {
                n: formatNumber(s / 60, ctx.locale, 1),
              }),
      });
    }),
  );

  return router;
}
