import type { FastifyInstance } from 'fastify';
import {
  acceptInvitationRoute, addMemberRoute, createInvitationRoute, listInvitationsRoute, revokeInvitationRoute,
} from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import { checkGrant } from '../orgs/routes.js';
import type { Invitations } from './invitations.js';

const notice = 'This is the only time the code is shown. Send it to the invitee privately; they run `hangar login --url <engine> --invite <code>` within 7 days.';

export function registerInvitationRoutes(app: FastifyInstance, invitations: Invitations): void {
  for (const route of [createInvitationRoute, addMemberRoute]) {
    registerRoute(app, route, async ({ body, request }) => {
      const auth = requireRole(request, 'admin');
      checkGrant(auth.role, body.role);
      const created = await invitations.invite(auth.orgId, body.email, body.role, auth.actor.name);
      return { ...created, notice };
    });
  }

  registerRoute(app, listInvitationsRoute, async ({ query, request }) => {
    const auth = requireRole(request, 'admin');
    return { invitations: await invitations.list(auth.orgId, query.all === 'true') };
  });

  registerRoute(app, revokeInvitationRoute, async ({ params, request }) => {
    const auth = requireRole(request, 'admin');
    return { invitation: await invitations.revoke(auth.orgId, params.invitationId, auth.actor.name) };
  });

  // Public (the invitee may have no account yet); a caller who sends their credential is that account.
  registerRoute(app, acceptInvitationRoute, async ({ body, request }) => {
    const id = request.identity;
    return invitations.accept(body, id && id.actor.kind !== 'ci' ? { userId: id.userId } : undefined);
  });
}
