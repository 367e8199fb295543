/**
 * The demo course and its people. Deterministic on purpose: tests, screenshots
 * and bug reports all talk about the same "u-p-007", so nothing here is random.
 */

export interface DemoUser {
  id: string;
  name: string;
  givenName: string;
  familyName: string;
  email: string;
  kind: 'participant' | 'coach' | 'assistant' | 'admin' | 'mentor';
  /** Full LTI role URIs, as Moodle sends them. */
  roles: string[];
}

export interface DemoResourceLink {
  id: string;
  title: string;
  custom?: Record<string, string>;
  lineItemId?: string;
}

export interface DemoCourse {
  id: string;
  label: string;
  title: string;
  links: DemoResourceLink[];
}

/** Role URIs exactly as Moodle's lti_get_ims_role() builds them. */
export const ROLE = {
  learner: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner',
  instructor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  teachingAssistant: 'http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant',
  mentor: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor',
  institutionAdmin: 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
  systemAdmin: 'http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator',
} as const;

export const ROLES_BY_KIND: Record<DemoUser['kind'], string[]> = {
  participant: [ROLE.learner],
  coach: [ROLE.instructor],
  assistant: [ROLE.teachingAssistant],
  admin: [ROLE.institutionAdmin, ROLE.instructor, ROLE.systemAdmin],
  mentor: [ROLE.mentor],
};

/**
 * [given, family] as they would sit in Moodle's firstname/lastname. An empty
 * family name is a person with a single name (common in Java): the tool must
 * cope with that, so the demo has a few.
 */
const PARTICIPANT_NAMES: Array<[string, string]> = [
  ['Ahmad Fauzi', 'Hidayat'],
  ['Ni Luh Putu Ayu', 'Lestari'],
  ['Sahat Maruli Tua', 'Simanjuntak'],
  ['Rahmi Fitriani', 'Chaniago'],
  ['Andi Muhammad', 'Arief'],
  ['Yohanes', 'Wenda'],
  ['Kevin', 'Santoso'],
  ['Suparmi', ''],
  ['Euis Sri', 'Rahayu'],
  ['Asep', 'Saepudin'],
  ['I Gede', 'Wirawan'],
  ['Maria Goretti', 'Bria'],
  ['Teuku Rizky', 'Maulana'],
  ['Rosmawati', 'br. Sitorus'],
  ['Muhammad Iqbal', 'Nasution'],
  ['Felicia', 'Gunawan'],
  ['La Ode Muhammad', 'Syarif'],
  ['Wa Ode', 'Nurhayati'],
  ['Anak Agung Istri Mas', 'Pratiwi'],
  ['Agustina', 'Imbiri'],
  ['Wagiman', ''],
  ['Zulfikar', 'Piliang'],
  ['Galuh Ayu', 'Kusumawardani'],
  ['Ferdinand', 'Manuputty'],
  ['Gabriella', 'Sumampouw'],
  ['Hendra', 'Halim'],
  ['Syamsul Bahri', 'Daeng Rani'],
  ['Yuliana', 'Uyang'],
  ['Cut Rahmah', 'Fitri'],
  ['Marthinus', 'Rumbiak'],
  ['Ngatini', ''],
  ['Fransiskus Xaverius', 'Lamablawa'],
  ['Dian Paramitha', 'Sihombing'],
  ['Made Dwi', 'Adnyana'],
  ['Novita', 'Latuconsina'],
  ['Eko', 'Prasetyo'],
  ['Nurul Aini', 'Pohan'],
  ['Stefanus', 'Wijaya'],
  ['Ikhsan Maulana', 'Harahap'],
  ['Dewi Ratnasari', 'Tanjung'],
];

/** Beyond the curated list (large benches), combine parts so names stay plausible and unique. */
const EXTRA_GIVEN = [
  'Budi',
  'Sri',
  'Agus',
  'Putri',
  'Rizal',
  'Yanti',
  'Dedi',
  'Lina',
  'Yosef',
  'Fitri',
  'Bayu',
  'Intan',
];
const EXTRA_FAMILY = [
  'Siregar',
  'Saputra',
  'Pattiasina',
  'Mandagi',
  'Sembiring',
  'Kurniawan',
  'Lubis',
  'Tanoto',
  'Pakpahan',
  'Rumbewas',
];

function participantName(i: number): [string, string] {
  if (i < PARTICIPANT_NAMES.length) return PARTICIPANT_NAMES[i];
  const j = i - PARTICIPANT_NAMES.length;
  const given = EXTRA_GIVEN[j % EXTRA_GIVEN.length];
  const family = EXTRA_FAMILY[Math.floor(j / EXTRA_GIVEN.length) % EXTRA_FAMILY.length];
  const round = Math.floor(j / (EXTRA_GIVEN.length * EXTRA_FAMILY.length));
  return round === 0 ? [given, family] : [`${given} ${round + 1}`, family];
}

function slug(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.+|\.+$/g, '');
}

function fullName(given: string, family: string): string {
  return family ? `${given} ${family}` : given;
}

/** Everyone enrolled or able to launch, staff first. */
export function buildUsers(participants: number): DemoUser[] {
  const staff: DemoUser[] = [
    {
      id: 'u-coach-1',
      name: 'Dr. Siti Rahmawati, M.Pd.',
      givenName: 'Siti',
      familyName: 'Rahmawati',
      email: 'siti.rahmawati@widyaiswara.latsar.example',
      kind: 'coach',
      roles: ROLES_BY_KIND.coach,
    },
    {
      id: 'u-assistant-1',
      name: 'Bambang Sutrisno, S.Sos.',
      givenName: 'Bambang',
      familyName: 'Sutrisno',
      email: 'bambang.sutrisno@bpsdm.latsar.example',
      kind: 'assistant',
      roles: ROLES_BY_KIND.assistant,
    },
    {
      id: 'u-admin-1',
      name: 'Admin LMS BPSDM',
      givenName: 'Admin',
      familyName: 'LMS BPSDM',
      email: 'admin.lms@bpsdm.latsar.example',
      kind: 'admin',
      roles: ROLES_BY_KIND.admin,
    },
    {
      id: 'u-mentor-1',
      name: 'Ir. Hendrik Sitompul, M.T.',
      givenName: 'Hendrik',
      familyName: 'Sitompul',
      email: 'hendrik.sitompul@instansi.latsar.example',
      kind: 'mentor',
      roles: ROLES_BY_KIND.mentor,
    },
  ];
  const seenEmails = new Set<string>();
  const people: DemoUser[] = [];
  for (let i = 0; i < participants; i++) {
    const [givenName, familyName] = participantName(i);
    const name = fullName(givenName, familyName);
    let local = slug(name);
    for (let n = 2; seenEmails.has(local); n++) local = `${slug(name)}${n}`;
    seenEmails.add(local);
    people.push({
      id: `u-p-${String(i + 1).padStart(3, '0')}`,
      name,
      givenName,
      familyName,
      email: `${local}@peserta.latsar.example`,
      kind: 'participant',
      roles: ROLES_BY_KIND.participant,
    });
  }
  return [...staff, ...people];
}

/**
 * A fake 18-digit NIP (the civil-servant number, which Moodle sites here keep in
 * `idnumber` and so send as lis person_sourcedid). Staff get one too.
 */
export function sourcedIdOf(index: number): string {
  const year = 1985 + (index % 15);
  const month = String((index % 12) + 1).padStart(2, '0');
  const day = String((index % 28) + 1).padStart(2, '0');
  const seq = String(index + 1).padStart(3, '0');
  const sex = index % 2 === 0 ? '1' : '2';
  return `${year}${month}${day}2025${month}${sex}${seq}`;
}

/**
 * Moodle-like ids: course 1 is the site, so the first real course is 2; resource
 * link ids are the `lti` instance ids. The first link carries no custom
 * parameters so the tool sees an activity it has not been told about yet.
 */
export function buildCourse(): DemoCourse {
  return {
    id: '2',
    label: 'LATSAR-I',
    title: 'Latsar CPNS Angkatan I',
    links: [
      { id: '11', title: 'Refleksi nilai BerAKHLAK', custom: {} },
      { id: '12', title: 'Jurnal habituasi', custom: {} },
    ],
  };
}

export function isLearner(user: DemoUser): boolean {
  return user.roles.includes(ROLE.learner);
}
