/**
 * `npm run bench -- autosave [--participants 200] [--seconds 30] [--interval 3]`
 *
 * A class writing at once: N participants, each with the journal open, autosaving every few
 * seconds, against Cermin as it runs in production (a child process, a real database over the
 * wire). The project's target: p99 of a save under 100 ms with 200 participants on a 2-core
 * machine. Also the weight of the journal page as a phone on 3G downloads it (target ≤ 60 KB).
 *
 * - Setup as bench/launch.ts: the embedded database for the run (temp dir) or the server of MONGODB_URI
 *   (database cermin_autosave_<rand>, dropped at the end); the demo LMS (sim/lms/platform.ts) in
 *   this process, registered with `node dist/src/cli/platform.js add`; Cermin as
 *   `node dist/src/main.js` (NODE_ENV=development, DEMO=false).
 * - The coach places one 'bebas' activity through the real Deep Linking flow (picker → add →
 *   return → the platform creates the link); each participant launches once on that link
 *   (concurrency --concurrency, its own X-Forwarded-For as behind the reverse proxy, so the
 *   per-client launch rate limit is not hit), which gives its ltik and its entry URL
 *   (`<activity page>/entries/refleksi`).
 * - Load: every participant saves every --interval seconds (±20 %, first save at a random point of
 *   the first interval) for --seconds: `POST <entry URL>` JSON {text, baseRevision} with
 *   `Authorization: Bearer <ltik>`; the text grows as typing does (≈300 characters of Indonesian,
 *   ≈40 more a save, kept under 20,000), baseRevision from the previous answer. A save still
 *   running when the next is due delays it (one tab never sends two at once, as the autosave).
 *   Every answer must be 200 {status:'saved'} with revision = baseRevision + 1; anything else is
 *   an error (so is no answer within --save-timeout), printed; the load stops when errors pass
 *   1 % and what was measured until then is reported. A keep-alive agent (--max-sockets)
 *   so the server, not socket setup, is measured. --warmup saves run first, unmeasured: by default
 *   two per participant, so the measured window is a class already writing (each participant's
 *   first save, which creates their work record, and the database's cold JIT are not in it; with
 *   40 the first 10 s of the window read p99 ≈ 165 ms where the rest read ≈ 60).
 * - Page weight: a fresh participant with one ≈2,000-character entry opens the journal page;
 *   the HTML and every local asset it references (at least /static/cermin.css and
 *   /static/journal.js) are fetched without compression, with gzip and with br; reported as the
 *   bytes a browser would transfer (br when offered, else gzip) with and without headers.
 *
 * Output: tables, and as the last line of stdout one JSON object. Exit 0 when the run completed
 * (targets are reported, not enforced), 1 on a failure (including > 1 % errors), 2 on bad usage.
 * Options: --participants, --seconds, --interval, --concurrency (launches), --warmup (saves),
 * --max-sockets, --save-timeout SECONDS (one save; journal.js itself waits as long as the browser
 * does), --timeout SECONDS (whole run), --node-env development|test, --profile DIR
 * (Cermin runs with `node --cpu-prof`, its profile in DIR).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import { createDemoPlatform, type DemoPlatform, type DemoUser } from '../sim/lms/platform';
import { launchThroughDemo, ltikOf } from '../sim/browser';
import {
  BenchError,
  type BenchRun,
  ClientBrowser,
  cpuProfileArgs,
  describePage,
  nextClientIp,
  parseFlags,
  percentile,
  round,
  runBench,
  sleep,
  table,
  withDbName,
  type CommonOptions,
  cpuSeconds,
  placeActivityVia,
  pool,
} from './harness';

const USAGE = `Usage: npm run bench -- autosave [--participants 200] [--seconds 30] [--interval 3]
       [--concurrency 8] [--warmup 2×participants] [--max-sockets 64] [--save-timeout 60] [--timeout SECONDS]
       [--node-env development|test] [--profile DIR]`;

const CLIENT_ID = 'bench-autosave';
const DEPLOYMENT_ID = 'bench-deployment';
const COACH_ID = 'u-coach-1';
const TEMPLATE_ID = 'bebas';
const ENTRY_KEY = 'refleksi';
/** Cermin's limit is 20,000 characters; the growing text stays a little under it. */
const TEXT_CAP = 19_900;
const START_CHARS = 300;
const GROWTH_CHARS = 40;
const PAGE_ENTRY_CHARS = 2_000;
const TARGET_P99_MS = 100;
const TARGET_PAGE_KB = 60;
const TARGET_PARTICIPANTS = 200;

interface Options extends CommonOptions {
  participants: number;
  seconds: number;
  interval: number;
  concurrency: number;
  warmup: number;
  maxSockets: number;
  saveTimeoutSeconds: number;
}

function parseOptions(argv: string[]): Options {
  const { num, nodeEnv, profileDir } = parseFlags(argv, [
    'participants',
    'seconds',
    'interval',
    'concurrency',
    'warmup',
    'max-sockets',
    'save-timeout',
  ]);
  const seconds = num('seconds', 30, 1, false);
  const participants = num('participants', TARGET_PARTICIPANTS, 1);
  // Setup (the database, Cermin, launches at a few a second) plus the load and the page weight.
  const saveTimeoutSeconds = num('save-timeout', 60, 1, false);
  const fallbackTimeout = Math.ceil(300 + seconds * 1.5 + saveTimeoutSeconds + participants / 2);
  return {
    participants,
    seconds,
    interval: num('interval', 3, 0.1, false),
    concurrency: num('concurrency', 8, 1),
    warmup: num('warmup', 2 * participants, 0),
    maxSockets: num('max-sockets', 64, 1),
    saveTimeoutSeconds,
    timeoutSeconds: num('timeout', fallbackTimeout, 10),
    nodeEnv,
    profileDir,
  };
}

// ---------- the text a participant types ----------

const SENTENCES = [
  'Minggu ini saya belajar bahwa pelayanan publik dimulai dari mendengarkan warga dengan sabar.',
  'Saat rapat koordinasi, saya menunda pendapat saya karena takut dianggap tidak sopan kepada atasan.',
  'Setelah berdiskusi dengan mentor, saya menyadari bahwa diam bukan selalu bentuk hormat.',
  'Nilai akuntabel berarti saya berani menjelaskan keputusan saya, termasuk ketika keputusan itu keliru.',
  'Di loket pelayanan, seorang ibu datang tiga kali untuk dokumen yang sama karena informasinya tidak jelas.',
  'Saya lalu membuat daftar persyaratan yang ditempel di depan meja, dan antrean menjadi lebih tertib.',
  'Perubahan kecil ternyata bisa mengurangi keluhan, asalkan dilakukan dengan konsisten setiap hari.',
  'Saya masih kesulitan membagi waktu antara tugas kantor, tugas pelatihan, dan keluarga di rumah.',
  'Besok saya ingin mencoba mencatat pekerjaan yang paling menyita waktu, lalu membicarakannya dengan atasan.',
  'Kolaborasi dengan bidang lain terasa lambat, tetapi hasilnya lebih lengkap daripada bekerja sendiri.',
  'Saya belajar menulis nota dinas yang singkat, jelas, dan tidak membuat pembaca menebak maksudnya.',
  'Ketika ada rekan yang terlambat menyerahkan laporan, saya mencoba bertanya dulu sebelum menilai.',
  'Ternyata ia sedang merawat orang tuanya yang sakit, dan kami sepakat membagi pekerjaan untuk sementara.',
  'Sikap harmonis bukan berarti menghindari perbedaan pendapat, melainkan menyelesaikannya dengan hormat.',
  'Saya ingin lebih kompeten dalam mengolah data pelayanan agar usulan perbaikan punya dasar yang kuat.',
  'Pelatihan ini membuat saya bertanya kembali mengapa saya memilih menjadi aparatur sipil negara.',
  'Jawabannya sederhana: saya ingin urusan warga di kecamatan kami tidak lagi berbelit-belit.',
  'Loyal kepada negara juga berarti menjaga data warga dan tidak membagikannya sembarangan.',
  'Hari Kamis saya gagal menahan emosi saat sistem aplikasi mati dan antrean memanjang sampai ke halaman.',
  'Refleksi saya: lain kali saya akan menjelaskan keadaan kepada warga lebih awal, bukan diam saja.',
  'Adaptif bagi saya berarti mau mencoba cara kerja baru meskipun cara lama terasa lebih nyaman.',
  'Saya menutup minggu ini dengan satu komitmen kecil: membalas setiap pesan warga dalam satu hari kerja.',
];

/** A participant's endless typing: sentences from a per-participant start, a paragraph every few. */
class Typist {
  private stream = '';
  private next: number;
  private written = 0;
  length: number;

  constructor(seed: number) {
    this.next = seed % SENTENCES.length;
    this.length = START_CHARS + (seed % 17) - 8;
  }

  private ensure(n: number): void {
    while (this.stream.length < n) {
      const sentence = SENTENCES[this.next++ % SENTENCES.length];
      this.written++;
      this.stream += this.stream === '' ? sentence : (this.written % 5 === 1 ? '\n\n' : ' ') + sentence;
    }
  }

  /** The text as it stands, then ≈40 more characters typed for next time. */
  take(): string {
    this.ensure(this.length);
    const text = this.stream.slice(Math.max(0, this.length - TEXT_CAP), this.length);
    this.length += GROWTH_CHARS + Math.floor(Math.random() * 11) - 5;
    return text;
  }

  /** About `n` characters ending at a word. */
  static textOf(n: number): string {
    const t = new Typist(3);
    t.ensure(n + 200);
    const cut = t.stream.lastIndexOf(' ', n);
    return t.stream.slice(0, cut > 0 ? cut : n);
  }
}

// ---------- HTTP ----------

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  headerBytes: number;
  body: Buffer;
  reusedSocket: boolean;
}

/** One request over node:http: the body as it came over the wire (still compressed). */
function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent; timeoutMs?: number },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const req = http.request(url, {
      method: init.method ?? 'GET',
      agent: init.agent,
      headers: { ...init.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
    });
    // The whole exchange, waiting for a free socket included.
    const timeoutMs = init.timeoutMs ?? 30_000;
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    req.once('close', () => clearTimeout(timer));
    req.once('error', (err: Error & { reusedSocket?: boolean }) => {
      clearTimeout(timer);
      reject(Object.assign(err, { reusedSocket: req.reusedSocket }));
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      res.once('end', () => {
        clearTimeout(timer);
        // Status line + header lines + the blank line, as sent over HTTP/1.1.
        let headerBytes = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + 2;
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          headerBytes += Buffer.byteLength(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          headerBytes,
          body: Buffer.concat(chunks),
          reusedSocket: req.reusedSocket,
        });
      });
    });
    req.end(body);
  });
}

function decoded(res: RawResponse): Buffer {
  switch (res.headers['content-encoding']) {
    case 'gzip':
      return zlib.gunzipSync(res.body);
    case 'br':
      return zlib.brotliDecompressSync(res.body);
    case 'deflate':
      return zlib.inflateSync(res.body);
    default:
      return res.body;
  }
}

// ---------- participants ----------

interface Writer {
  user: DemoUser;
  ip: string;
  ltik: string;
  activityPath: string;
  entryUrl: string;
  typist: Typist;
  revision: number;
  saves: number;
}

interface SaveOutcome {
  ok: boolean;
  ms: number;
  /** What was wrong, when not ok. */
  problem?: string;
  retried: boolean;
}

/** One autosave as journal.js sends it; the writer's revision follows the answer. */
async function save(agent: http.Agent, w: Writer, text: string, timeoutMs = 30_000): Promise<SaveOutcome> {
  const baseRevision = w.revision;
  const body = JSON.stringify({ text, baseRevision });
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'Accept-Encoding': 'gzip, deflate, br',
    Authorization: `Bearer ${w.ltik}`,
    'X-Forwarded-For': w.ip,
  };
  let retried = false;
  const start = performance.now();
  let res: RawResponse;
  try {
    try {
      res = await rawRequest(w.entryUrl, { method: 'POST', headers, body, agent, timeoutMs });
    } catch (err) {
      // A keep-alive socket the server closed just as it was reused: the request never arrived.
      if (
        (err as { code?: string; reusedSocket?: boolean }).code !== 'ECONNRESET' ||
        !(err as { reusedSocket?: boolean }).reusedSocket
      )
        throw err;
      retried = true;
      res = await rawRequest(w.entryUrl, { method: 'POST', headers, body, agent, timeoutMs });
    }
  } catch (err) {
    return {
      ok: false,
      ms: performance.now() - start,
      problem: `${w.user.id}: request failed: ${(err as Error).message}`,
      retried,
    };
  }
  const ms = performance.now() - start;
  let answer: { status?: string; revision?: number; current?: { revision?: number }; message?: string } | undefined;
  try {
    answer = JSON.parse(decoded(res).toString('utf8')) as typeof answer;
  } catch {
    answer = undefined;
  }
  if (res.status === 200 && answer?.status === 'saved' && answer.revision === baseRevision + 1) {
    w.revision = answer.revision;
    w.saves++;
    return { ok: true, ms, retried };
  }
  // Keep going from what the server holds, as journal.js would after a conflict.
  if (typeof answer?.revision === 'number') w.revision = answer.revision;
  else if (typeof answer?.current?.revision === 'number') w.revision = answer.current.revision;
  const shown = answer
    ? JSON.stringify({
        ...answer,
        ...(answer.current ? { current: { ...answer.current, text: '…' } } : {}),
        ...('yours' in answer ? { yours: '…' } : {}),
      })
    : decoded(res).toString('utf8').replace(/\s+/g, ' ').slice(0, 300);
  return {
    ok: false,
    ms,
    problem: `${w.user.id}: HTTP ${res.status} (baseRevision ${baseRevision}): ${shown.slice(0, 400)}`,
    retried,
  };
}

/** One launch on the activity's link: the participant's ltik and entry URL. */
async function openJournal(
  demo: DemoPlatform,
  cerminUrl: string,
  linkId: string,
  user: DemoUser,
  seed: number,
): Promise<Writer> {
  const ip = nextClientIp();
  const browser = new ClientBrowser(ip);
  const page = await launchThroughDemo(browser, demo.issuer, user.id, { link: linkId });
  const activityPath = new URL(page.url).pathname;
  if (page.status !== 200 || !/\/activities\/[\w-]+$/.test(activityPath))
    throw new BenchError(`launch of ${user.id} on link ${linkId}: not the journal page: ${describePage(page)}`);
  return {
    user,
    ip,
    ltik: ltikOf(page),
    activityPath,
    entryUrl: `${cerminUrl}${activityPath}/entries/${ENTRY_KEY}`,
    typist: new Typist(seed),
    revision: 0,
    saves: 0,
  };
}

// ---------- process counters ----------

// ---------- page weight ----------

interface AssetWeight {
  name: string;
  status: number;
  identity: number;
  gzip?: number;
  br?: number;
  /** What a browser sending "gzip, deflate, br" receives: body and header bytes. */
  browser: number;
  browserEncoding: string;
  headers: number;
}

async function weigh(url: string, name: string, headers: Record<string, string>): Promise<AssetWeight> {
  const get = (encoding: string) =>
    rawRequest(url, { headers: { ...headers, 'Accept-Encoding': encoding }, timeoutMs: 15_000 });
  const plain = await get('identity');
  if (plain.status !== 200)
    return { name, status: plain.status, identity: 0, browser: 0, browserEncoding: '–', headers: 0 };
  const gz = await get('gzip');
  const br = await get('br');
  const browser = await get('gzip, deflate, br');
  const size = (r: RawResponse, enc: string) => (r.headers['content-encoding'] === enc ? r.body.length : undefined);
  for (const r of [gz, br, browser]) {
    if (decoded(r).length !== plain.body.length && name !== 'journal page') {
      throw new BenchError(
        `${name}: the ${r.headers['content-encoding'] ?? 'identity'} body decodes to ${decoded(r).length} bytes, the plain one has ${plain.body.length}`,
      );
    }
  }
  return {
    name,
    status: 200,
    identity: plain.body.length,
    gzip: size(gz, 'gzip'),
    br: size(br, 'br'),
    browser: browser.body.length,
    browserEncoding: String(browser.headers['content-encoding'] ?? 'identity'),
    headers: browser.headerBytes,
  };
}

/** The journal page with one ≈2,000-character entry, and every local asset it references. */
async function pageWeight(
  w: Writer,
  cerminUrl: string,
  agent: http.Agent,
): Promise<{ assets: AssetWeight[]; missing: string[]; html: string }> {
  const text = Typist.textOf(PAGE_ENTRY_CHARS);
  const saved = await save(agent, w, text);
  if (!saved.ok)
    throw new BenchError(`page weight: saving the ${text.length}-character entry failed: ${saved.problem}`);
  const pageUrl = `${cerminUrl}${w.activityPath}?ltik=${encodeURIComponent(w.ltik)}`;
  const headers = { Accept: 'text/html', 'X-Forwarded-For': w.ip };
  const html = decoded(await rawRequest(pageUrl, { headers: { ...headers, 'Accept-Encoding': 'gzip' } })).toString(
    'utf8',
  );
  if (!html.includes(text.slice(0, 60))) {
    throw new BenchError('page weight: the journal page does not show the saved entry');
  }
  const assets: AssetWeight[] = [await weigh(pageUrl, 'journal page', headers)];
  const refs = new Set<string>(['/static/cermin.css', '/static/journal.js']);
  for (const m of html.matchAll(/<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"/g)) {
    const ref = m[1].replace(/&amp;/g, '&');
    if (ref.startsWith('/') && !ref.startsWith('//') && !ref.startsWith('/lti/')) refs.add(ref.split('#')[0]);
  }
  const missing: string[] = [];
  for (const ref of refs) {
    const a = await weigh(`${cerminUrl}${ref}`, ref, { Accept: '*/*' });
    if (a.status !== 200) missing.push(`${ref} (HTTP ${a.status})`);
    assets.push(a);
  }
  return { assets, missing, html };
}

// ---------- the run ----------

export function main(argv: string[]): Promise<number> {
  const scripts = {
    cermin: path.join(__dirname, '..', 'src', 'main.js'),
    cli: path.join(__dirname, '..', 'src', 'cli', 'platform.js'),
  };
  return runBench({
    bench: 'autosave',
    usage: USAGE,
    argv,
    parse: parseOptions,
    scripts: Object.values(scripts),
    profileNote: (dir) => `CPU profile: ${dir}`,
    body: (run, opts) => measure(run, opts, scripts),
  });
}

async function measure(run: BenchRun, opts: Options, scripts: { cermin: string; cli: string }): Promise<number> {
  const { guard, progress } = run;
  /** Set when the run stops early: the writers send nothing more. */
  let stopping = false;
  const inFlight = new Set<Promise<unknown>>();
  run.onFailure = async () => {
    stopping = true;
    await Promise.race([Promise.allSettled([...inFlight]), sleep(5000)]);
  };

  const rand = crypto.randomBytes(4).toString('hex');
  const tmpDir = run.tempDir('cermin-bench-autosave-');

  // Database server.
  const { serverUri, dbKind, embedded } = await run.database(tmpDir);
  const dbPid = embedded?.pid;
  const dbUri = withDbName(serverUri, `cermin_autosave_${rand}`);
  run.dropAtEnd([dbUri]);
  progress(`database: ${dbKind}`);

  // The platform's server (this process), then Cermin's port.
  const driver = await run.platformServer();
  const cerminPort = await run.freePort();
  const cerminUrl = `http://127.0.0.1:${cerminPort}`;

  // One participant more than the load: the page-weight participant, whose page holds only its own entry.
  const demo = await createDemoPlatform({
    issuer: `${driver.base}/p`,
    clientId: CLIENT_ID,
    deploymentId: DEPLOYMENT_ID,
    participants: Math.max(opts.participants + 1, TARGET_PARTICIPANTS),
    tool: {
      loginUrl: `${cerminUrl}/lti/login`,
      launchUrl: `${cerminUrl}/lti/launch`,
      jwksUrl: `${cerminUrl}/lti/keys`,
    },
  });
  driver.app.use('/p', demo.router);

  const cerminEnv = run.cerminEnv({ nodeEnv: opts.nodeEnv, port: cerminPort, url: cerminUrl, dbUri, tmpDir });
  await run.registerPlatform(scripts.cli, demo, CLIENT_ID, DEPLOYMENT_ID, cerminEnv);
  const cermin = await run.startCermin(scripts.cermin, cerminEnv, cerminUrl, cpuProfileArgs(opts.profileDir));

  // The activity, then one launch per participant.
  const linkId = await guard(
    placeActivityVia(demo, cerminUrl, COACH_ID, TEMPLATE_ID, {
      title: 'Refleksi bebas (bench autosave)',
      maxScore: '100',
      [`prompt.${ENTRY_KEY}`]: 'Ceritakan satu keputusan sulit minggu ini.',
    }),
  );
  progress(`activity placed through Deep Linking: link ${linkId}`);
  const people = demo.users.filter((u) => u.kind === 'participant');
  if (people.length < opts.participants + 1)
    throw new BenchError(`the demo platform has ${people.length} participants, ${opts.participants + 1} needed`);
  const launchStart = performance.now();
  const writers = await guard(
    pool(people.slice(0, opts.participants), opts.concurrency, async (user, i) => {
      if (stopping) throw new BenchError('stopped');
      const w = await openJournal(demo, cerminUrl, linkId, user, i);
      if ((i + 1) % 50 === 0) progress(`  ${i + 1}/${opts.participants} launched`);
      return w;
    }),
  );
  progress(
    `${writers.length} participants launched in ${((performance.now() - launchStart) / 1000).toFixed(1)} s (concurrency ${opts.concurrency})`,
  );
  if (new Set(writers.map((w) => w.entryUrl)).size !== 1)
    throw new BenchError("the participants' launches opened different activities");

  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
  run.cleanup('close the client sockets', async () => agent.destroy());

  // Warm-up: unmeasured saves, cycling through the participants (their texts and revisions go on).
  if (opts.warmup > 0) {
    progress(`warm-up: ${opts.warmup} saves`);
    const warm = Array.from({ length: opts.warmup }, (_, i) => writers[i % writers.length]);
    // Sequential per writer: a writer never has two saves in flight.
    const byWriter = new Map<Writer, number>();
    for (const w of warm) byWriter.set(w, (byWriter.get(w) ?? 0) + 1);
    await guard(
      pool([...byWriter], 4, async ([w, count]) => {
        for (let k = 0; k < count; k++) {
          const outcome = await save(agent, w, w.typist.take(), opts.saveTimeoutSeconds * 1000);
          if (!outcome.ok) throw new BenchError(`warm-up save failed: ${outcome.problem}`);
        }
      }),
    );
  }

  // The load.
  const latencies: number[] = [];
  const errors: string[] = [];
  let attempts = 0;
  let retried = 0;
  let late = 0;
  let abortReason: string | undefined;
  const tooManyErrors = () => errors.length > 0.01 * Math.max(attempts, 100);
  const cpuBefore = { cermin: cpuSeconds(cermin.proc.pid), db: cpuSeconds(dbPid), driver: process.cpuUsage() };
  progress(`load: ${writers.length} participants, a save every ${opts.interval} s ±20 %, for ${opts.seconds} s`);
  const t0 = performance.now();
  const tEnd = t0 + opts.seconds * 1000;
  const intervalMs = opts.interval * 1000;
  const writerLoop = async (w: Writer) => {
    let due = t0 + Math.random() * intervalMs;
    while (due < tEnd && !stopping) {
      await sleep(due - performance.now());
      if (stopping) return;
      attempts++;
      const outcome = await save(agent, w, w.typist.take(), opts.saveTimeoutSeconds * 1000);
      if (outcome.retried) retried++;
      if (outcome.ok) latencies.push(outcome.ms);
      else {
        errors.push(outcome.problem ?? 'unknown');
        if (errors.length <= 10) progress(`error: ${outcome.problem}`);
        if (!abortReason && tooManyErrors()) {
          abortReason = `more than 1 % of saves failed (${errors.length} of ${attempts})`;
          stopping = true;
        }
      }
      due += intervalMs * (0.8 + Math.random() * 0.4);
      const now = performance.now();
      if (due < now) {
        late++;
        due = now;
      }
    }
  };
  const ticker = setInterval(() => {
    const sorted = latencies.slice().sort((a, b) => a - b);
    progress(
      `  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${latencies.length} saves, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, errors ${errors.length}`,
    );
  }, 10_000);
  try {
    const loops = writers.map((w) => {
      const p = writerLoop(w);
      inFlight.add(p);
      return p;
    });
    await guard(Promise.all(loops));
  } finally {
    clearInterval(ticker);
  }
  const wallS = (performance.now() - t0) / 1000;
  const driverCpu = process.cpuUsage(cpuBefore.driver);
  const cpuAfter = { cermin: cpuSeconds(cermin.proc.pid), db: cpuSeconds(dbPid) };
  const peakRss = cermin.peakRssMiB();
  const aborted = abortReason ?? (latencies.length === 0 ? 'no save succeeded' : undefined);

  // Page weight, with a participant that took no part in the load (not after an aborted load).
  let weight: Awaited<ReturnType<typeof pageWeight>> | undefined;
  let rssAfterPage: number | undefined;
  if (!aborted) {
    progress('page weight: a fresh participant with one ≈2,000-character entry');
    const pageWriter = await guard(openJournal(demo, cerminUrl, linkId, people[opts.participants], 999));
    weight = await guard(pageWeight(pageWriter, cerminUrl, agent));
    rssAfterPage = cermin.peakRssMiB();
  }

  await cermin.stop();

  // Report: the load (also when aborted: what was measured until then).
  const sorted = latencies.slice().sort((a, b) => a - b);
  const s = {
    saves: sorted.length,
    rate: sorted.length / wallS,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
  const offered = writers.length / opts.interval;
  const ms = (x: number) => x.toFixed(1);
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const cpu = (before: number | undefined, after: number | undefined) =>
    before === undefined || after === undefined ? undefined : after - before;
  const cerminCpu = cpu(cpuBefore.cermin, cpuAfter.cermin);
  const dbCpu = cpu(cpuBefore.db, cpuAfter.db);
  const driverCpuS = (driverCpu.user + driverCpu.system) / 1e6;
  const cpuCell = (x: number | undefined) =>
    x === undefined ? '–' : `${x.toFixed(1)} s (${Math.round((100 * x) / wallS)} %)`;
  const finalLengths = writers.map((w) => w.typist.length).sort((a, b) => a - b);
  const perSave = (cpuS: number | undefined) =>
    cpuS === undefined || !attempts ? '–' : `${((1000 * cpuS) / attempts).toFixed(1)} ms`;

  const lines: string[] = [];
  lines.push('');
  lines.push(
    `Autosave: ${writers.length} participants, a save every ${opts.interval} s ±20 %, ${opts.seconds} s (measured ${wallS.toFixed(1)} s), ${opts.warmup} warm-up saves before`,
  );
  lines.push(
    `database: ${dbKind}; Cermin NODE_ENV=${opts.nodeEnv}; node ${process.version}; ${os.cpus().length} CPUs; keep-alive agent, ${opts.maxSockets} sockets; save timeout ${opts.saveTimeoutSeconds} s`,
  );
  lines.push('');
  lines.push(
    table(
      ['participants', 'interval s', 'saves', 'saves/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'mean ms', 'errors'],
      [
        [
          writers.length,
          opts.interval,
          s.saves,
          s.rate.toFixed(1),
          ms(s.p50),
          ms(s.p90),
          ms(s.p99),
          ms(s.max),
          ms(s.mean),
          errors.length,
        ],
      ],
    ),
  );
  lines.push('');
  lines.push(
    `offered ${offered.toFixed(1)} saves/s, completed ${s.rate.toFixed(1)}/s${s.rate < 0.9 * offered ? ' — Cermin could not keep up: saves queued, each participant waiting for its previous one' : ''}`,
  );
  lines.push(
    `saves sent late (the previous one still running when due): ${late} of ${attempts}; retried on a reused socket: ${retried}; text length at the end: ${finalLengths[0]}–${finalLengths[finalLengths.length - 1]} characters`,
  );
  lines.push(
    `Cermin peak RSS (VmHWM): ${peakRss === undefined ? '–' : `${peakRss.toFixed(0)} MiB`} after the load${rssAfterPage !== undefined && peakRss !== undefined && rssAfterPage > peakRss ? `, ${rssAfterPage.toFixed(0)} MiB after the page weight` : ''}`,
  );
  lines.push(
    `CPU during the load (of ${wallS.toFixed(1)} s wall, ${os.cpus().length} CPUs): Cermin ${cpuCell(cerminCpu)}; database ${dbPid ? cpuCell(dbCpu) : '– (not started by this run)'}; driver (platform + load) ${cpuCell(driverCpuS)}`,
  );
  lines.push(`CPU per save: Cermin ${perSave(cerminCpu)}; database ${dbPid ? perSave(dbCpu) : '–'}`);
  if (errors.length) {
    lines.push('');
    lines.push(`errors (${errors.length} of ${attempts} saves):`);
    for (const e of errors.slice(0, 20)) lines.push(`  ${e}`);
    if (errors.length > 20) lines.push(`  … and ${errors.length - 20} more`);
  }
  const p99Met = !aborted && s.p99 < TARGET_P99_MS && errors.length === 0;
  lines.push('');
  if (aborted) lines.push(`ABORTED: ${aborted}; the figures above cover the saves made until then`);
  lines.push(
    `target: p99 < ${TARGET_P99_MS} ms with ${TARGET_PARTICIPANTS} participants, no errors: ${writers.length < TARGET_PARTICIPANTS ? `not measured (only ${writers.length} participants); at this size ` : ''}${p99Met ? 'met' : 'NOT met'} (p99 ${ms(s.p99)} ms, ${errors.length} errors)`,
  );

  // Report: the page weight.
  let page:
    { compressed: number; withHeaders: number; uncompressed: number; missing: string[]; met: boolean } | undefined;
  if (weight) {
    const okAssets = weight.assets.filter((a) => a.status === 200);
    const sum = (f: (a: AssetWeight) => number) => okAssets.reduce((t, a) => t + f(a), 0);
    const total = {
      identity: sum((a) => a.identity),
      gzip: sum((a) => a.gzip ?? a.identity),
      br: sum((a) => a.br ?? a.gzip ?? a.identity),
      browser: sum((a) => a.browser),
      headers: sum((a) => a.headers),
    };
    const transferred = total.browser + total.headers;
    page = {
      compressed: total.browser,
      withHeaders: transferred,
      uncompressed: total.identity,
      missing: weight.missing,
      met: transferred <= TARGET_PAGE_KB * 1024,
    };
    lines.push('');
    lines.push(
      `Page weight: the journal page with one ${PAGE_ENTRY_CHARS.toLocaleString('en')}-character entry, and its assets (body bytes; "browser" = what "Accept-Encoding: gzip, deflate, br" gets; "+ headers" = its response headers)`,
    );
    lines.push(
      table(
        ['resource', 'status', 'uncompressed', 'gzip', 'br', 'browser', 'encoding', '+ headers'],
        [
          ...weight.assets.map((a) =>
            a.status === 200
              ? [
                  a.name,
                  a.status,
                  a.identity,
                  a.gzip ?? '(not offered)',
                  a.br ?? '(not offered)',
                  a.browser,
                  a.browserEncoding,
                  a.headers,
                ]
              : [a.name, a.status, 'MISSING', '–', '–', '–', '–', '–'],
          ),
          ['total', '', total.identity, total.gzip, total.br, total.browser, '', total.headers],
        ],
      ),
    );
    lines.push(
      `total compressed: ${kb(total.browser)} KB of bodies, ${kb(transferred)} KB with response headers; uncompressed ${kb(total.identity)} KB`,
    );
    if (weight.missing.length) lines.push(`missing (not counted): ${weight.missing.join(', ')}`);
    lines.push(
      `target: ≤ ${TARGET_PAGE_KB} KB total for the journal page, compressed, headers included: ${page.met ? 'met' : 'NOT met'}${weight.missing.length ? ' (with assets missing)' : ''}`,
    );
  }
  const num = (x: number, digits: number) => (Number.isFinite(x) ? round(x, digits) : null);
  lines.push('');
  lines.push(
    JSON.stringify({
      bench: 'autosave',
      participants: writers.length,
      interval_s: opts.interval,
      seconds: opts.seconds,
      saves: s.saves,
      saves_per_s: num(s.rate, 1),
      p50_ms: num(s.p50, 2),
      p90_ms: num(s.p90, 2),
      p99_ms: num(s.p99, 2),
      max_ms: num(s.max, 2),
      errors: errors.length,
      p99_target_met: p99Met && writers.length >= TARGET_PARTICIPANTS,
      cermin_peak_rss_mib: peakRss === undefined ? null : round(peakRss, 0),
      cermin_cpu_s: cerminCpu === undefined ? null : round(cerminCpu, 2),
      database_cpu_s: dbCpu === undefined ? null : round(dbCpu, 2),
      page_kb_compressed: page ? round(page.compressed / 1024, 1) : null,
      page_kb_compressed_with_headers: page ? round(page.withHeaders / 1024, 1) : null,
      page_kb_uncompressed: page ? round(page.uncompressed / 1024, 1) : null,
      page_target_met: page ? page.met : null,
      page_missing: page ? page.missing : null,
      aborted: aborted ?? null,
    }),
  );
  run.report = lines.join('\n');
  if (aborted) {
    for (const e of errors.slice(10, 30)) progress(`error: ${e}`);
    console.error(`\nbench autosave FAILED: load stopped: ${aborted}`);
    return 1;
  }
  return 0;
}
