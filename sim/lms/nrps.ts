/**
 * Names and Role Provisioning Service, shaped like Moodle's: no `limit` returns
 * the whole course, every member is Active, there is no `differences` link,
 * and the `next` link drops the `role` filter (a Moodle quirk tools must survive).
 * Unlike Moodle, a member can be made Inactive or Deleted, or removed from the
 * results altogether (someone who left the course), for the tools' roster sync.
 */
import type { Router } from 'express';
import { SERVICE_SCOPE, type ServiceContext } from './ags';
import type { DemoUser } from './roster';

const CT_MEMBERSHIPS = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';

/** Matches a full role URI or Moodle's accepted short form ("Learner", "Instructor"). */
function hasRole(user: DemoUser, role: string): boolean {
  return user.roles.some((r) => r === role || r.endsWith(`#${role}`));
}

export function registerNrpsRoutes(router: Router, ctx: ServiceContext): void {
  router.get(
    '/api/courses/:courseId/memberships',
    ctx.fault('nrps'),
    (req, res, next) => {
      if (req.params.courseId !== ctx.course.id) {
        res.status(404).json({ error: 'not_found', error_description: `unknown course ${req.params.courseId}` });
        return;
      }
      next();
    },
    ctx.requireScope([SERVICE_SCOPE.memberships]),
    (req, res) => {
      // The site administrator launches but is not enrolled, so, as in Moodle, is not a member.
      let members = ctx.users.filter((u) => u.kind !== 'admin' && !ctx.membership.removed.has(u.id));
      const role = typeof req.query.role === 'string' && req.query.role !== '' ? req.query.role : undefined;
      if (role) members = members.filter((u) => hasRole(u, role));

      const limit = typeof req.query.limit === 'string' ? Number.parseInt(req.query.limit, 10) : NaN;
      const fromRaw = typeof req.query.from === 'string' ? Number.parseInt(req.query.from, 10) : 0;
      const from = Number.isFinite(fromRaw) && fromRaw > 0 ? fromRaw : 0;
      let page = members;
      if (Number.isFinite(limit) && limit > 0) {
        page = members.slice(from, from + limit);
        if (from + limit < members.length) {
          // Deliberately without `role`, like Moodle's.
          res.set('Link', `<${ctx.membershipsUrl}?limit=${limit}&from=${from + limit}>; rel="next"`);
        }
      }
      const body = {
        id: ctx.membershipsUrl,
        context: { id: ctx.course.id, label: ctx.course.label, title: ctx.course.title },
        members: page.map((u) => ({
          status: ctx.membership.status.get(u.id) ?? 'Active',
          name: u.name,
          given_name: u.givenName,
          family_name: u.familyName,
          email: u.email,
          user_id: u.id,
          roles: u.roles,
          lis_person_sourcedid: ctx.sourcedIdOf(u),
        })),
      };
      res.status(200).type(CT_MEMBERSHIPS).send(JSON.stringify(body));
    },
  );
}
