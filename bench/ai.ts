/**
 * `npm run bench -- ai [--turns 300] [--provider-ms 200] [--baseline turns/4] [--offline-turns 5000] [--seed 1]`
 *
 * The AI coaching engine's own cost per turn (src/ai/coach-engine.ts), apart from the provider's
 * answer time, and the offline engine's throughput. Target: overhead p99 < 25 ms. With the
 * defaults a run takes about 95 s, most of it the (--turns + --baseline) × --provider-ms waits.
 *
 * - Inputs (deterministic from --seed): a roster of --roster people (1,000) with Indonesian names
 *   (titles and degrees, Balinese and Batak particles), compiled once into a NameMatcher (its build
 *   time reported on its own); 20 reflections of 150–1,500 words made from sentence pools that
 *   name roster people (full names with titles and degrees, given names, family names, with
 *   honorifics) and hold NIKs, NIPs, phones and e-mails, so the redaction has real work; each from one of the four templates.
 * - The provider: sim/fake-openai.ts started in this process (real HTTP on 127.0.0.1).
 *   Its fallback answers every chat request after a fixed --provider-ms with a valid Cermin-lens
 *   JSON answer that echoes the request's [NAMA_n] placeholders (so restore() has work) and
 *   quotes the participant (so the evidence screen passes). The server shares this process's
 *   event loop with both the engine and the baseline calls, alike.
 * - Overhead, concurrency 1: --turns CoachEngine.turn() calls (lens 'cermin', consent given, the
 *   real AiProvider through the `openai` SDK, the in-memory circuit breaker and rate limiter; the
 *   token budgets and the audit, which are database round trips, are left out: a stub budget that
 *   always says ok, no audit), the 20 texts in shuffled rounds. The baseline is
 *   measured in the same run, on the same server with the same delay: the same request (the very
 *   messages the engine builds for that text, same parameters) made directly with the `openai`
 *   SDK, --baseline times, one after every k-th engine turn (before it or after it, alternately).
 *   Overhead per turn = engine turn − the baseline's median (the headline: every bit of the
 *   engine's tail counts as its own); also shown paired (each baseline call against the engine
 *   turn next to it, same text) and as the engine's time outside provider.complete() (the
 *   provider's own latency, timed with performance.now).
 * - Then the same at --concurrency 8 (--concurrent-turns engine turns and as many direct calls,
 *   each worker alternating), overhead against that phase's baseline median: a second line.
 * - The engine's CPU side alone, no HTTP: redact + buildMessages + parse + screenOutput +
 *   restoreDeep on the same texts and answers, --cpu-turns times, per piece and per text.
 * - Offline engine: --offline-turns turns through CoachEngine.turn() without a provider (what
 *   answers when there is none), in sessions of 6 turns with a growing `asked` list, over 60
 *   texts of about 10–1,500 words (log-spaced) and the four templates: turns per second, p50/p99.
 * - --profile DIR: a CPU profile of this process during the sequential AI turns
 *   (DIR/ai-turns.cpuprofile) and, in the report, where its samples fall per turn.
 *
 * Output: tables, and as the last line of stdout one JSON object. Exit 0 when every AI turn was
 * answered by the AI (a measurement of the AI path), 1 otherwise or on a failure, 2 on bad usage.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { CoachEngine, type TurnInput, type TurnResult } from '../src/ai/coach-engine';
import { loadLenses, screenOutput, type LensLibrary } from '../src/ai/lenses';
import type { BerakhlakValue } from '../src/domain/vocabulary';
import { CircuitBreakers, RateLimiter, type TokenBudgets } from '../src/ai/limits';
import { loadQuestionBank, type QuestionBank } from '../src/ai/offline/engine';
import { buildMessages } from '../src/ai/prompt';
import { AiProvider, type ChatMessage } from '../src/ai/provider';
import {
  nameMatcher,
  redact,
  restoreDeep,
  type KnownPerson,
  type NameMatcher,
  type Redaction,
} from '../src/ai/redaction';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../sim/fake-openai';
import {
  BenchError,
  parseFlags,
  percentile,
  round,
  runBench,
  seededRandom,
  table,
  type BenchRun,
  type CommonOptions,
} from './harness';

const USAGE = `Usage: npm run bench -- ai [--turns 300] [--provider-ms 200] [--baseline turns/4] [--warmup 6]
       [--concurrency 8] [--concurrent-turns 64] [--cpu-turns 1000] [--offline-turns 5000]
       [--roster 1000] [--seed 1] [--timeout 300] [--profile DIR]`;

const TARGET_MS = 25;
const LENS_ID = 'cermin';
const MODEL = 'fake-model';
const TEXT_COUNT = 20;
const OFFLINE_TEXT_COUNT = 60;
const SESSION_TURNS = 6;

interface Options extends CommonOptions {
  turns: number;
  providerMs: number;
  baseline: number;
  warmup: number;
  concurrency: number;
  concurrentTurns: number;
  cpuTurns: number;
  offlineTurns: number;
  roster: number;
  seed: number;
}

function parseOptions(argv: string[]): Options {
  const { num, nodeEnv, profileDir } = parseFlags(argv, [
    'turns',
    'provider-ms',
    'baseline',
    'warmup',
    'concurrency',
    'concurrent-turns',
    'cpu-turns',
    'offline-turns',
    'roster',
    'seed',
  ]);
  const turns = num('turns', 300, 1);
  const opts: Options = {
    turns,
    providerMs: num('provider-ms', 200, 0),
    baseline: num('baseline', Math.ceil(turns / 4), 1),
    warmup: num('warmup', 6, 0),
    concurrency: num('concurrency', 8, 1),
    concurrentTurns: num('concurrent-turns', 64, 0),
    cpuTurns: num('cpu-turns', 1000, 1),
    offlineTurns: num('offline-turns', 5000, 1),
    roster: num('roster', 1000, 10),
    seed: num('seed', 1, 0),
    timeoutSeconds: num('timeout', 300, 10),
    nodeEnv,
    profileDir,
  };
  if (opts.baseline > opts.turns) throw new BenchError('--baseline: at most --turns');
  return opts;
}

// ---------- deterministic inputs ----------

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const digits = (rand: Rand, n: number): string =>
  Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');

function shuffled<T>(rand: Rand, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const GIVEN_M = [
  'Ahmad',
  'Agus',
  'Bambang',
  'Hendra',
  'Rizky',
  'Teguh',
  'Andi',
  'Yusuf',
  'Fadli',
  'Irfan',
  'Eko',
  'Dimas',
  'Galih',
  'Rahmat',
  'Slamet',
  'Zainal',
  'Arief',
  'Bayu',
  'Erlangga',
  'Fajar',
  'Gilang',
  'Joko',
  'Lukman',
  'Reza',
  'Taufik',
  'Wawan',
  'Yoga',
  'Aditya',
  'Bagas',
  'Hasan',
  'Ilham',
  'Kevin',
  'Danu',
  'Satria',
  'Yohanes',
  'Markus',
];
const GIVEN_F = [
  'Rina',
  'Dewi',
  'Yohana',
  'Siti',
  'Fitri',
  'Nurul',
  'Wahyuni',
  'Ratna',
  'Sri',
  'Lestari',
  'Maya',
  'Novita',
  'Putri',
  'Wulan',
  'Yanti',
  'Citra',
  'Dian',
  'Hana',
  'Indah',
  'Mega',
  'Nanda',
  'Oktaviani',
  'Pratiwi',
  'Sinta',
  'Utami',
  'Vina',
  'Zahra',
  'Anisa',
  'Rahmi',
  'Kartika',
  'Aulia',
  'Melati',
  'Febriani',
  'Rumondang',
  'Theresia',
  'Agustina',
];
const MIDDLE = [
  'Fauzi',
  'Marlina',
  'Maria',
  'Pratama',
  'Aisyah',
  'Santoso',
  'Wijaya',
  'Permana',
  'Nurhaliza',
  'Kurniawan',
  'Fitriani',
  'Hidayati',
  'Saputri',
  'Ramadhani',
  'Prasetya',
  'Utomo',
  'Handayani',
  'Rizki',
  'Amelia',
  'Purnama',
  'Setiadi',
  'Anggraeni',
  'Hakim',
  'Yulianti',
  'Wardhana',
  'Safitri',
  'Firdaus',
  'Azhari',
  'Kusumawati',
  'Susilo',
];
const FAMILY = [
  'Hidayat',
  'Siregar',
  'Simbolon',
  'Nasution',
  'Harahap',
  'Lubis',
  'Saragih',
  'Sinaga',
  'Pohan',
  'Chaniago',
  'Tanjung',
  'Sihombing',
  'Wirawan',
  'Gunawan',
  'Setiawan',
  'Kusuma',
  'Saputra',
  'Rahman',
  'Syahputra',
  'Situmorang',
  'Manurung',
  'Pardede',
  'Panjaitan',
  'Hutapea',
  'Tambunan',
  'Pangaribuan',
  'Marpaung',
  'Sembiring',
  'Ginting',
  'Tarigan',
  'Purba',
  'Damanik',
  'Rangkuti',
  'Daulay',
  'Effendi',
  'Prasetyo',
  'Nugroho',
  'Susanto',
  'Wibowo',
  'Haryanto',
  'Suryadi',
  'Kurniadi',
  'Firmansyah',
  'Ramadhan',
  'Maulana',
  'Iskandar',
  'Halim',
  'Sudirman',
  'Mahendra',
  'Yulianto',
  'Pranoto',
  'Sasmita',
  'Rusdi',
  'Manoppo',
  'Tuanakotta',
  'Latuconsina',
  'Rumbiak',
  'Wenda',
  'Laoly',
  'Batubara',
];
const BALI_M = ['I Gede', 'I Made', 'I Putu', 'I Ketut', 'I Komang', 'I Wayan'];
const BALI_F = ['Ni Luh Putu', 'Ni Made', 'Ni Kadek', 'Ni Wayan', 'Ni Komang'];
const LEADING = ['Dr.', 'H.', 'Hj.', 'Ir.', 'Drs.'];
const DEGREES = ['S.E.', 'S.H.', 'M.Si.', 'S.Kom.', 'S.Sos.', 'M.M.', 'S.T.', 'S.Pd.', 'M.A.P.', 'A.Md.'];
const DOMAINS = [
  'kemenkeu.go.id',
  'bkn.go.id',
  'lan.go.id',
  'jakarta.go.id',
  'gmail.com',
  'yahoo.co.id',
  'kemkes.go.id',
  'bps.go.id',
];
const UNITS = [
  'Bagian Umum',
  'Subbagian Kepegawaian',
  'Seksi Pelayanan',
  'Bidang Perencanaan',
  'Loket Terpadu',
  'Bagian Keuangan',
  'Puskesmas Kecamatan',
  'Kantor Kelurahan',
];

interface Person extends KnownPerson {
  female: boolean;
  /** How the text calls them: the first given name, and the family name. */
  call: string;
  family: string;
}

/** `count` distinct roster people as an LMS would list them (name, givenName, familyName). */
function makeRoster(rand: Rand, count: number): Person[] {
  const people: Person[] = [];
  const seen = new Set<string>();
  while (people.length < count) {
    const female = rand() < 0.5;
    const r = rand();
    let given: string;
    let family: string;
    let call: string;
    if (r < 0.08) {
      // Balinese: particles + a given name.
      given = `${pick(rand, female ? BALI_F : BALI_M)} ${pick(rand, female ? GIVEN_F : GIVEN_M)}`;
      family = pick(rand, ['Wirawan', 'Lestari', 'Suardana', 'Astawa', 'Sudiarta', 'Wulandari', 'Mahendra']);
      call = given.split(' ').at(-1) as string;
    } else if (r < 0.14 && female) {
      // Batak women: "br." before the clan name.
      given = `${pick(rand, GIVEN_F)} ${pick(rand, MIDDLE)}`;
      family = `br. ${pick(rand, ['Siregar', 'Simbolon', 'Sihombing', 'Situmorang', 'Manurung', 'Pardede', 'Hutapea', 'Tambunan'])}`;
      call = given.split(' ')[0];
    } else {
      given =
        rand() < 0.7
          ? `${pick(rand, female ? GIVEN_F : GIVEN_M)} ${pick(rand, MIDDLE)}`
          : pick(rand, female ? GIVEN_F : GIVEN_M);
      family = pick(rand, FAMILY);
      call = given.split(' ')[0];
    }
    const plain = `${given} ${family}`;
    if (seen.has(plain)) continue;
    seen.add(plain);
    const titled = rand() < 0.12;
    const name = titled ? `${pick(rand, LEADING)} ${plain}, ${pick(rand, DEGREES)}` : plain;
    people.push({ name, givenName: given, familyName: family, female, call, family: family.replace(/^br\. /, '') });
  }
  return people;
}

/** One way of referring to a roster person in a reflection. */
function refer(rand: Rand, p: Person): string {
  const hon = p.female ? pick(rand, ['Bu', 'Ibu', 'Mbak', 'Kak']) : pick(rand, ['Pak', 'Bapak', 'Mas', 'Bang']);
  const r = rand();
  if (r < 0.25) return `${hon} ${p.call}`;
  if (r < 0.45) return `${p.givenName} ${p.familyName}`;
  if (r < 0.6) return `${hon} ${p.call} ${p.family}`;
  if (r < 0.7) return p.name;
  if (r < 0.8) return `${p.call} ${p.family}`;
  if (r < 0.9) return `${hon} ${p.family}`;
  return p.call;
}

const nik = (rand: Rand): string => {
  const d = `${1 + Math.floor(rand() * 9)}${digits(rand, 15)}`;
  return rand() < 0.6 ? d : `${d.slice(0, 4)} ${d.slice(4, 8)} ${d.slice(8, 12)} ${d.slice(12)}`;
};
const nip = (rand: Rand): string =>
  `19${digits(rand, 2)}0${1 + Math.floor(rand() * 9)}1${Math.floor(rand() * 3)} 20${digits(rand, 2)}0${1 + Math.floor(rand() * 9)} ${1 + Math.floor(rand() * 2)} 0${digits(rand, 2)}`;
const phone = (rand: Rand): string => {
  const body = `8${1 + Math.floor(rand() * 9)}${digits(rand, 8 + Math.floor(rand() * 2))}`;
  const r = rand();
  if (r < 0.35) return `0${body.slice(0, 3)}-${body.slice(3, 7)}-${body.slice(7)}`;
  if (r < 0.65) return `+62 ${body.slice(0, 3)} ${body.slice(3, 7)} ${body.slice(7)}`;
  if (r < 0.85) return `0${body}`;
  return `(021) 5${digits(rand, 2)}-${digits(rand, 4)}`;
};
const email = (rand: Rand, p: Person): string =>
  `${p.call.toLowerCase()}.${p.family.toLowerCase().replace(/[^a-z]/g, '')}${rand() < 0.3 ? digits(rand, 2) : ''}@${pick(rand, DOMAINS)}`;

/** Sentences with slots: {P} a roster person, {NIK}, {NIP}, {HP}, {EMAIL} (of a person), {UNIT}, {N} a number. */
const PII_SENTENCES = [
  'Pagi itu {P} meminta saya membantu warga yang datang mengurus surat keterangan di loket pelayanan.',
  'Seorang warga, {P}, menyerahkan fotokopi KTP dengan NIK {NIK} yang ternyata berbeda dengan data di sistem.',
  'Untuk memastikan, saya menghubungi beliau di nomor {HP} dan mengirim ringkasan persyaratan ke {EMAIL}.',
  'Mentor saya, {P}, mengingatkan bahwa data pribadi warga tidak boleh dibagikan lewat grup percakapan.',
  'Dalam rapat koordinasi hari Senin, {P} dari {UNIT} mengusulkan antrean daring agar warga tidak menunggu terlalu lama.',
  'Saya berdiskusi dengan {P} tentang cara menjelaskan alur berkas kepada warga lanjut usia.',
  'Terima kasih kepada {P} yang sudah membantu menyiapkan ruang tunggu sebelum loket dibuka.',
  'NIP saya {NIP} tercantum di surat tugas sebagai penanggung jawab kegiatan ini.',
  'Warga yang belum lengkap berkasnya saya minta menghubungi {HP} atau menulis ke {EMAIL} agar bisa dibantu lebih dulu.',
  'Ketika {P} terlambat datang, saya dan {P} membagi tugas supaya loket tetap berjalan.',
  'Coach saya, {P}, bertanya apa bukti bahwa perubahan ini benar-benar membantu warga.',
  'Ada keluhan dari {P} karena nomor antreannya terlewat, lalu saya meminta maaf dan mendahulukan berkasnya.',
  'Saya juga mencatat NIK {NIK} milik pemohon berikutnya dengan teliti sebelum menyimpannya di sistem.',
  'Rekan saya {P} menunjukkan cara memeriksa data kependudukan dengan lebih cepat.',
  'Sore harinya saya melapor kepada {P} melalui pesan ke nomor {HP}.',
];
const PLAIN_SENTENCES = [
  'Saya melayani warga dengan ramah dan menjelaskan persyaratan satu per satu, lalu mencatatnya di buku register.',
  'Saya mencatat waktu tunggu rata-rata turun dari {N} menit menjadi 20 menit setelah dua minggu.',
  'Saya merasa lega karena warga pulang dengan berkas yang lengkap dan tidak perlu kembali lagi.',
  'Pelajaran yang saya ambil adalah pentingnya mendengarkan keluhan warga sampai selesai sebelum menjelaskan aturan.',
  'Minggu depan saya akan menyusun daftar periksa persyaratan dan menempelnya di setiap loket.',
  'Budi pekerti dan akhlak mulia menjadi dasar pelayanan kami setiap hari.',
  'Kendala terbesar adalah jaringan internet yang sering putus pada jam 10.00 sampai 12.00.',
  'Kami sepakat bahwa setiap keluhan dicatat dan ditindaklanjuti paling lambat tiga hari kerja.',
  'Saya belajar bahwa akuntabel berarti jujur tentang kesalahan, termasuk ketika saya salah memasukkan data.',
  'Target saya bulan ini adalah {N}% berkas selesai pada hari yang sama.',
  'Awalnya saya ragu apakah cara baru ini akan diterima oleh rekan-rekan di unit kerja.',
  'Saya membuat formulir sederhana agar warga bisa menilai kejelasan penjelasan petugas.',
  'Dari {N} warga yang mengisi formulir, sebagian besar mengatakan penjelasannya mudah dipahami.',
  'Saya menyadari bahwa saya sering terburu-buru ketika antrean panjang, dan itu membuat penjelasan saya kurang jelas.',
  'Ke depan saya ingin lebih sabar dan memastikan warga benar-benar paham sebelum berkas diserahkan.',
  'Kepala seksi memberi izin untuk mencoba jadwal piket baru selama satu bulan.',
  'Saya menyiapkan contoh berkas yang sudah lengkap supaya warga bisa membandingkan sendiri.',
  'Hari pertama uji coba berjalan lambat karena kami belum terbiasa dengan urutan yang baru.',
  'Setelah satu minggu, jumlah berkas yang dikembalikan karena kurang lengkap berkurang cukup banyak.',
  'Saya mengajak rekan-rekan berbagi pengalaman setiap Jumat sore agar kami belajar bersama.',
  'Saya merasa kecewa ketika usulan saya pertama kali ditolak, tetapi kemudian saya memperbaikinya dengan data.',
  'Bagi saya, berorientasi pelayanan berarti mempermudah urusan warga tanpa melanggar aturan.',
  'Saya bertanya kepada warga apa yang paling menyulitkan mereka saat mengurus dokumen.',
  'Jawaban mereka membuat saya sadar bahwa papan informasi di depan kantor sulit dibaca.',
  'Kami mengganti papan informasi dengan tulisan yang lebih besar dan bahasa yang lebih sederhana.',
  'Saya mendokumentasikan setiap perubahan dengan foto dan catatan harian sebagai bukti kegiatan.',
  'Di tengah kegiatan, saya harus mengikuti pelatihan selama {N} hari sehingga jadwal bergeser.',
  'Saya belajar menyesuaikan rencana tanpa mengorbankan tujuan utama kegiatan.',
  'Kolaborasi dengan bagian lain ternyata lebih mudah ketika tujuan bersama dijelaskan sejak awal.',
  'Saya ingin mengukur keberhasilan dari berkurangnya keluhan, bukan hanya dari cepatnya layanan.',
];

type Activity = Pick<TurnInput, 'activity' | 'promptText' | 'phase' | 'value'>;

const ACTIVITIES: Activity[] = [
  {
    activity: { templateId: 'berakhlak', title: 'Refleksi BerAKHLAK', kind: 'sections', locale: 'id' },
    promptText: 'Ceritakan satu kejadian ketika Anda melayani seseorang dan apa yang Anda pelajari.',
    value: 'berorientasi-pelayanan',
  },
  {
    activity: { templateId: 'aktualisasi', title: 'Coaching aktualisasi', kind: 'sections', locale: 'id' },
    promptText: 'Bagaimana keadaan yang sebenarnya selama pelaksanaan kegiatan Anda?',
    phase: { stage: 'pelaksanaan', grow: 'reality' },
  },
  {
    activity: { templateId: 'habituasi', title: 'Jurnal habituasi', kind: 'journal', locale: 'id' },
    promptText: 'Apa kegiatan paling bermakna hari ini?',
  },
  {
    activity: { templateId: 'bebas', title: 'Refleksi bebas', kind: 'sections', locale: 'id' },
    promptText: 'Ceritakan pengalaman kerja yang ingin Anda renungkan.',
    value: 'akuntabel' as BerakhlakValue,
  },
];

interface Reflection {
  text: string;
  words: number;
  self: Person;
  activity: Activity;
}

const wordCount = (s: string) => s.split(/\s+/).filter(Boolean).length;

/** A reflection of at least `target` words (stops at the first sentence that reaches it). */
function makeReflection(
  rand: Rand,
  roster: Person[],
  target: number,
  activity: Activity,
  withPii: boolean,
): Reflection {
  const self = pick(rand, roster);
  const fill = (template: string): string =>
    template
      .replace(/\{P\}/g, () => refer(rand, pick(rand, roster)))
      .replace(/\{NIK\}/g, () => nik(rand))
      .replace(/\{NIP\}/g, () => nip(rand))
      .replace(/\{HP\}/g, () => phone(rand))
      .replace(/\{EMAIL\}/g, () => email(rand, pick(rand, roster)))
      .replace(/\{UNIT\}/g, () => pick(rand, UNITS))
      .replace(/\{N\}/g, () => String(5 + Math.floor(rand() * 90)));
  const sentences: string[] = [];
  let words = 0;
  const add = (s: string) => {
    sentences.push(s);
    words += wordCount(s);
  };
  if (withPii)
    add(`Nama saya ${self.givenName} ${self.familyName} dari ${pick(rand, UNITS)}, dan ini refleksi saya minggu ini.`);
  // The first sentences make sure every kind of personal data is there at least once.
  const firsts = withPii ? [PII_SENTENCES[1], PII_SENTENCES[2], PII_SENTENCES[0]] : [];
  for (let k = 0; words < target; k++) {
    const template =
      k < firsts.length ? firsts[k] : withPii && rand() < 0.3 ? pick(rand, PII_SENTENCES) : pick(rand, PLAIN_SENTENCES);
    add(fill(template));
  }
  const paragraphs: string[] = [];
  for (let i = 0; i < sentences.length; i += 5) paragraphs.push(sentences.slice(i, i + 5).join(' '));
  let text = paragraphs.join('\n\n');
  // Short texts: cut to the target (the offline engine's "too short" path is exercised too).
  if (words > target && target < 40) text = text.split(/\s+/).slice(0, target).join(' ');
  return { text, words: wordCount(text), self, activity };
}

// ---------- the provider's answer ----------

const ANY_PLACEHOLDER = /\[(?:NAMA|NIP|NIK|EMAIL|TELEPON)_\d+\]/g;

/**
 * A valid Cermin-lens answer to a chat request: it names the first placeholders of the
 * participant's (redacted) text, so restore() has names to put back, and quotes eight words of it.
 */
function cerminAnswer(body: ChatRequest): string {
  const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
  const open = user.indexOf('<refleksi>\n');
  const close = user.lastIndexOf('\n</refleksi>');
  const fence = open >= 0 && close > open ? user.slice(open + '<refleksi>\n'.length, close) : user;
  const names = [...new Set(fence.match(ANY_PLACEHOLDER) ?? [])].filter((p) => p.startsWith('[NAMA_'));
  const [a = 'rekan Anda', b = 'warga', c = 'atasan Anda'] = names;
  const sentence =
    fence.split(/(?<=[.!?])\s+/).find((s) => !/[[\]\d&]/.test(s) && wordCount(s) >= 8) ?? 'saya melayani warga';
  const quote = sentence
    .split(/\s+/)
    .slice(0, 8)
    .join(' ')
    .replace(/[.,!?;:]+$/, '');
  return JSON.stringify({
    observations: [
      `Anda menceritakan peran ${a} dalam kejadian ini dan apa yang Anda lakukan sesudahnya.`,
      `Anda menyebut ${b} dan ${c}, tetapi belum menceritakan bagaimana tanggapan mereka atas langkah Anda.`,
    ],
    questions: [
      `Apa yang sebenarnya ${a} harapkan dari Anda saat itu?`,
      'Bagaimana Anda tahu warga benar-benar memahami penjelasan Anda?',
      `Apa yang akan Anda lakukan berbeda bila bekerja bersama ${b} lagi?`,
    ],
    values: [{ value: 'berorientasi-pelayanan', evidence: quote }],
  });
}

// ---------- statistics ----------

interface Stats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
  };
}

const ms = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const statRow = (label: string, s: Stats, d = 2): Array<string | number> => [
  label,
  s.n,
  ms(s.p50, d),
  ms(s.p90, d),
  ms(s.p99, d),
  ms(s.max, d),
  ms(s.mean, d),
];
const STAT_HEADER = ['', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'mean ms'];

// ---------- CPU profile (--profile) ----------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

class Profiler {
  private readonly session = new inspector.Session();
  private post<T>(method: string, params: object = {}): Promise<T> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  }
  async start(): Promise<void> {
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: 100 });
    await this.post('Profiler.start');
  }
  async stop(): Promise<CpuProfile> {
    const { profile } = await this.post<{ profile: CpuProfile }>('Profiler.stop');
    this.session.disconnect();
    return profile;
  }
}

/** Which part of the process a sampled frame is: the engine's own modules, the SDK, the fake server, Node, GC, idle. */
function areaOf(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle (waiting for the provider)';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return 'V8/native (program)';
  const m = /\/src\/ai\/(?:offline\/)?([\w-]+)\.js$/.exec(url);
  if (m) return `src/ai/${m[1]}`;
  if (/\/node_modules\/openai\//.test(url)) return 'openai SDK';
  if (
    /\/node_modules\/(node-fetch|agentkeepalive|form-data|formdata-node|abort-controller|whatwg-url|tr46)\//.test(url)
  )
    return 'SDK HTTP stack (node-fetch, agentkeepalive)';
  if (/\/node_modules\/ajv\//.test(url)) return 'ajv';
  if (/\/test\/support\/fake-openai\.js$/.test(url)) return 'fake provider (this process)';
  if (/\/bench\/ai\.js$/.test(url)) return 'bench (this file)';
  if (url.startsWith('node:') || !url) return 'Node core (http, net, streams, timers)';
  return `other: ${path.basename(url)}`;
}

function summarizeProfile(profile: CpuProfile, turns: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Frames under node:inspector are this profiler's own start and stop, not the turns.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const underInspector = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      if (byId.get(at)?.callFrame.url === 'node:inspector') return true;
    return false;
  };
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++)
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    const area = underInspector(id) ? 'the profiler itself (start/stop)' : areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    if (!area.startsWith('idle') && !area.startsWith('the profiler')) {
      const key = `${functionName || '(anonymous)'}  ${url ? `${path.relative(process.cwd(), url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : ''}`;
      fns.set(key, (fns.get(key) ?? 0) + us);
    }
  }
  const perTurn = (us: number) => (us / 1000 / turns).toFixed(3);
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)} %`;
  const lines = [
    `CPU profile of the sequential AI turns (this process, 100 µs sampling; ${(total / 1e6).toFixed(1)} s sampled over ${turns} engine turns + their baseline calls):`,
    table(
      ['area (self time)', 'ms per engine turn', 'share'],
      [...areas].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, perTurn(v), pct(v)]),
    ),
    '',
    'top functions by self time (idle left out):',
    table(
      ['function', 'ms per engine turn', 'share'],
      [...fns]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([k, v]) => [k, perTurn(v), pct(v)]),
    ),
  ];
  return lines.join('\n');
}

// ---------- the run ----------

export function main(argv: string[]): Promise<number> {
  return runBench({
    bench: 'ai',
    usage: USAGE,
    argv,
    parse: parseOptions,
    scripts: [],
    profileNote: (dir) => `CPU profile: ${path.join(dir, 'ai-turns.cpuprofile')}`,
    body: (run, opts) => measure(run, opts),
  });
}

interface Prepared {
  r: Reflection;
  input: TurnInput;
  redaction: Redaction;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  truncated: boolean;
  /** The provider's answer to these messages (what cerminAnswer returns for them). */
  raw: string;
}

async function measure(run: BenchRun, opts: Options): Promise<number> {
  const { guard, progress } = run;
  const rand = seededRandom(opts.seed);
  const lenses: LensLibrary = loadLenses();
  const bank: QuestionBank = loadQuestionBank();
  const lens = lenses.get(LENS_ID);
  if (!lens) throw new BenchError(`lens '${LENS_ID}' not found in config/lenses`);

  // Roster and its matcher (built once per course in Cermin; timed here on its own).
  const roster = makeRoster(rand, opts.roster);
  const buildTimes: number[] = [];
  let names: NameMatcher | undefined;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    names = nameMatcher(roster);
    buildTimes.push(performance.now() - t0);
  }
  const matcher = names as NameMatcher;
  const matcherCold = buildTimes[0];
  const matcherWarm = stats(buildTimes.slice(1)).p50;
  progress(
    `roster: ${roster.length} people, ${matcher.phrases} phrases; matcher built in ${matcherCold.toFixed(1)} ms (first), ${matcherWarm.toFixed(1)} ms (median of 5 more)`,
  );

  // The 20 reflections, 150–1,500 words, each with one of the four activities.
  const reflections: Reflection[] = Array.from({ length: TEXT_COUNT }, (_, i) =>
    makeReflection(
      rand,
      roster,
      Math.round(150 + (i * (1480 - 150)) / (TEXT_COUNT - 1)),
      ACTIVITIES[i % ACTIVITIES.length],
      true,
    ),
  );
  const inputOf = (r: Reflection, over: Partial<TurnInput> = {}): TurnInput => ({
    platform: 'bench-platform',
    courseKey: 'bench-course',
    activityId: `bench-${r.activity.activity.templateId}`,
    userKey: `u-${roster.indexOf(r.self)}`,
    lensId: LENS_ID,
    aiMode: 'all',
    consented: true,
    ...r.activity,
    text: r.text,
    locale: 'id',
    names: matcher,
    self: { name: r.self.name, givenName: r.self.givenName, familyName: r.self.familyName },
    asked: [],
    ...over,
  });
  const prepared: Prepared[] = reflections.map((r) => {
    const input = inputOf(r);
    const redaction = redact(r.text, { names: matcher, self: input.self });
    const built = buildMessages({
      lens,
      activity: input.activity,
      phase: input.phase,
      value: input.value,
      promptText: input.promptText,
      text: redaction.text,
      locale: 'id',
    });
    const raw = cerminAnswer({ model: MODEL, messages: built.messages });
    const parsed = lenses.parse(LENS_ID, raw);
    if (!parsed.ok) throw new BenchError(`the fake provider's answer does not validate: ${parsed.errors.join('; ')}`);
    const problems = screenOutput(parsed.value, { text: redaction.text, placeholders: Object.keys(redaction.map) });
    if (problems.length)
      throw new BenchError(
        `the fake provider's answer is screened out: ${problems.map((p) => `${p.kind} ${p.path} ${p.message}`).join('; ')}`,
      );
    return {
      r,
      input,
      redaction,
      messages: built.messages,
      maxTokens: built.maxTokens,
      temperature: built.temperature,
      truncated: built.truncated,
      raw,
    };
  });

  // ---- the engine's CPU side alone (no HTTP) ----
  const PIECES = ['redact', 'buildMessages', 'parse (JSON + schema)', 'screenOutput', 'restoreDeep'] as const;
  const cpuRun = (count: number, record: boolean) => {
    const pieces = PIECES.map(() => [] as number[]);
    const totals: number[] = [];
    const perText = prepared.map(() => [] as number[]);
    for (let i = 0; i < count; i++) {
      const k = i % prepared.length;
      const p = prepared[k];
      const t0 = performance.now();
      const red = redact(p.input.text, { names: matcher, self: p.input.self });
      const t1 = performance.now();
      buildMessages({
        lens,
        activity: p.input.activity,
        phase: p.input.phase,
        value: p.input.value,
        promptText: p.input.promptText,
        text: red.text,
        locale: 'id',
      });
      const t2 = performance.now();
      const parsed = lenses.parse(LENS_ID, p.raw);
      const t3 = performance.now();
      if (!parsed.ok) throw new BenchError('parse failed in the CPU loop');
      const problems = screenOutput(parsed.value, { text: red.text, placeholders: Object.keys(red.map) });
      const t4 = performance.now();
      restoreDeep(parsed.value, red.map);
      const t5 = performance.now();
      if (problems.length) throw new BenchError('screened in the CPU loop');
      if (!record) continue;
      [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4].forEach((d, j) => pieces[j].push(d));
      totals.push(t5 - t0);
      perText[k].push(t5 - t0);
    }
    return { pieces, totals, perText };
  };
  progress(
    `CPU side: ${opts.cpuTurns} turns (redact, buildMessages, parse, screen, restore) after ${Math.min(200, opts.cpuTurns)} warm-up`,
  );
  cpuRun(Math.min(200, opts.cpuTurns), false);
  const cpu = cpuRun(opts.cpuTurns, true);
  const cpuTotal = stats(cpu.totals);

  // ---- the provider: fake OpenAI in this process, a fixed answer time ----
  const fake: FakeOpenAI = await startFakeOpenAI({ models: [MODEL] });
  run.cleanup('close the fake OpenAI server', () => fake.close());
  fake.fallback = { respond: cerminAnswer, delayMs: opts.providerMs };
  progress(`fake OpenAI on ${fake.baseURL}, answering after ${opts.providerMs} ms`);

  const provider = new AiProvider(
    { baseUrl: fake.baseURL, apiKey: fake.apiKey, model: MODEL, timeoutMs: 30_000, maxRetries: 0 },
    { now: () => performance.now() },
  );
  // The limits as Cermin wires them, but for the token budgets, which live in the database: stubbed.
  const budgets = { check: async () => 'ok' as const, spend: async () => undefined } as unknown as TokenBudgets;
  const limits = { breakers: new CircuitBreakers(5, 30_000), rate: new RateLimiter(1_000_000, 60_000), budgets };
  const engine = new CoachEngine({ lenses, bank, provider, limits });
  const direct = new OpenAI({ baseURL: fake.baseURL, apiKey: fake.apiKey, timeout: 30_000, maxRetries: 0 });

  let fallbacks = 0;
  const fallbackReasons = new Map<string, number>();
  const engineTurn = async (p: Prepared): Promise<{ ms: number; outside: number; result: TurnResult }> => {
    const t0 = performance.now();
    const result = await engine.turn(p.input);
    const elapsed = performance.now() - t0;
    fake.requests.length = 0;
    if (result.engine !== 'ai') {
      fallbacks++;
      const why = `${result.reason}${result.detail ? `: ${result.detail}` : ''}`;
      fallbackReasons.set(why, (fallbackReasons.get(why) ?? 0) + 1);
      return { ms: elapsed, outside: NaN, result };
    }
    return { ms: elapsed, outside: elapsed - result.latencyMs, result };
  };
  const directCall = async (p: Prepared): Promise<number> => {
    const t0 = performance.now();
    const res = await direct.chat.completions.create({
      model: MODEL,
      messages: p.messages,
      temperature: p.temperature,
      max_tokens: p.maxTokens,
      response_format: { type: 'json_object' },
      stream: false,
    });
    const elapsed = performance.now() - t0;
    fake.requests.length = 0;
    if (!res.choices[0]?.message?.content) throw new BenchError('the direct call got no content');
    return elapsed;
  };

  // A round of the 20 texts in shuffled order, again and again.
  let order: number[] = [];
  const nextText = (): Prepared => {
    if (!order.length)
      order = shuffled(
        rand,
        prepared.map((_, i) => i),
      );
    return prepared[order.pop() as number];
  };

  // Sanity: one turn must be answered by the AI, with the names put back.
  const first = await guard(engineTurn(prepared[0]));
  if (first.result.engine !== 'ai')
    throw new BenchError(
      `the first AI turn was answered offline (${fallbacks ? [...fallbackReasons.keys()][0] : '?'})`,
    );
  const shown = JSON.stringify(first.result.answer);
  if (/\[NAMA_\d+\]/.test(shown)) throw new BenchError('the answer still holds placeholders after restore');
  fallbacks = 0;
  fallbackReasons.clear();

  progress(`warm-up: ${opts.warmup} engine turns and direct calls`);
  for (let i = 0; i < opts.warmup; i++) {
    const p = nextText();
    await guard(engineTurn(p));
    await guard(directCall(p));
  }
  fallbacks = 0;
  fallbackReasons.clear();

  // ---- sequential: concurrency 1 ----
  const every = Math.max(1, Math.floor(opts.turns / opts.baseline));
  const seq = { engine: [] as number[], outside: [] as number[], direct: [] as number[], paired: [] as number[] };
  const profiler = opts.profileDir ? new Profiler() : undefined;
  if (profiler) await profiler.start();
  progress(
    `measuring: ${opts.turns} engine turns in sequence, a direct call after every ${every === 1 ? '' : `${every}th `}turn (${opts.baseline} in all)`,
  );
  const seqStart = performance.now();
  let pairs = 0;
  for (let i = 0; i < opts.turns; i++) {
    const p = nextText();
    const withDirect = i % every === 0 && pairs < opts.baseline;
    let d: number | undefined;
    if (withDirect && pairs % 2 === 1) d = await guard(directCall(p));
    const e = await guard(engineTurn(p));
    if (withDirect && pairs % 2 === 0) d = await guard(directCall(p));
    seq.engine.push(e.ms);
    if (Number.isFinite(e.outside)) seq.outside.push(e.outside);
    if (d !== undefined) {
      seq.direct.push(d);
      seq.paired.push(e.ms - d);
      pairs++;
    }
    if ((i + 1) % Math.max(1, Math.floor(opts.turns / 5)) === 0) progress(`  ${i + 1}/${opts.turns}`);
  }
  const seqSeconds = (performance.now() - seqStart) / 1000;
  let profileSummary: string | undefined;
  if (profiler && opts.profileDir) {
    const profile = await profiler.stop();
    fs.mkdirSync(opts.profileDir, { recursive: true });
    fs.writeFileSync(path.join(opts.profileDir, 'ai-turns.cpuprofile'), JSON.stringify(profile));
    profileSummary = summarizeProfile(profile, opts.turns);
  }
  const baselineMedian = stats(seq.direct).p50;
  const seqOverhead = stats(seq.engine.map((x) => x - baselineMedian));

  // ---- concurrency 8 ----
  const conc = { engine: [] as number[], direct: [] as number[], outside: [] as number[] };
  let concSeconds = 0;
  if (opts.concurrentTurns > 0) {
    progress(
      `measuring: ${opts.concurrentTurns} engine turns and ${opts.concurrentTurns} direct calls at concurrency ${opts.concurrency}`,
    );
    let left = opts.concurrentTurns;
    const worker = async (w: number) => {
      for (let k = 0; left > 0; k++) {
        left--;
        const p = nextText();
        const engineFirst = (w + k) % 2 === 0;
        if (!engineFirst) conc.direct.push(await directCall(p));
        const e = await engineTurn(p);
        conc.engine.push(e.ms);
        if (Number.isFinite(e.outside)) conc.outside.push(e.outside);
        if (engineFirst) conc.direct.push(await directCall(p));
      }
    };
    const t0 = performance.now();
    await guard(
      Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.concurrentTurns) }, (_, w) => worker(w))),
    );
    concSeconds = (performance.now() - t0) / 1000;
  }
  const concBaseline = stats(conc.direct).p50;
  const concOverhead = stats(conc.engine.map((x) => x - concBaseline));
  await fake.close();

  // ---- offline engine ----
  const offlineRand = seededRandom(opts.seed + 1);
  const offlineTexts = Array.from({ length: OFFLINE_TEXT_COUNT }, (_, i) =>
    makeReflection(
      offlineRand,
      roster,
      Math.round(10 * Math.pow(150, i / (OFFLINE_TEXT_COUNT - 1))),
      ACTIVITIES[i % ACTIVITIES.length],
      i % 3 === 0,
    ),
  );
  const offlineEngine = new CoachEngine({ lenses, bank });
  const offlineTurn = async (r: Reflection, asked: string[]): Promise<string[]> => {
    const result = await offlineEngine.turn(inputOf(r, { asked }));
    if (result.engine !== 'offline') throw new BenchError('the offline engine did not answer');
    return result.answer.questions.map((q) => q.id);
  };
  progress(
    `offline engine: ${opts.offlineTurns} turns in sessions of ${SESSION_TURNS} over ${OFFLINE_TEXT_COUNT} texts of ${offlineTexts[0].words}–${offlineTexts.at(-1)?.words} words`,
  );
  for (let i = 0; i < 300; i++) await offlineTurn(offlineTexts[i % OFFLINE_TEXT_COUNT], []); // warm-up
  const offlineTimes: number[] = [];
  const offlineBuckets = new Map<string, number[]>();
  const bucketOf = (w: number) =>
    w < 50 ? '< 50 words' : w < 200 ? '50–199 words' : w < 600 ? '200–599 words' : '600–1,500 words';
  let askedMax = 0;
  let questionsAsked = 0;
  const offlineStart = performance.now();
  for (let done = 0, session = 0; done < opts.offlineTurns; session++) {
    const asked: string[] = [];
    for (let k = 0; k < SESSION_TURNS && done < opts.offlineTurns; k++, done++) {
      const r = offlineTexts[Math.floor(offlineRand() * OFFLINE_TEXT_COUNT)];
      const t0 = performance.now();
      const ids = await offlineTurn(r, asked);
      const dt = performance.now() - t0;
      asked.push(...ids);
      questionsAsked += ids.length;
      askedMax = Math.max(askedMax, asked.length);
      offlineTimes.push(dt);
      const b = bucketOf(r.words);
      offlineBuckets.set(b, [...(offlineBuckets.get(b) ?? []), dt]);
    }
  }
  const offlineSeconds = (performance.now() - offlineStart) / 1000;
  const offline = stats(offlineTimes);
  const offlineRate = opts.offlineTurns / offlineSeconds;

  // ---- report ----
  const targetMet = seqOverhead.p99 < TARGET_MS;
  const lines: string[] = [];
  const pw = prepared.map((p) => p.r.words);
  lines.push('');
  lines.push(
    `AI coaching turn overhead: lens '${LENS_ID}', fake OpenAI-compatible provider in this process answering after ${opts.providerMs} ms (real HTTP, the openai SDK)`,
  );
  lines.push(
    `node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); seed ${opts.seed}; roster ${roster.length} people (${matcher.phrases} phrases); ` +
      `${TEXT_COUNT} reflections of ${Math.min(...pw)}–${Math.max(...pw)} words (${prepared.filter((p) => p.truncated).length} cut at 12,000 characters by the prompt)`,
  );
  lines.push('');
  lines.push(
    `Concurrency 1: ${opts.turns} engine turns, ${seq.direct.length} direct SDK calls (one after every ${every === 1 ? '' : `${every}th `}turn, before/after it alternately), ${seqSeconds.toFixed(1)} s`,
  );
  lines.push(
    table(STAT_HEADER, [
      statRow('engine turn (CoachEngine.turn)', stats(seq.engine)),
      statRow('direct SDK call (baseline: provider time incl. HTTP)', stats(seq.direct)),
      statRow('overhead = turn − baseline median   [headline]', seqOverhead),
      statRow('overhead paired (turn − its adjacent direct call)', stats(seq.paired)),
      statRow('engine time outside provider.complete()', stats(seq.outside)),
    ]),
  );
  lines.push('');
  lines.push(
    `overhead p99 ${ms(seqOverhead.p99)} ms (target < ${TARGET_MS} ms: ${targetMet ? 'met' : 'NOT met'}); AI answered ${opts.turns - fallbacks}/${opts.turns} turns` +
      (fallbacks ? ` — offline: ${[...fallbackReasons].map(([k, v]) => `${v}× ${k}`).join('; ')}` : ''),
  );
  if (opts.concurrentTurns > 0) {
    lines.push('');
    lines.push(
      `Concurrency ${opts.concurrency}: ${conc.engine.length} engine turns and ${conc.direct.length} direct calls, each worker alternating, ${concSeconds.toFixed(1)} s`,
    );
    lines.push(
      table(STAT_HEADER, [
        statRow('engine turn', stats(conc.engine)),
        statRow('direct SDK call (baseline)', stats(conc.direct)),
        statRow('overhead = turn − baseline median', concOverhead),
        statRow('engine time outside provider.complete()', stats(conc.outside)),
      ]),
    );
  }
  lines.push('');
  lines.push(`The engine's CPU side alone, no HTTP: ${opts.cpuTurns} turns over the ${TEXT_COUNT} texts`);
  const meanTotal = cpuTotal.mean;
  lines.push(
    table(
      [...STAT_HEADER, 'share'],
      [
        ...PIECES.map((name, j) => {
          const s = stats(cpu.pieces[j]);
          return [...statRow(name, s, 3), `${((100 * s.mean) / meanTotal).toFixed(0)} %`];
        }),
        [...statRow('all five (one turn)', cpuTotal, 3), '100 %'],
      ],
    ),
  );
  lines.push('');
  lines.push('per text (CPU side, one turn):');
  lines.push(
    table(
      [
        'text',
        'template',
        'words',
        'chars',
        'names',
        'NIK',
        'NIP',
        'phones',
        'e-mails',
        'prompt chars',
        'p50 ms',
        'max ms',
      ],
      prepared.map((p, k) => {
        const s = stats(cpu.perText[k]);
        const c = p.redaction.counts;
        const promptChars = p.messages.reduce((n, m) => n + m.content.length, 0);
        return [
          k + 1,
          p.r.activity.activity.templateId,
          p.r.words,
          p.r.text.length,
          c.name,
          c.nik,
          c.nip,
          c.phone,
          c.email,
          `${promptChars}${p.truncated ? ' (cut)' : ''}`,
          ms(s.p50, 3),
          ms(s.max, 3),
        ];
      }),
    ),
  );
  lines.push('');
  lines.push(
    `NameMatcher for ${roster.length} people: ${ms(matcherCold, 1)} ms the first build, ${ms(matcherWarm, 1)} ms median of 5 more (once per course)`,
  );
  lines.push('');
  lines.push(
    `Offline engine (CoachEngine.turn without a provider): ${opts.offlineTurns} turns, sessions of ${SESSION_TURNS} with a growing asked list (up to ${askedMax} ids, ${(questionsAsked / opts.offlineTurns).toFixed(2)} questions a turn), ${offlineSeconds.toFixed(1)} s`,
  );
  lines.push(
    table(
      [...STAT_HEADER, 'turns/s'],
      [
        ...['< 50 words', '50–199 words', '200–599 words', '600–1,500 words']
          .filter((b) => offlineBuckets.has(b))
          .map((b) => {
            const s = stats(offlineBuckets.get(b) as number[]);
            return [...statRow(b, s, 3), (1000 / s.mean).toFixed(0)];
          }),
        [...statRow('all', offline, 3), offlineRate.toFixed(0)],
      ],
    ),
  );
  if (profileSummary) {
    lines.push('');
    lines.push(profileSummary);
  }
  lines.push('');
  lines.push(
    JSON.stringify({
      bench: 'ai',
      overhead_p50_ms: round(seqOverhead.p50, 2),
      overhead_p99_ms: round(seqOverhead.p99, 2),
      target_ms: TARGET_MS,
      target_met: targetMet,
      cpu_p50_ms: round(cpuTotal.p50, 3),
      cpu_p99_ms: round(cpuTotal.p99, 3),
      offline_turns_per_s: round(offlineRate, 0),
      offline_p99_ms: round(offline.p99, 3),
      matcher_build_ms: round(matcherWarm, 1),
      turns: opts.turns,
      provider_ms: opts.providerMs,
      baseline_p50_ms: round(baselineMedian, 2),
      overhead_paired_p99_ms: round(stats(seq.paired).p99, 2),
      ...(opts.concurrentTurns > 0
        ? {
            concurrency: opts.concurrency,
            concurrent_overhead_p50_ms: round(concOverhead.p50, 2),
            concurrent_overhead_p99_ms: round(concOverhead.p99, 2),
          }
        : {}),
      ai_answered: opts.turns - fallbacks,
    }),
  );
  run.report = lines.join('\n');
  return fallbacks === 0 ? 0 : 1;
}
