import type { FastifyInstance } from 'fastify';
import type { CoreDeps, Feature } from '../types.js';
import { createInvitations, type Invitations } from './invitations.js';
import { invitationsMigration } from './tables.js';
import { registerInvitationRoutes } from './routes.js';

export interface InvitationsFeature extends Feature { readonly invitations: Invitations }

/** Invitations to join an organisation (members invite; the invitee redeems a one-time code). */
export function createInvitationsFeature(deps: CoreDeps): InvitationsFeature {
  const invitations = createInvitations(deps);
  return {
    name: 'invitations',
    migrations: { '0040_invitations': invitationsMigration },
    async register(app: FastifyInstance) { registerInvitationRoutes(app, invitations); },
    invitations,
  };
}
export { createInvitations, INVITATION_TTL_MS, type Invitations } from './invitations.js';
