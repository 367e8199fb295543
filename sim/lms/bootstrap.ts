/**
 * The built-in demo LMS for development (never in production): a Moodle-shaped platform mounted
 * at /demo on Cermin's own server and registered like any other platform.
 */
import type { PlatformRegistry, ToolUrls } from '../../src/lti/platforms';
import { createDemoPlatform, type DemoPlatform } from './platform';

export const DEMO_CLIENT_ID = 'cermin-demo';
export const DEMO_DEPLOYMENT_ID = 'demo-deployment-1';

export async function startDemoPlatform(
  publicUrl: string,
  urls: ToolUrls,
  registry: PlatformRegistry,
  participants: number,
): Promise<DemoPlatform> {
  const demo = await createDemoPlatform({
    issuer: `${publicUrl}/demo`,
    clientId: DEMO_CLIENT_ID,
    deploymentId: DEMO_DEPLOYMENT_ID,
    tool: { loginUrl: urls.loginUrl, launchUrl: urls.toolUrl, jwksUrl: urls.keysetUrl },
    participants,
  });
  await registry.add(
    {
      issuer: demo.issuer,
      clientId: DEMO_CLIENT_ID,
      authUrl: demo.authUrl,
      tokenUrl: demo.tokenUrl,
      jwksUrl: demo.jwksUrl,
      name: 'LMS demo (BPSDM)',
      deploymentIds: [DEMO_DEPLOYMENT_ID],
    },
    { via: 'demo' },
  );
  return demo;
}
