/** Pure launch-context rules: role routing, claim checks, audience of several roles. */
import { audienceFor, courseKeyOf, normaliseRole } from '../../../src/lti/launch-context';
import { launchContextFrom } from '../../../src/lti/launch-context';
import { audienceClientId, checkLtiClaims } from '../../../src/lti/id-token';
import { CLAIM } from '../../../src/lti/claims';
import type { LtijsToken } from '../../../src/lti/ltijs';

const LIS = 'http://purl.imsglobal.org/vocab/lis/v2/';

test.each([
  [[`${LIS}membership#Learner`], 'participant'],
  [[`${LIS}membership#Instructor`], 'coach'],
  [[`${LIS}membership/Instructor#TeachingAssistant`], 'coach'],
  [[`${LIS}membership#ContentDeveloper`], 'coach'],
  [[`${LIS}membership#Mentor`], 'mentor'],
  [[`${LIS}institution/person#Administrator`, `${LIS}membership#Instructor`], 'admin'],
  [[`${LIS}system/person#Administrator`], 'admin'],
  [['Instructor'], 'coach'],
  [['Learner'], 'participant'],
  [[`${LIS}membership#Mentor`, `${LIS}membership#Learner`], 'mentor'],
  [[`${LIS}institution/person#Student`], null],
  [[], null],
])('roles %j → %s', (roles, audience) => {
  expect(audienceFor(roles)).toBe(audience);
});

test('short role names become full URIs', () => {
  expect(normaliseRole('Instructor')).toBe(`${LIS}membership#Instructor`);
  expect(normaliseRole('Instructor#TeachingAssistant')).toBe(`${LIS}membership/Instructor#TeachingAssistant`);
  expect(normaliseRole(`${LIS}membership#Learner`)).toBe(`${LIS}membership#Learner`);
});

test('course keys differ across platforms, clients, deployments and courses', () => {
  const keys = new Set([
    courseKeyOf('https://a', 'c', 'd', '2'),
    courseKeyOf('https://b', 'c', 'd', '2'),
    courseKeyOf('https://a', 'c2', 'd', '2'),
    courseKeyOf('https://a', 'c', 'd2', '2'),
    courseKeyOf('https://a', 'c', 'd', '3'),
  ]);
  expect(keys.size).toBe(5);
  expect(courseKeyOf('https://a', 'c', 'd', '2')).toMatch(/^[\w-]{22}$/);
});

test('a stored ltijs token maps to the typed launch context', () => {
  const token: LtijsToken = {
    iss: 'https://moodle.example',
    user: '42',
    clientId: 'cid',
    platformId: 'kid1',
    deploymentId: '3',
    userInfo: { name: 'Rina Siregar', email: 'rina@example.go.id' },
    platformInfo: { name: 'BPSDM', product_family_code: 'moodle' },
    platformContext: {
      contextId: 'x',
      user: '42',
      messageType: 'LtiResourceLinkRequest',
      version: '1.3.0',
      context: { id: '2', title: 'Latsar' },
      resource: { id: '11', title: 'Refleksi' },
      roles: ['Learner'],
      custom: { activity_id: 'a1', unresolved: '$Context.id', weight: 3 },
      launchPresentation: { locale: 'en-US', return_url: 'https://moodle.example/course/view.php?id=2' },
      endpoint: { scope: ['s'], lineitems: 'https://moodle.example/li' },
      namesRoles: { context_memberships_url: 'https://moodle.example/m', service_versions: ['2.0'] },
    },
  };
  const ctx = launchContextFrom(token);
  expect(ctx.audience).toBe('participant');
  expect(ctx.roles).toEqual([`${LIS}membership#Learner`]);
  expect(ctx.custom).toEqual({ activity_id: 'a1', weight: '3' });
  expect(ctx.locale).toBe('en');
  expect(ctx.nrps?.membershipsUrl).toBe('https://moodle.example/m');
  expect(ctx.ags?.lineItemsUrl).toBe('https://moodle.example/li');
  expect(ctx.resourceLink?.id).toBe('11');
  expect(ctx.courseKey).toBe(courseKeyOf('https://moodle.example', 'cid', '3', '2'));
});

describe('claim checks without a key', () => {
  const valid = () => ({
    sub: 'u1',
    [CLAIM.messageType]: 'LtiResourceLinkRequest',
    [CLAIM.version]: '1.3.0',
    [CLAIM.deploymentId]: 'd',
    [CLAIM.roles]: [],
    [CLAIM.resourceLink]: { id: 'r' },
    [CLAIM.targetLinkUri]: 'https://t',
    [CLAIM.context]: { id: 'c' },
  });
  test('a complete claim set passes; a deep-linking request needs no resource link', () => {
    expect(() => checkLtiClaims(valid())).not.toThrow();
    const dl: Record<string, unknown> = { ...valid(), [CLAIM.messageType]: 'LtiDeepLinkingRequest' };
    delete dl[CLAIM.resourceLink];
    expect(() => checkLtiClaims(dl)).not.toThrow();
  });
  test('a missing target_link_uri is refused', () => {
    const claims: Record<string, unknown> = valid();
    delete claims[CLAIM.targetLinkUri];
    expect(() => checkLtiClaims(claims)).toThrow('NO_TARGET_LINK_URI_CLAIM');
  });
  test('roles that are not a list are refused', () => {
    expect(() => checkLtiClaims({ ...valid(), [CLAIM.roles]: 'Learner' })).toThrow('NO_ROLES_CLAIM');
  });
  test('audience: string, single-element array, array with azp', () => {
    expect(audienceClientId({ aud: 'c1' })).toBe('c1');
    expect(audienceClientId({ aud: ['c1'] })).toBe('c1');
    expect(audienceClientId({ aud: ['c1', 'c2'], azp: 'c2' })).toBe('c2');
    expect(() => audienceClientId({ aud: ['c1', 'c2'] })).toThrow('AZP_MISSING');
    expect(() => audienceClientId({ aud: ['c1'], azp: 'c9' })).toThrow('AZP_DOES_NOT_MATCH_CLIENTID');
    expect(() => audienceClientId({})).toThrow('UNREGISTERED_PLATFORM');
  });
});
