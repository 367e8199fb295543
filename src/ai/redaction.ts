/**
 * PII redaction for every text that leaves the server towards an AI provider, and the way back.
 *
 * `redact()` replaces personal data with numbered placeholders and returns the map to undo it;
 * `restore()` / `restoreDeep()` put the originals back into the model's answer before the
 * participant sees it. Pure: no I/O, no clock, no globals that change.
 *
 * What is redacted, in this order (an earlier kind claims its characters, later kinds never
 * look inside them):
 *   1. placeholders the participant typed themselves (`[NAMA_1]`): kept verbatim, and our own
 *      numbering skips them, so a typed one is never confused with a real one;
 *   2. e-mail addresses (`nama.saya@kemenkeu.go.id`): before names and numbers inside them;
 *   3. NIP, 18 digits: `19900101 201501 1 001` (8-6-1-3, spaces, dots or hyphens) or continuous;
 *   4. NIK, 16 digits not starting with 0 (a province code): continuous, 4-4-4-4, 6-6-4 or
 *      2-2-2-6-4 with spaces, dots or hyphens;
 *   5. Indonesian phones: mobiles `+62 812-3456-7890`, `+6281234567890`, `0812 3456 7890`,
 *      `0812-3456-789` (national part 9-12 digits, trailing extra groups are left out);
 *      landlines `(021) 555-1234`, `021-5551234`, `+62 21 5551234`; a continuous landline
 *      (`0215551234`) only right after a word such as telp/HP/WA/kontak, because a bare
 *      10-digit number is too often something else;
 *   6. names from the course roster and the participant's own name (see below).
 * Ordinary numbers (years, `Rp 1.500.000`, dates `12-05-2024`, times `08.00`, `0,8`, counts, a
 * 10-digit number not starting like a phone) are never touched.
 *
 * Names. The roster is compiled once per course into a token trie (`nameMatcher()`); a text is
 * then tokenized once and walked token by token, longest match first, so the cost is linear in
 * the text and independent of the roster size. For each person the trie holds every contiguous
 * run of tokens of `name`, `givenName`, `familyName`, `givenName familyName` and the name without
 * its particles (`Rumondang br. Siregar` → `Rumondang Siregar`), after academic and religious
 * titles are stripped (`Dr. H. Ahmad Fauzi, S.E., M.Si.` → `Ahmad Fauzi`); roster entries that
 * look like ids or e-mails (digits, `@`, `_`) are skipped. A run is kept when it holds at least
 * one *name token*: 3 letters or more, not an honorific, not a particle, not a stop word (a whole
 * name made of short parts, `Ed Li`, is kept too). Two parts of one person written side by side
 * (`Yohana Simbolon` for `Yohana Maria Simbolon`) become one placeholder. So:
 *   - honorifics stay outside the placeholder (`Pak [NAMA_1]`, `Bu [NAMA_2]`, `Bli [NAMA_3]`);
 *   - particles (`I`, `Ni`, `La`, `Wa`, `Ode`, `br.`, `boru`, `Anak`, `bin`…) are matched only
 *     inside a longer run: `I Gede Wirawan` is one placeholder, a lone `I` never matches;
 *   - one- and two-letter tokens never match alone;
 *   - `Andi`, `Putri`, `Sri`, `Dewi`, `Siti`, `Nur` are names; `Muhammad` and its spellings
 *     are not matched alone (religious references such as "Nabi Muhammad"; people are called
 *     by another part of their name), but are inside a full name.
 * Matching is case-insensitive on whole tokens (apostrophes inside a name are part of it and
 * optional: `Ma'ruf` = `Maruf`). Suffixes stay outside: `[NAMA_1]nya`, `Pak [NAMA_1]'s`,
 * `[NAMA_1]lah`, `[NAMA_1]-nya`.
 * Ambiguous name tokens, also everyday words (`Budi` "budi pekerti", `Bayu` wind, `Intan`,
 * `Putri` daughter, `Kasih`, `Agung`, `Bagus`, `Made`…, list below): a match made only of such
 * tokens needs evidence that it is a name: a capital letter (`Budi datang`), or an honorific
 * before it (`pak budi`). Known collocations (`budi pekerti`, `terima kasih`, `Mahkamah Agung`,
 * `Dharma Wanita`, `selamat pagi`, `Hari ini`…) are not names even when capitalized. A full name
 * with any unambiguous token matches in any case. A lowercase ambiguous name without an honorific
 * (`tadi budi bilang`) is deliberately left: mangling "budi pekerti" in every reflection about
 * BerAKHLAK costs more than it protects.
 *
 * Placeholders are `[NAMA_n]`, `[NIP_n]`, `[NIK_n]`, `[EMAIL_n]`, `[TELEPON_n]`, numbered per
 * kind in order of first appearance. The same value gets the same placeholder: numbers compare
 * by their digits (`0812-3456-7890` = `+62 812 3456 7890`), e-mails without case, names without
 * case; and the different forms of one roster person (`Ahmad Fauzi`, `Ahmad`, `Fauzi`) share a
 * placeholder whenever the form fits only that person, so the model sees one person. Its map
 * entry is then the longest form written. A form that fits several people (`Ahmad` with two
 * Ahmads in the class) gets its own placeholder.
 *
 * Originals never contain a quote, a backslash or a control character (names span only spaces,
 * hyphens and dots, never line breaks), so `restore()` can work on raw JSON text as well.
 */

export type RedactionKind = 'name' | 'nip' | 'nik' | 'email' | 'phone';

export interface KnownPerson {
  name: string;
  givenName?: string;
  familyName?: string;
}

export interface Redaction {
  /** The text with placeholders like [NAMA_1], [NIP_1], [NIK_1], [EMAIL_1], [TELEPON_1] (same value → same placeholder). */
  text: string;
  /** placeholder → original, to put back. */
  map: Record<string, string>;
  /** How many occurrences of each kind were replaced (distinct values: count the map's entries). */
  counts: Record<RedactionKind, number>;
}

export const REDACTION_KINDS: readonly RedactionKind[] = ['name', 'nip', 'nik', 'email', 'phone'];

const LABELS: Record<RedactionKind, string> = {
  name: 'NAMA',
  nip: 'NIP',
  nik: 'NIK',
  email: 'EMAIL',
  phone: 'TELEPON',
};

/** Any placeholder this module can produce. */
const PLACEHOLDER = /\[(?:NAMA|NIP|NIK|EMAIL|TELEPON)_\d+\]/g;

// ---------------------------------------------------------------------------------------------
// Word lists (lower case, apostrophes removed). Kept small on purpose; a dictionary of Indonesian
// root words (e.g. Sastrawi's) could later replace AMBIGUOUS.

/** Words placed before a name: evidence that the next token is a name; never a name alone. */
const HONORIFICS = new Set([
  'pak',
  'bapak',
  'bpk',
  'bp',
  'bu',
  'ibu',
  'ibunda',
  'ayah',
  'ayahanda',
  'bunda',
  'mas',
  'mbak',
  'mba',
  'kak',
  'kakak',
  'bang',
  'abang',
  'dik',
  'adik',
  'adek',
  'bli',
  'mbok',
  'uda',
  'uni',
  'teh',
  'teteh',
  'akang',
  'kang',
  'aa',
  'om',
  'tante',
  'cik',
  'koh',
  'ci',
  'cece',
  'sdr',
  'sdri',
  'saudara',
  'saudari',
  'tuan',
  'nyonya',
  'nona',
  'haji',
  'hajah',
  'hajjah',
  'hj',
  'kyai',
  'kiai',
  'ustadz',
  'ustaz',
  'ustad',
  'ustadzah',
  'ustazah',
  'gus',
  'ning',
  'dr',
  'drs',
  'dra',
  'ir',
  'prof',
  'yth',
  'opung',
  'ompung',
  'oppung',
  'inang',
  'amang',
  'lae',
  'ito',
  'eda',
  'puang',
  'daeng',
  'mr',
  'mrs',
  'ms',
  'miss',
  'sir',
  'madam',
  'coach',
  'mentor',
  'dokter',
  'bidan',
  'suster',
  'ners',
]);

/** Name particles and noble titles: part of a full name, never matched alone. */
const PARTICLES = new Set([
  'i',
  'ni',
  'anak',
  'ngakan',
  'cokorda',
  'cok',
  'sang',
  'la',
  'wa',
  'ode',
  'br',
  'boru',
  'raden',
  'rr',
  'r',
  'tengku',
  'teuku',
  'teungku',
  'cut',
  'habib',
  'sayyid',
  'sayid',
  'syekh',
  'bin',
  'binti',
  'bt',
  'van',
  'de',
  'der',
  'von',
  'al',
  'el',
]);

/** Common words that are not a name on their own, even capitalized. */
const STOP_WORDS = new Set([
  'kepala',
  'warga',
  'kami',
  'kita',
  'saya',
  'aku',
  'anda',
  'kamu',
  'dia',
  'beliau',
  'mereka',
  'kalian',
  'bagian',
  'bidang',
  'seksi',
  'kantor',
  'dinas',
  'badan',
  'staf',
  'pegawai',
  'atasan',
  'bawahan',
  'rekan',
  'teman',
  'kawan',
  'sahabat',
  'peserta',
  'penguji',
  'pembimbing',
  'widyaiswara',
  'masyarakat',
  'negara',
  'bangsa',
  'indonesia',
  'tuhan',
  'allah',
  'nabi',
  'rasul',
  'rasulullah',
  'latsar',
  'cpns',
  'pns',
  'asn',
  // "Muhammad" alone is far more often the Prophet than a classmate; inside a full name it still matches.
  'muhammad',
  'muhamad',
  'mohammad',
  'mohamad',
  'mochammad',
  'mochamad',
  'mohammed',
  'muhammed',
  'moh',
  'muh',
  'mhd',
  'mohd',
]);

/** Names that are also everyday words: alone they need a capital letter or an honorific before them. */
const AMBIGUOUS = new Set([
  'budi',
  'bayu',
  'intan',
  'indah',
  'cahaya',
  'bintang',
  'surya',
  'fajar',
  'embun',
  'bunga',
  'mawar',
  'melati',
  'kasih',
  'cinta',
  'rahmat',
  'rizki',
  'rezeki',
  'berkah',
  'ayu',
  'agung',
  'bagus',
  'jaya',
  'putra',
  'putri',
  'sari',
  'wulan',
  'bulan',
  'mentari',
  'pelangi',
  'sinar',
  'setia',
  'adil',
  'damai',
  'harapan',
  'lestari',
  'mulia',
  'murni',
  'suci',
  'wangi',
  'citra',
  'dian',
  'gita',
  'tirta',
  'karya',
  'bakti',
  'bhakti',
  'dharma',
  'darma',
  'wahyu',
  'iman',
  'ikhlas',
  'sabar',
  'ilham',
  'rahayu',
  'selamat',
  'slamet',
  'jati',
  'kurnia',
  'ratna',
  'permata',
  'mutiara',
  'langit',
  'samudra',
  'samudera',
  'tegar',
  'teguh',
  'pratama',
  'utama',
  'perdana',
  'ria',
  'riang',
  'syukur',
  'hakim',
  'aman',
  'asih',
  'eka',
  'dwi',
  'tri',
  'catur',
  'panca',
  'kartika',
  'lintang',
  'arum',
  'sekar',
  'bening',
  'sakti',
  'perkasa',
  'wira',
  'satria',
  'ksatria',
  'bumi',
  'kencana',
  'emas',
  'anugrah',
  'anugerah',
  'nugraha',
  'bahagia',
  'berlian',
  'merdeka',
  'sejati',
  'abadi',
  'gemilang',
  'mega',
  'jelita',
  'anggun',
  'santun',
  'pertiwi',
  'kusuma',
  'raja',
  'ratu',
  'sultan',
  'nanda',
  'ananda',
  'gusti',
  'dewa',
  'desak',
  'gede',
  'made',
  'putu',
  'luh',
  'hari',
  'indra',
  'arif',
  'fitri',
  'maya',
  'batubara',
]);

/** Two-word phrases in which an ambiguous name token is an ordinary word. */
const COLLOCATIONS = new Set([
  'terima kasih',
  'kasih sayang',
  'belas kasih',
  'cinta kasih',
  'budi pekerti',
  'budi bahasa',
  'budi daya',
  'budi luhur',
  'akal budi',
  'balas budi',
  'utang budi',
  'hutang budi',
  'mahkamah agung',
  'jaksa agung',
  'masjid agung',
  'maha agung',
  'dharma wanita',
  'tri dharma',
  'tri darma',
  'tri hita',
  'panel surya',
  'tenaga surya',
  'tata surya',
  'energi surya',
  'bintang lima',
  'hotel bintang',
  'cahaya matahari',
  'sinar matahari',
  'yang mulia',
  'akhlak mulia',
  'maha mulia',
  'putra daerah',
  'putri daerah',
  'putra putri',
  'putra bangsa',
  'putri bangsa',
  'ibu pertiwi',
  'kusuma bangsa',
  'bunga bank',
  'bunga rampai',
  'bunga pinjaman',
  'intan permata',
  'selamat pagi',
  'selamat siang',
  'selamat sore',
  'selamat malam',
  'selamat datang',
  'selamat jalan',
  'selamat tinggal',
  'ucapan selamat',
  'mengucapkan selamat',
  'teguh pendirian',
  'setia kawan',
  'rahmat tuhan',
  'rahmat allah',
  'wahyu ilahi',
  'iman takwa',
  'iman taqwa',
  'raja ampat',
  'ratu adil',
  'jaya raya',
  'fajar menyingsing',
  'eka prasetya',
  'adil makmur',
  'adil beradab',
  'bersikap adil',
  'karya tulis',
  'karya ilmiah',
  'hasil karya',
  'bakti sosial',
  'bhakti sosial',
  'harapan saya',
  'harapan kami',
  'harapan besar',
  'penuh harapan',
  'sangat bagus',
  'cukup bagus',
  'lebih bagus',
  'paling bagus',
  'bagus sekali',
  'indah sekali',
  'sangat indah',
  'lebih indah',
  'langit biru',
  'emas murni',
  'gotong royong',
  'panca indra',
  'arif bijaksana',
  'idul fitri',
  'iedul fitri',
  'dunia maya',
  'tambang batubara',
  // "Hari" (a given name) is first of all "day".
  ...[
    'ini',
    'itu',
    'ke',
    'pertama',
    'kedua',
    'ketiga',
    'terakhir',
    'kerja',
    'raya',
    'libur',
    'besar',
    'senin',
    'selasa',
    'rabu',
    'kamis',
    'jumat',
    'sabtu',
    'minggu',
    'demi',
    'berikutnya',
    'esok',
    'kemarin',
    'yang',
    'h',
    'jadi',
    'lahir',
    'pelayanan',
  ].map((w) => `hari ${w}`),
  ...['setiap', 'suatu', 'pada', 'satu', 'dua', 'tiga', 'beberapa', 'akhir', 'tengah', 'sepanjang'].map(
    (w) => `${w} hari`,
  ),
]);

/** Titles stripped from the front of a roster name. */
const LEADING_TITLES = new Set([
  'dr',
  'drs',
  'dra',
  'ir',
  'prof',
  'h',
  'hj',
  'kh',
  'tn',
  'ny',
  'nn',
  'sdr',
  'sdri',
  'bapak',
  'bpk',
  'bp',
  'ibu',
  'pak',
  'bu',
  'apt',
  'ns',
  'yth',
  'haji',
  'hajah',
  'hajjah',
]);

/** Degrees stripped from the end of a roster name when written without dots. */
const TRAILING_DEGREES = new Set([
  'se',
  'sh',
  'mh',
  'mm',
  'msi',
  'mpd',
  'spd',
  'skom',
  'st',
  'mt',
  'ssos',
  'sip',
  'ak',
  'amd',
  'ap',
  'map',
  'mkes',
  'skm',
  'skep',
  'ns',
  'spsi',
  'sst',
  'sstp',
  'ssi',
  'sp',
  'phd',
  'mba',
  'msc',
  'bsc',
  'ma',
  'ba',
  'sag',
  'mag',
  'shi',
  'sthi',
  'sked',
  'sfarm',
  'apt',
  'ked',
  'mkom',
  'mti',
  'sap',
  'sak',
  'sei',
  'spdi',
  'mpdi',
  'stp',
  'spt',
  'spi',
  'ssn',
]);

const NAME_SUFFIXES = ['nya', 'lah', 'kah', 'pun', 'ku', 'mu'];

const APOSTROPHES = /['’‘`´]/g;
/** A word: letters (and combining marks), apostrophes allowed between letters (Ma'ruf, Nur'aini). */
const WORD = /[\p{L}\p{M}]+(?:['’‘`´][\p{L}\p{M}]+)*/gu;
const UPPER_START = /^\p{Lu}/u;

function wordKey(raw: string): string {
  return raw.normalize('NFC').toLowerCase().replace(APOSTROPHES, '');
}

type TokenClass = 'name' | 'ambiguous' | 'other';

const NEVER_ALONE = (key: string): boolean => HONORIFICS.has(key) || PARTICLES.has(key) || STOP_WORDS.has(key);

function classOf(key: string): TokenClass {
  if (key.length < 3 || NEVER_ALONE(key)) return 'other';
  return AMBIGUOUS.has(key) ? 'ambiguous' : 'name';
}

// ---------------------------------------------------------------------------------------------
// The roster matcher.

interface TrieNode {
  next: Map<string, TrieNode>;
  /** Set on a node that ends a phrase: who the phrase can be (normalized full names). */
  people?: Set<string>;
  /** Every name token of the phrase is ambiguous: needs a capital or an honorific. */
  needsEvidence?: boolean;
}

const newNode = (): TrieNode => ({ next: new Map() });

/** A compiled roster: build it once per course with `nameMatcher()` and reuse it for every text. */
export class NameMatcher {
  /** @internal */
  readonly root: TrieNode = newNode();
  private personCount = 0;
  private phraseCount = 0;

  /** How many people were usable (had a name). */
  get people(): number {
    return this.personCount;
  }

  /** How many distinct phrases (full names and their parts) are matched. */
  get phrases(): number {
    return this.phraseCount;
  }

  /** @internal Adds one person; people with the same normalized full name are one identity. */
  add(person: KnownPerson): void {
    const full = nameTokens(person.name);
    const given = nameTokens(person.givenName);
    const family = nameTokens(person.familyName);
    const both = [...given, ...family];
    const identityTokens = full.length ? full : both;
    if (!identityTokens.length) return;
    const identity = identityTokens.join(' ');
    this.personCount++;
    // The name as written without its particles: "Rumondang br. Siregar" is also "Rumondang Siregar".
    const bare = identityTokens.filter((t) => !PARTICLES.has(t));
    const seen = new Set<string>();
    for (const tokens of [full, given, family, both, bare]) {
      const whole = tokens === full || tokens === both || tokens === bare;
      for (let i = 0; i < tokens.length; i++) {
        for (let j = i + 1; j <= tokens.length; j++) {
          const phrase = tokens.slice(i, j);
          const key = phrase.join(' ');
          if (seen.has(key)) continue;
          const classes = phrase.map(classOf);
          const named = classes.includes('name') || classes.includes('ambiguous');
          // A whole name of short parts ("Ed Li") is still a name; its parts alone are not.
          const shortWhole =
            whole && i === 0 && j === tokens.length && phrase.length > 1 && phrase.some((t) => !NEVER_ALONE(t));
          if (!named && !shortWhole) continue;
          seen.add(key);
          this.insert(phrase, identity, !classes.includes('name') && named);
        }
      }
    }
  }

  private insert(phrase: string[], identity: string, needsEvidence: boolean): void {
    let node = this.root;
    for (const token of phrase) {
      let child = node.next.get(token);
      if (!child) {
        child = newNode();
        node.next.set(token, child);
      }
      node = child;
    }
    if (!node.people) {
      node.people = new Set();
      node.needsEvidence = needsEvidence;
      this.phraseCount++;
    }
    node.people.add(identity);
  }
}

const DOTTED_ABBREVIATION = /^(?:[\p{L}]{1,4}\.)+[\p{L}]{0,4}\.?$/u;

/** A roster name as trie keys, without titles and degrees; empty when it looks like an id or an e-mail. */
function nameTokens(raw: string | undefined): string[] {
  if (!raw || /[\d@_]/.test(raw)) return [];
  const words = raw.split(',')[0].trim().split(/\s+/).filter(Boolean);
  while (words.length > 1 && LEADING_TITLES.has(wordKey(words[0].replace(/\./g, '')))) words.shift();
  while (words.length > 1) {
    const last = words[words.length - 1];
    if (!DOTTED_ABBREVIATION.test(last) && !TRAILING_DEGREES.has(wordKey(last.replace(/\./g, '')))) break;
    words.pop();
  }
  return (words.join(' ').match(WORD) ?? []).map(wordKey).slice(0, 12);
}

/** Builds a reusable matcher from the roster (done once per course, then applied to many texts). */
export function nameMatcher(people: KnownPerson[]): NameMatcher {
  const matcher = new NameMatcher();
  for (const person of people) matcher.add(person);
  return matcher;
}

// ---------------------------------------------------------------------------------------------
// Finding spans.

interface Span {
  start: number;
  end: number;
  kind: RedactionKind;
  /** Identity of the value: equal keys share a placeholder. */
  key: string;
}

const MASK = '\uE000';

/** The text with the spans blanked out (same length), so later detectors cannot see into them. */
function masked(text: string, spans: Span[]): string {
  if (!spans.length) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of sorted) {
    out += text.slice(at, s.start) + MASK.repeat(s.end - s.start);
    at = s.end;
  }
  return out + text.slice(at);
}

function collect(text: string, pattern: RegExp, build: (m: RegExpExecArray) => Span | Span[] | null): Span[] {
  const spans: Span[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const found = build(m);
    if (Array.isArray(found)) spans.push(...found);
    else if (found) spans.push(found);
    if (m[0].length === 0) pattern.lastIndex++;
  }
  return spans;
}

const digitsOf = (s: string) => s.replace(/\D/g, '');

const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]*[A-Za-z0-9_%+-])?@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9-]|\.[A-Za-z0-9])/g;

const NIP = /(?<!\d)\d{8}[ .-]?\d{6}[ .-]?\d[ .-]?\d{3}(?!\d)/g;

const NIK = new RegExp(
  [
    String.raw`\d{15}`,
    String.raw`\d{3}[ .-]\d{4}[ .-]\d{4}[ .-]\d{4}`,
    String.raw`\d{5}[ .-]\d{6}[ .-]\d{4}`,
    String.raw`\d[ .-]\d{2}[ .-]\d{2}[ .-]\d{6}[ .-]\d{4}`,
  ]
    .map((p) => `(?<!\\d)[1-9]${p}(?!\\d)`)
    .join('|'),
  'g',
);

/** Mobile: +62 / 62 / 0, then 8, then digit groups (the first may be glued to the prefix). */
const MOBILE = /(?<![\p{L}\p{N}+_])(\+62[ .-]?|62[ .-]?|0)(8[1-9]\d*)((?:[ .-]\d{2,})*)(?!\d)/gu;
/** Landline with the area code in parentheses, or followed by a separator. */
const LANDLINE =
  /(?<![\p{L}\p{N}+_.,])(?:\(0[2-79]\d{1,2}\)[ .-]?|0[2-79]\d{1,2}[ .-])\d{3,4}(?:[ .-]?\d{2,4})?(?![\d])/gu;
/** Landline written internationally. */
const LANDLINE_INTL = /(?<![\p{L}\p{N}+_])\+62[ .-]?\(?[2-79]\d{1,2}\)?[ .-]?\d{3,4}(?:[ .-]?\d{2,4})?(?!\d)/gu;
/** Continuous landline, accepted only right after a phone word. */
const LANDLINE_BARE = /(?<![\p{L}\p{N}+_.,])0[2-79]\d{7,10}(?!\d)/gu;
const PHONE_WORD_BEFORE =
  /(?<![\p{L}])(?:telp|tlp|telpon|telepon|telfon|tel|phone|hp|wa|whatsapp|fax|faks|kontak|hubungi|sms)(?![\p{L}])[^\p{L}\p{N}]{0,4}$/iu;

function mobileSpan(m: RegExpExecArray): Span | null {
  const prefix = m[1];
  const groups = [m[2], ...(m[3].match(/[ .-]\d+/g) ?? [])];
  let count = groups.reduce((n, g) => n + digitsOf(g).length, 0);
  // Extra groups after a complete number ("0812 3456 7890 2024") are not part of it.
  while (count > 12 && groups.length > 1) count -= digitsOf(groups.pop() as string).length;
  if (count < 9 || count > 12) return null;
  const body = groups.join('');
  return { start: m.index, end: m.index + prefix.length + body.length, kind: 'phone', key: digitsOf(body) };
}

function landlineSpan(m: RegExpExecArray, international: boolean): Span | null {
  let digits = digitsOf(m[0]);
  digits = international ? digits.slice(2) : digits.slice(1);
  // Area code 2-3 digits (after the 0), subscriber 5-8.
  if (digits.length < 7 || digits.length > 11) return null;
  return { start: m.index, end: m.index + m[0].length, kind: 'phone', key: digits };
}

function findPhones(text: string): Span[] {
  const mobiles = collect(text, MOBILE, mobileSpan);
  let rest = masked(text, mobiles);
  const lines = [
    ...collect(rest, LANDLINE_INTL, (m) => landlineSpan(m, true)),
    ...collect(rest, LANDLINE, (m) => landlineSpan(m, false)),
  ];
  const landlines = dropOverlaps(lines);
  rest = masked(rest, landlines);
  const bare = collect(rest, LANDLINE_BARE, (m) =>
    PHONE_WORD_BEFORE.test(rest.slice(Math.max(0, m.index - 24), m.index)) ? landlineSpan(m, false) : null,
  );
  return [...mobiles, ...landlines, ...bare];
}

/** Keeps the earliest-starting, then longest, of overlapping spans. */
function dropOverlaps(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Span[] = [];
  for (const s of sorted) if (!kept.length || s.start >= kept[kept.length - 1].end) kept.push(s);
  return kept;
}

interface Token {
  start: number;
  end: number;
  raw: string;
  key: string;
  /** The token without a suffix (Budinya → Budi): may only end a match. */
  stems: Array<{ key: string; end: number }>;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m; m = WORD.exec(text)) {
    const raw = m[0];
    const key = wordKey(raw);
    const stems: Token['stems'] = [];
    const apostrophe = /['’‘`´](s|nya|ku|mu|lah)$/iu.exec(raw);
    if (apostrophe) stems.push({ key: wordKey(raw.slice(0, apostrophe.index)), end: m.index + apostrophe.index });
    else {
      for (const suffix of NAME_SUFFIXES) {
        if (key.length - suffix.length >= 3 && key.endsWith(suffix)) {
          stems.push({ key: key.slice(0, -suffix.length), end: m.index + raw.length - suffix.length });
        }
      }
    }
    tokens.push({ start: m.index, end: m.index + raw.length, raw, key, stems });
  }
  return tokens;
}

/** What may stand between two tokens of one name: spaces, a hyphen, or a dot after an abbreviation (`br. Siregar`). */
function joins(text: string, a: Token, b: Token): boolean {
  return joinsAt(text, a.start, a.end, b.start);
}

function joinsAt(text: string, leftStart: number, leftEnd: number, rightStart: number): boolean {
  const gap = text.slice(leftEnd, rightStart);
  if (/^[ \u00A0]+$/.test(gap) || gap === '-') return true;
  return /^\.[ \u00A0]*$/.test(gap) && leftEnd - leftStart <= 3;
}

interface Candidate {
  end: number;
  last: number;
  lastKey: string;
  node: TrieNode;
}

function walk(root: TrieNode, text: string, tokens: Token[], i: number, out: Candidate[]): void {
  let node = root;
  for (let j = i; j < tokens.length; j++) {
    const token = tokens[j];
    if (j > i && !joins(text, tokens[j - 1], token)) return;
    for (const stem of token.stems) {
      const child = node.next.get(stem.key);
      if (child?.people) out.push({ end: stem.end, last: j, lastKey: stem.key, node: child });
    }
    const child = node.next.get(token.key);
    if (!child) return;
    if (child.people) out.push({ end: token.end, last: j, lastKey: token.key, node: child });
    node = child;
  }
}

function accepted(text: string, tokens: Token[], i: number, c: Candidate): boolean {
  if (!c.node.needsEvidence) return true;
  const before = tokens[i - 1];
  if (before && HONORIFICS.has(before.key) && /^\.?[ \u00A0]+$/.test(text.slice(before.end, tokens[i].start)))
    return true;
  const after = tokens[c.last + 1];
  if (
    before &&
    /^[ \u00A0]+$/.test(text.slice(before.end, tokens[i].start)) &&
    COLLOCATIONS.has(`${before.key} ${tokens[i].key}`)
  )
    return false;
  if (
    after &&
    c.end === tokens[c.last].end &&
    /^[ \u00A0]+$/.test(text.slice(c.end, after.start)) &&
    COLLOCATIONS.has(`${c.lastKey} ${after.key}`)
  )
    return false;
  for (let j = i; j <= c.last; j++) {
    if (classOf(j === c.last ? c.lastKey : tokens[j].key) === 'ambiguous' && UPPER_START.test(tokens[j].raw))
      return true;
  }
  return false;
}

function findNames(text: string, matchers: NameMatcher[]): Span[] {
  const tokens = tokenize(text);
  const spans: Span[] = [];
  const candidates: Candidate[] = [];
  /** Start of the last token of the previous name (for the dot-after-abbreviation rule). */
  let lastTokenStart = -1;
  for (let i = 0; i < tokens.length; i++) {
    candidates.length = 0;
    for (const matcher of matchers) walk(matcher.root, text, tokens, i, candidates);
    if (!candidates.length) continue;
    candidates.sort((a, b) => b.end - a.end);
    const best = candidates.find((c) => accepted(text, tokens, i, c));
    if (!best) continue;
    const people = new Set<string>();
    for (const c of candidates) if (c.end === best.end) for (const p of c.node.people ?? []) people.add(p);
    const phrase = [...tokens.slice(i, best.last).map((t) => t.key), best.lastKey].join(' ');
    const key = people.size === 1 ? `person:${[...people][0]}` : `phrase:${phrase}`;
    // Two parts of one person side by side ("Ahmad" + "Fauzi" of "Ahmad Rizki Fauzi") are one name.
    const previous = spans[spans.length - 1];
    if (previous?.key === key && joinsAt(text, lastTokenStart, previous.end, tokens[i].start)) {
      previous.end = best.end;
    } else {
      spans.push({ start: tokens[i].start, end: best.end, kind: 'name', key });
    }
    lastTokenStart = tokens[best.last].start;
    i = best.last;
  }
  return spans;
}

// ---------------------------------------------------------------------------------------------
// redact / restore

/** Replaces personal data in `text` with placeholders; see the module comment for the rules. */
export function redact(text: string, opts: { names: NameMatcher; self?: KnownPerson }): Redaction {
  const counts: Record<RedactionKind, number> = { name: 0, nip: 0, nik: 0, email: 0, phone: 0 };

  // Placeholders the participant typed: blanked, and their numbers are not reused.
  const taken = new Set<string>();
  const typed = collect(text, PLACEHOLDER, (m) => {
    taken.add(m[0]);
    return { start: m.index, end: m.index + m[0].length, kind: 'name', key: '' };
  });
  let rest = masked(text, typed);

  const spans: Span[] = [];
  const stage = (found: Span[]) => {
    spans.push(...found);
    rest = masked(rest, found);
  };
  stage(
    collect(rest, EMAIL, (m) => ({
      start: m.index,
      end: m.index + m[0].length,
      kind: 'email',
      key: m[0].toLowerCase(),
    })),
  );
  stage(collect(rest, NIP, (m) => ({ start: m.index, end: m.index + m[0].length, kind: 'nip', key: digitsOf(m[0]) })));
  stage(collect(rest, NIK, (m) => ({ start: m.index, end: m.index + m[0].length, kind: 'nik', key: digitsOf(m[0]) })));
  stage(findPhones(rest));
  const matchers = [opts.names];
  if (opts.self) matchers.push(nameMatcher([opts.self]));
  stage(findNames(rest, matchers));

  if (!spans.length) return { text, map: {}, counts };

  spans.sort((a, b) => a.start - b.start);
  const placeholderOf = new Map<string, string>();
  const next: Record<RedactionKind, number> = { name: 1, nip: 1, nik: 1, email: 1, phone: 1 };
  const map: Record<string, string> = {};
  let out = '';
  let at = 0;
  for (const span of spans) {
    const original = text.slice(span.start, span.end);
    const id = `${span.kind}:${span.key}`;
    let placeholder = placeholderOf.get(id);
    if (!placeholder) {
      do placeholder = `[${LABELS[span.kind]}_${next[span.kind]++}]`;
      while (taken.has(placeholder));
      placeholderOf.set(id, placeholder);
      map[placeholder] = original;
    } else if (span.kind === 'name' && original.length > map[placeholder].length) {
      map[placeholder] = original;
    }
    counts[span.kind]++;
    out += text.slice(at, span.start) + placeholder;
    at = span.end;
  }
  return { text: out + text.slice(at), map, counts };
}

/** Puts the originals back into a model's answer (placeholders it echoed, also inside JSON strings); unknown placeholders are left as they are. */
export function restore(answer: string, map: Record<string, string>): string {
  return answer.replace(PLACEHOLDER, (p) => (Object.prototype.hasOwnProperty.call(map, p) ? map[p] : p));
}

/** restore() applied to every string inside a parsed JSON value (values only; object keys are left alone). Returns a copy. */
export function restoreDeep<T>(value: T, map: Record<string, string>): T {
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return restore(v, map);
    if (Array.isArray(v)) return v.map(visit);
    if (v !== null && typeof v === 'object') {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return v;
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, visit(inner)]));
    }
    return v;
  };
  return visit(value) as T;
}
