/**
 * The platform registry: Moodle sites Cermin trusts, their deployments, and the values an admin
 * types into Moodle. Used by the CLI (`npm run platform`), the admin pages and dynamic
 * registration. Platforms and their keys are stored by ltijs (private keys encrypted with LTI_KEY).
 */
import mongoose from 'mongoose';
import type { LtijsProvider } from './ltijs';
import { retryLostUpsert } from '../db/model';
import { Deployment, PlatformMeta, type DeploymentDoc, type PlatformMetaDoc } from './models';

export interface PlatformInput {
  issuer: string;
  clientId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  name?: string;
  deploymentIds?: string[];
}

export interface PlatformSummary {
  platformId: string;
  name: string;
  issuer: string;
  clientId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  active: boolean;
  deploymentIds: string[];
  registeredVia?: PlatformMetaDoc['registeredVia'];
  grantedScopes: string[];
  /** Registered dynamically without the key: waits for the instance operator's approval. */
  pending: boolean;
}

/** The URLs Moodle's manual "Tool configuration" form asks for. */
export interface ToolUrls {
  toolUrl: string;
  loginUrl: string;
  redirectUris: string[];
  keysetUrl: string;
  deepLinkingUrl: string;
  /** Public form (no key): what anyone may be shown. */
  registrationUrl: string;
  /** With the registration key when one is configured: shown on admin pages only. */
  registrationUrlForAdmins: string;
  domain: string;
}

export function toolUrls(publicUrl: string, registrationKey?: string): ToolUrls {
  const launch = `${publicUrl}/lti/launch`;
  return {
    toolUrl: launch,
    loginUrl: `${publicUrl}/lti/login`,
    // One launch URL: Moodle matches redirect_uri exactly and ltijs uses the launch URL for it.
    redirectUris: [launch],
    keysetUrl: `${publicUrl}/lti/keys`,
    deepLinkingUrl: launch,
    registrationUrl: `${publicUrl}/lti/register`,
    registrationUrlForAdmins: registrationKey
      ? `${publicUrl}/lti/register?${new URLSearchParams({ key: registrationKey })}`
      : `${publicUrl}/lti/register`,
    domain: new URL(publicUrl).host,
  };
}

/** A deployment as launchable() lists it. */
export function launchableKey(issuer: string, clientId: string, deploymentId: string): string {
  return JSON.stringify([issuer, clientId, deploymentId]);
}

/** A pending registration older than this no longer counts towards MAX_PENDING. */
const PENDING_COUNTS_MS = 7 * 24 * 3600_000;

export class PlatformRegistry {
  /** `onChanged`: told after every change (keys, endpoints, deployments, on/off), so caches built from the registry are dropped. */
  constructor(
    private readonly lti: LtijsProvider,
    private readonly onChanged: () => void,
  ) {}

  /**
   * Registers a platform, or changes one (an operator's manual registration). `pending`: stored
   * inactive until approve(); a pending platform's launches and logins are refused.
   */
  async add(
    input: PlatformInput,
    opts: {
      active?: boolean;
      via?: PlatformMetaDoc['registeredVia'];
      grantedScopes?: string[];
      pending?: boolean;
    } = {},
  ): Promise<PlatformSummary> {
    // The meta record (with `pending`) first: launches are refused for a pending platform whatever
    // ltijs's own flag says, so a failure half-way leaves a platform that cannot launch.
    await retryLostUpsert(() =>
      PlatformMeta.updateOne(
        { iss: input.issuer, clientId: input.clientId },
        {
          $set: {
            registeredVia: opts.via ?? 'manual',
            grantedScopes: opts.grantedScopes ?? [],
            pending: Boolean(opts.pending),
            updatedAt: new Date(),
          },
        },
        { upsert: true },
      ),
    );
    const platform = await this.lti.registerPlatform({
      url: input.issuer,
      name: input.name ?? new URL(input.issuer).host,
      clientId: input.clientId,
      authenticationEndpoint: input.authUrl,
      accesstokenEndpoint: input.tokenUrl,
      authConfig: { method: 'JWK_SET', key: input.jwksUrl },
    });
    const platformId = await platform.platformKid();
    // ltijs keeps an "inactive" flag only for dynamic registrations; Cermin decides explicitly.
    await platform.platformActive(opts.pending ? false : (opts.active ?? true));
    for (const deploymentId of input.deploymentIds ?? [])
      await this.addDeployment(input.issuer, input.clientId, deploymentId, platformId);
    this.onChanged();
    return this.summary(platformId);
  }

  async addDeployment(issuer: string, clientId: string, deploymentId: string, platformId?: string): Promise<void> {
    const id = platformId ?? (await this.requirePlatform(issuer, clientId));
    await Deployment.updateOne(
      { iss: issuer, clientId, deploymentId },
      { $setOnInsert: { platformId: id, iss: issuer, clientId, deploymentId, createdAt: new Date() } },
      { upsert: true },
    );
    this.onChanged();
  }

  /** Whether a platform with this issuer and client id is registered. */
  async has(issuer: string, clientId: string): Promise<boolean> {
    return Boolean(await this.lti.getPlatform(issuer, clientId));
  }

  /** False when the platform had no such deployment. Launches through it are refused from now on. */
  async removeDeployment(issuer: string, clientId: string, deploymentId: string): Promise<boolean> {
    const removed = (await Deployment.deleteOne({ iss: issuer, clientId, deploymentId })).deletedCount === 1;
    this.onChanged();
    return removed;
  }

  /**
   * Turns a platform's launches on or off (ltijs refuses launches of an inactive platform); false
   * when there is no such platform. Only the operator calls this: turning a pending platform on
   * approves it.
   */
  async setActive(issuer: string, clientId: string, active: boolean): Promise<boolean> {
    const p = await this.lti.getPlatform(issuer, clientId);
    if (!p) return false;
    await p.platformActive(active);
    if (active)
      await PlatformMeta.updateOne(
        { iss: issuer, clientId, pending: true },
        { $set: { pending: false, updatedAt: new Date() } },
      );
    this.onChanged();
    return true;
  }

  /**
   * Every (issuer, client id, deployment id) that may use Cermin now: the deployments of active
   * platforms. What a session is checked against on each request, so that turning a platform off
   * or removing a deployment ends its sessions, not only its next launches.
   */
  async launchable(): Promise<Set<string>> {
    const [platforms, deployments, pending] = await Promise.all([
      this.lti.getAllPlatforms(),
      Deployment.find({}, { iss: 1, clientId: 1, deploymentId: 1 }).lean<DeploymentDoc[]>(),
      PlatformMeta.find({ pending: true }, { iss: 1, clientId: 1 }).lean<PlatformMetaDoc[]>(),
    ]);
    const waiting = new Set(pending.map((m) => `${m.iss}\n${m.clientId}`));
    const active = new Set<string>();
    for (const p of platforms) {
      const [issuer, clientId, on] = await Promise.all([p.platformUrl(), p.platformClientId(), p.platformActive()]);
      if (on && !waiting.has(`${issuer}\n${clientId}`)) active.add(`${issuer}\n${clientId}`);
    }
    return new Set(
      deployments
        .filter((d) => active.has(`${d.iss}\n${d.clientId}`))
        .map((d) => launchableKey(d.iss, d.clientId, d.deploymentId)),
    );
  }

  /**
   * How many dynamic registrations wait for the operator, of those made in the last `withinMs`:
   * older ones stay listed for the operator but no longer hold the door shut for new ones.
   */
  async pendingCount(withinMs = PENDING_COUNTS_MS): Promise<number> {
    return PlatformMeta.countDocuments({
      pending: true,
      updatedAt: mongoose.trusted({ $gte: new Date(Date.now() - withinMs) }),
    });
  }

  /** The operator approves a pending registration: its launches work from now on. False when there is no such pending platform. */
  async approve(issuer: string, clientId: string): Promise<boolean> {
    return (await this.isPending(issuer, clientId)) && this.setActive(issuer, clientId, true);
  }

  /** Whether the platform waits for the operator's approval. */
  async isPending(issuer: string, clientId: string): Promise<boolean> {
    return Boolean((await PlatformMeta.findOne({ iss: issuer, clientId }).lean<PlatformMetaDoc>())?.pending);
  }

  /** A known deployment of a platform that is not waiting for the operator's approval. */
  async isDeploymentAllowed(issuer: string, clientId: string, deploymentId: string): Promise<boolean> {
    const [deployment, pending] = await Promise.all([
      Deployment.exists({ iss: issuer, clientId, deploymentId }),
      this.isPending(issuer, clientId),
    ]);
    return deployment !== null && !pending;
  }

  private async requirePlatform(issuer: string, clientId: string): Promise<string> {
    const p = await this.lti.getPlatform(issuer, clientId);
    if (!p) throw new Error(`No platform ${issuer} with client id ${clientId}`);
    return p.platformKid();
  }

  /** The platform of an issuer and client id, as summary() gives it; undefined when it is not registered. */
  async find(issuer: string, clientId: string): Promise<PlatformSummary | undefined> {
    const p = await this.lti.getPlatform(issuer, clientId);
    return p ? this.summary(await p.platformKid()) : undefined;
  }

  async summary(platformId: string): Promise<PlatformSummary> {
    const p = await this.lti.getPlatformById(platformId);
    if (!p) throw new Error(`No platform ${platformId}`);
    const [issuer, clientId, name, authUrl, tokenUrl, auth, active] = await Promise.all([
      p.platformUrl(),
      p.platformClientId(),
      p.platformName(),
      p.platformAuthEndpoint(),
      p.platformAccessTokenEndpoint(),
      p.platformAuthConfig(),
      p.platformActive(),
    ]);
    const [deployments, meta] = await Promise.all([
      Deployment.find({ iss: issuer, clientId }).lean(),
      PlatformMeta.findOne({ iss: issuer, clientId }).lean(),
    ]);
    return {
      platformId,
      name,
      issuer,
      clientId,
      authUrl,
      tokenUrl,
      jwksUrl: auth.key,
      active,
      deploymentIds: deployments.map((d) => d.deploymentId).sort(),
      registeredVia: meta?.registeredVia,
      grantedScopes: meta?.grantedScopes ?? [],
      pending: Boolean(meta?.pending),
    };
  }

  async list(): Promise<PlatformSummary[]> {
    const all = await this.lti.getAllPlatforms();
    return Promise.all(all.map(async (p) => this.summary(await p.platformKid())));
  }

  async remove(issuer: string, clientId: string): Promise<boolean> {
    const p = await this.lti.getPlatform(issuer, clientId);
    if (!p) return false;
    await this.lti.deletePlatformById(await p.platformKid());
    await Promise.all([
      Deployment.deleteMany({ iss: issuer, clientId }),
      PlatformMeta.deleteMany({ iss: issuer, clientId }),
    ]);
    this.onChanged();
    return true;
  }
}
