/**
 * Where a launch lands (Post/Redirect/Get, so a reload never re-posts a used id_token): a
 * participant on the activity's journal, a coach on its settings (or on the setup page of a link
 * added by hand), a Deep Linking request on the picker.
 */
import type { LaunchHandler } from '../../lti';
import type { Audience, LaunchContext } from '../../domain/launch';
import { HttpError } from '../../http/errors';
import { activityPath, coursePath, withLtik } from '../../http/paths';
import type { CoachingService } from '../service';

/** The course-level page of an audience (admin console, mentor room, participant "not ready"). */
export function audiencePath(ctx: Pick<LaunchContext, 'courseKey'>, audience: Audience): string {
  return `${coursePath(ctx.courseKey)}/${audience}`;
}

export function createLanding(coaching: CoachingService): { onLaunch: LaunchHandler; onDeepLinking: LaunchHandler } {
  const onLaunch: LaunchHandler = async (ctx, ltik, req, res) => {
    if (!ctx.audience) {
      throw new HttpError(403, 'error.noAudience', {
        roles: ctx.roles.map((r) => r.split(/[#/]/).pop()).join(', ') || '–',
      });
    }
    const activity = await coaching.activityForLaunch(ctx);
    let target: string;
    if (ctx.audience === 'admin') target = audiencePath(ctx, 'admin');
    else if (ctx.audience === 'coach')
      target = activity ? `${activityPath(ctx.courseKey, activity._id)}/manage` : `${coursePath(ctx.courseKey)}/setup`;
    else if (ctx.audience === 'participant')
      target = activity ? activityPath(ctx.courseKey, activity._id) : audiencePath(ctx, 'participant');
    else target = activity ? `${activityPath(ctx.courseKey, activity._id)}/mentor` : audiencePath(ctx, 'mentor');
    res.redirect(303, withLtik(target, ltik));
  };

  const onDeepLinking: LaunchHandler = async (ctx, ltik, req, res) => {
    if (ctx.audience !== 'coach' && ctx.audience !== 'admin') {
      throw new HttpError(403, 'error.forbidden');
    }
    res.redirect(303, withLtik(`${coursePath(ctx.courseKey)}/deep-linking`, ltik));
  };

  return { onLaunch, onDeepLinking };
}
