/**
 * Cermin's own LTI collections beside ltijs's: the deployment allow-list and the nonce store.
 * ltijs never checks deployment_id and remembers a nonce only ~10 s, so both live here.
 */
import { Schema } from 'mongoose';
import { defineModel } from '../db/model';

export interface DeploymentDoc {
  platformId: string;
  iss: string;
  clientId: string;
  deploymentId: string;
  createdAt: Date;
}
export interface NonceDoc {
  iss: string;
  nonce: string;
  expiresAt: Date;
}
/** `pending`: registered dynamically without the registration key, waiting for the instance operator (launches refused until approved). */
export interface PlatformMetaDoc {
  iss: string;
  clientId: string;
  registeredVia: 'dynamic' | 'manual' | 'demo';
  grantedScopes: string[];
  pending?: boolean;
  updatedAt: Date;
}

const deploymentSchema = new Schema<DeploymentDoc>(
  {
    platformId: { type: String, required: true },
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    createdAt: { type: Date, default: Date.now },
  },
  { collection: 'cermin_deployments', autoIndex: false },
);
deploymentSchema.index({ iss: 1, clientId: 1, deploymentId: 1 }, { unique: true });

// Expiry is swept by Cermin itself (lti/sweeper.ts: not every engine has TTL indexes), so no `expires` here.
const nonceSchema = new Schema<NonceDoc>(
  {
    iss: { type: String, required: true },
    nonce: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'cermin_nonces', autoIndex: false },
);
nonceSchema.index({ iss: 1, nonce: 1 }, { unique: true });
nonceSchema.index({ expiresAt: 1 });

/** What ltijs does not keep about a platform: how it came and which scopes it granted. */
const platformMetaSchema = new Schema<PlatformMetaDoc>(
  {
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    registeredVia: { type: String, required: true },
    grantedScopes: { type: [String], default: [] },
    pending: { type: Boolean },
    updatedAt: { type: Date, default: Date.now },
  },
  { collection: 'cermin_platform_meta', autoIndex: false },
);
platformMetaSchema.index({ iss: 1, clientId: 1 }, { unique: true });

/**
 * Each OIDC login Cermin started, by its state (`_id`, so a launch finds it in one read on any
 * database): its parameters, the nonce it sent and the origin of the platform's authentication
 * endpoint it sent the browser to. A launch must answer one of these with the same nonce; a launch
 * whose state cookie was blocked is bound to it by its Origin, or offered "open in a new window"
 * with the same parameters.
 */
export interface LoginRequestDoc {
  _id: string;
  params: Record<string, string>;
  nonce: string;
  authOrigin: string;
  expiresAt: Date;
}
const loginRequestSchema = new Schema<LoginRequestDoc>(
  {
    _id: { type: String, required: true },
    params: { type: Schema.Types.Mixed, required: true },
    nonce: { type: String, required: true },
    authOrigin: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'cermin_oidc_logins', autoIndex: false, _id: false },
);

/** Whom a mentor mentors in a course, from the launch's role_scope_mentor claim (ltijs drops it). */
export interface MentorScopeDoc {
  iss: string;
  clientId: string;
  deploymentId: string;
  courseId: string;
  mentorId: string;
  menteeIds: string[];
  updatedAt: Date;
}
const mentorScopeSchema = new Schema<MentorScopeDoc>(
  {
    iss: { type: String, required: true },
    clientId: { type: String, required: true },
    deploymentId: { type: String, required: true },
    courseId: { type: String, required: true },
    mentorId: { type: String, required: true },
    menteeIds: { type: [String], default: [] },
    updatedAt: { type: Date, default: Date.now },
  },
  { collection: 'cermin_mentor_scopes', autoIndex: false },
);
mentorScopeSchema.index({ iss: 1, clientId: 1, deploymentId: 1, courseId: 1, mentorId: 1 }, { unique: true });

export const Deployment = defineModel('CerminDeployment', deploymentSchema);
export const Nonce = defineModel('CerminNonce', nonceSchema);
export const PlatformMeta = defineModel('CerminPlatformMeta', platformMetaSchema);
export const LoginRequest = defineModel('CerminLoginRequest', loginRequestSchema);
export const MentorScope = defineModel('CerminMentorScope', mentorScopeSchema);
