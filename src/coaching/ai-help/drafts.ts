/**
 * A coach asks for a draft of feedback and a rubric suggestion on a submitted journal: only the
 * entries the coach may see are read (never private ones), the participant's consent decides
 * whether the AI or the offline engine drafts, and the draft is stored on the review, apart from
 * any decision, for the review page to show as a draft.
 */
import type { CoachDrafter, DraftResult } from '../../ai/coach-draft';
import type { NameMatcher } from '../../ai/redaction';
import type { LaunchContext } from '../../domain/launch';
import type { ConsentService } from '../../consent/consent';
import type { ActivityDoc, EntryDoc } from '../models';
import type { ReviewDraft } from '../review/domain';
import type { ReviewService } from '../review/service';

export interface DraftServiceDeps {
  drafter: CoachDrafter;
  reviews: ReviewService;
  consent: ConsentService;
  namesOf(courseKey: string): Promise<NameMatcher>;
  pseudonymOf(platform: string, userId: string): string;
  now?: () => Date;
}

/** The engine's result as the review keeps it. */
export function reviewDraftOf(result: DraftResult, at: Date): ReviewDraft {
  return {
    engine: result.engine,
    ...(result.engine === 'ai'
      ? { model: result.model, promptVersion: result.promptVersion }
      : { offlineReason: result.reason }),
    feedback: result.answer.feedback,
    levels: result.answer.levels,
    ...(result.redactions ? { redactions: result.redactions } : {}),
    createdAt: at,
  };
}

export class DraftService {
  constructor(private readonly deps: DraftServiceDeps) {}

  /** Drafts from `entries` (the caller passes those the coach may see) and stores the draft on the review. */
  async draftFor(
    ctx: LaunchContext,
    activity: ActivityDoc,
    participant: { id: string; name?: string },
    entries: Array<Pick<EntryDoc, 'key' | 'text'>>,
    promptOf: (key: string) => string,
  ): Promise<ReviewDraft> {
    const result = await this.deps.drafter.draft({
      platform: ctx.platform.key,
      courseKey: activity.courseKey,
      activityId: activity._id,
      userKey: this.deps.pseudonymOf(ctx.platform.key, ctx.user.id),
      consented: await this.deps.consent.hasConsent(ctx.platform.key, participant.id),
      activity: {
        templateId: activity.templateId,
        title: activity.title,
        instructions: activity.instructions,
        locale: activity.locale,
        aiMode: activity.aiMode,
        rubric: activity.rubric,
      },
      entries: entries.map((e) => ({ prompt: promptOf(e.key), text: e.text })),
      names: await this.deps.namesOf(activity.courseKey),
      self: participant.name ? { name: participant.name } : undefined,
    });
    const draft = reviewDraftOf(result, (this.deps.now ?? (() => new Date()))());
    await this.deps.reviews.saveDraft(activity, participant, draft);
    return draft;
  }
}
