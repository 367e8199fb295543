/**
 * Input safety screening: the participant's text is read before any AI answers it.
 *
 * `screenReflection()` finds signs of self-harm, distress, harassment of the participant and
 * threats, in Indonesian (formal and everyday: "pengen mati", "gak kuat lagi", "di-bully") and in
 * English. On a high hit the AI steps back for this turn (`stepBack`) and `caringMessage()` is
 * shown instead; on any hit the course's coaches are alerted, private entries included (the
 * consent text must say so). Output screening is elsewhere (`screenOutput` in lenses.ts).
 * Pure: no I/O, no clock, no globals that change.
 *
 * How a text is read:
 *  1. Words as tokens with their offsets. A hyphenated word stays one token (`mati-matian`,
 *     `di-bully`, `self-harm`), so "mati-matian" is never "mati". Keys are lowercased, curly
 *     apostrophes made straight, and letters stretched three times or more written once
 *     (`matiii` → `mati`, `pengeeen` → `pengen`). The offline stemmer (offline/stemmer.ts) is not
 *     used: safety needs the written forms (`pengen`, `gak`, `bundir`) and exact idioms, and must
 *     not change when the stemmer's root list grows.
 *  2. Each rule is a sequence of token patterns (alternatives, optional `?x`, repeated `x*` up to
 *     three times, macros such as `$ME` or `$NOT`), matched token by token. A phrase may run over
 *     spaces, line breaks, quotes, dashes and ellipses, but not over . ! ? ; : , brackets or a
 *     blank line. `hit.start`/`hit.end` span the first to the last matched token and
 *     `hit.phrase` is exactly `text.slice(start, end)` (a line break inside stays in it).
 *  3. A match is dropped when:
 *     - a negation stands before it in the same clause, possibly with a few bridge words between
 *       (`tidak putus asa`, `tidak pernah terpikir untuk bunuh diri`, `tidak sengaja mengiris
 *       tangan`, `pantang putus asa`, `I don't want to die`, `agar tidak burnout`);
 *     - a word after it makes it an idiom (`ingin mati lampu`, `bunuh diri karier`, `depresi
 *       ekonomi`, `saya bunuh waktu`, `mengakhiri hidup lajang`, `awas kamu jatuh`);
 *     - a word shortly before it makes it a topic or a thing (`pencegahan bunuh diri`, `materi
 *       tentang perundungan`, `gejala depresi`, `baterai laptop saya mau mati`);
 *     - it is about somebody else where only the participant matters (see 4).
 *  4. Who it is about. The nearest person word before the phrase in the sentence decides
 *     (`saya`, `aku`, `I` → the participant; `siswa`, `warga`, `pasien`, `rekan`, `dia`, `he`… →
 *     someone else; `rekan saya` is someone else; no person word → the participant, who often
 *     drops the subject). Then:
 *     - selfHarm about someone else ("pasien mencoba bunuh diri", "dia bilang ingin mati") stays
 *       a hit but medium: the coach is told, the AI may answer gently;
 *     - distress and harassment about someone else are not hits (teachers write about bullied
 *       pupils, nurses about depressed patients: that is their work, not a safety event);
 *     - threats: see below.
 *
 * Severities (decided here):
 *  - selfHarm, about the participant: high (step back). About someone else: medium.
 *  - distress: medium. Mild, ordinary feelings are not hits at all: `takut salah`, `gugup`,
 *    `cemas menghadapi atasan`, `stres sedikit menjelang ujian`, `sedikit stres`, plain `stres`.
 *    Only strong forms are (`stres berat`, `sangat tertekan`, `putus asa`, `tidak kuat lagi`,
 *    `depresi`, `tidak ada harapan lagi`, `serangan panik`, `menangis setiap malam`, `burnout`).
 *  - harassment of the participant: medium (bullying, harassment, intimidation, being shunned or
 *    humiliated); high for sexual violence and physical assault (`pelecehan seksual`,
 *    `ditampar`, `dipukuli`, `KDRT`, `sexually harassed`), where a critique or steelman lens
 *    would be wrong. Being scolded or insulted by a citizen (`dimarahi`, `dibentak`, `dimaki`) is
 *    ordinary frontline work and not a hit.
 *  - threat of violence, by anyone to anyone (`akan saya bunuh`, `saya hajar`, `awas kamu`,
 *    `ingin memukul dia`, `diancam akan dibunuh`, `warga mengancam akan memukul saya`,
 *    `death threats`, `I will hurt him`): high.
 *  - a non-violent threat aimed at the participant (`saya diancam`, `mengancam saya`, `warga
 *    mengancam akan mempersulit`, `mendapat ancaman`): medium.
 *  - a threat to use a lawful channel (`warga mengancam akan melapor`, `diancam akan
 *    dilaporkan`, `mengancam akan memviralkan`, `threatened to report me`): not a hit. Service
 *    stories are full of them and they are not a safety matter; alerting coaches about private
 *    entries for them would cost trust for nothing. `ancaman` as a noun (SWOT: "peluang dan
 *    ancaman") is not a hit either.
 * `stepBack` is true exactly when a hit is high. `top` is the category of the most severe hit;
 * between equal severities selfHarm > threat > harassment > distress.
 * Overlapping matches keep the more severe, then the longer one.
 */

export type SafetyCategory = 'selfHarm' | 'distress' | 'harassment' | 'threat';

export interface SafetyHit {
  category: SafetyCategory;
  severity: 'high' | 'medium';
  /** the matched phrase, for the coach alert */
  phrase: string;
  start: number;
  end: number;
}

export interface SafetyResult {
  hits: SafetyHit[];
  /** the highest severity category, or null */
  top: SafetyCategory | null;
  /** true for any high hit: the AI must not answer this turn */
  stepBack: boolean;
}

// ---------------------------------------------------------------------------------------------
// Tokens.

interface Tok {
  start: number;
  end: number;
  raw: string;
  key: string;
  /** A phrase may not run into this token from the one before (. ! ? ; : , brackets, blank line). */
  phraseBreak: boolean;
  /** A clause ends before this token (the above, or a quote, a dash). */
  clauseBreak: boolean;
}

const WORD = /[\p{L}\p{M}\p{N}]+(?:[-'’‘`´][\p{L}\p{M}\p{N}]+)*/gu;

function keyOf(raw: string): string {
  return raw
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/(\p{L})\1{2,}/gu, '$1');
}

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let prevEnd = 0;
  for (const m of text.matchAll(WORD)) {
    const start = m.index ?? 0;
    const gap = text.slice(prevEnd, start).replace(/\.{2,}|…/g, ' ');
    const phraseBreak = out.length > 0 && (/[.!?;:,()[\]{}]/.test(gap) || /\n[ \t\r]*\n/.test(gap));
    const clauseBreak = phraseBreak || (out.length > 0 && (/["“”«»–—]/.test(gap) || /\s-\s/.test(gap)));
    out.push({ start, end: start + m[0].length, raw: m[0], key: keyOf(m[0]), phraseBreak, clauseBreak });
    prevEnd = start + m[0].length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Word lists.

/** Builds a whole-token matcher from space-separated words (`nya` allows the -nya/-mu/-ku forms). */
function words(list: string, opts: { nya?: boolean } = {}): RegExp {
  const alts = list.trim().split(/\s+/).join('|');
  return new RegExp(`^(?:${alts})${opts.nya ? '(?:nya|mu|ku)?' : ''}$`, 'u');
}

const NEGATORS =
  words(`tidak tak nggak ngga ngak enggak engga gak ga gk tdk ndak nda kagak ora bukan jangan jgn pantang tanpa
  belum blm never not no don't dont didn't didnt won't wont wouldn't wouldnt isn't isnt wasn't wasnt aren't arent haven't
  havent hadn't hadnt nor without`);

/** Words that may stand between a negation and the phrase it negates. */
const NEG_BRIDGES =
  words(`pernah akan mau ingin pengen berpikir terpikir terpikirkan kepikiran berniat niat sampai untuk utk
  sama sekali pun sedikitpun sedikit lagi sedang mudah gampang cepat boleh perlu usah mungkin bakal merasa rasa ada yang
  saya aku gue gw sy kami jadi menjadi sempat sengaja begitu terlalu pula kok kan lah
  ever going to want wanna would will am was be been being feel felt think thought about of really at all have had i
  even gonna kita anda kamu`);

/** Words that end a clause for the negation and context windows. */
const CONJUNCTIONS = words(
  'tapi tetapi namun sedangkan padahal karena sebab sehingga lalu kemudian dan atau serta but because and so although though yet while',
);

const FIRST_PERSON = words(
  `saya aku gue gua gw guwe sy ane daku kami diriku i i'm im i've ive i'd id i'll me my myself we us`,
);

const OTHER_PERSON = words(
  `dia ia beliau mereka dirinya warga masyarakat pasien klien siswa siswi murid pelajar mahasiswa anak
  anak-anak adik kakak abang teman kawan rekan kolega pegawai staf petugas korban orang seseorang ibu bapak pak bu istri
  suami ayah tetangga pemohon pengunjung nasabah peserta penduduk remaja perempuan wanita pria laki-laki lansia balita
  bayi karyawan pelanggan keluarga kerabat sahabat atasan bawahan senior junior mentor guru dosen dokter perawat bidan
  polisi pelaku tersangka he she they him them his their citizen citizens patient patients student students child children
  kid kids colleague colleagues friend friends coworker coworkers co-worker someone somebody person people man woman boy
  girl client clients resident residents staff officer teacher nurse mother father brother sister son daughter wife
  husband neighbour neighbor victim victims`,
  { nya: true },
);

/** Between a person noun and a possessive pronoun: "rekan kerja saya", "anak didik saya". */
const NOUN_MODIFIERS = words(
  'kerja sekantor sekelas seangkatan sebangku didik dekat baik satu setim lama kandung sendiri',
);

/** Institutional and topic words: the phrase is a subject of work or study, not an event. */
const TOPIC =
  words(`pencegahan mencegah cegah penanganan menangani tangani sosialisasi materi kebijakan regulasi peraturan aturan
  satgas anti kampanye edukasi penyuluhan isu kasus angka data tingkat statistik berita artikel film risiko perilaku
  gejala skrining deteksi program pelatihan seminar webinar modul layanan hotline topik
  prevention awareness policy policies training rate rates helpline statistics risk workshop module campaign cases
  case news article film movie programme topic issue issues symptoms screening`);

/** Things that "die" (switch off, run down) in everyday writing: "baterai laptop saya mau mati". */
const THINGS = words(
  `laptop hp handphone ponsel gawai baterai batere batre lampu listrik mesin komputer pc server sinyal aplikasi
  sistem jaringan wifi internet genset ac kipas printer motor mobil kendaraan tanaman pohon bunga ikan api lilin jam layar
  monitor usaha bisnis toko umkm website situs akun kartu`,
  { nya: true },
);

/** What follows "mati" in idioms: mati lampu, mati kutu, mati gaya, mati suri, mati rasa. */
const MATI_IDIOM = words('lampu listrik lampunya listriknya kutu gaya suri rasa total');

/** Objects and idioms after (or, passive, before) a violent verb that make it harmless. */
const HARMLESS_TARGET = words(
  `waktu nyamuk jentik jentik-jentik kuman bakteri virus hama tikus kecoa lalat rumput ilalang rata mundur
  gong bedug beduk kentongan genderang drum bola gol sasaran target pasar deadline laporan tugas kerjaan pekerjaan berkas
  dokumen soal materi modul makanan nasi kue semua sisa karakter semangat kreativitas ego rasa bosan kebosanan diri dirinya
  dirimu diriku sepi habis utang hutang cicilan pinjol biaya harga jarum hati perasaan`,
  { nya: true },
);

/** A lawful channel: "mengancam akan melapor" is not a safety matter. */
const LAWFUL = words(
  `melapor melaporkan lapor laporkan dilaporkan dilapor dilaporin lapor-lapor mengadu mengadukan diadukan adukan
  komplain mengomplain dikomplain protes memprotes menggugat digugat gugat menuntut dituntut tuntut memviralkan viralkan
  diviralkan viral memposting posting diposting mengunggah diunggah upload menulis mengirim surati menyurati ke
  report reporting sue complain complaining post file`,
  { nya: true },
);

/** Natural and abstract dangers: "desa kami mengalami ancaman banjir" is not a threat to a person. */
const NOT_A_PERSON_THREAT =
  words(`banjir longsor bencana kekeringan abrasi kebakaran penyakit wabah hama inflasi krisis gempa tsunami erupsi
  kepunahan siber phishing malware peretasan resesi kemiskinan stunting`);

/** "dirundung duka": beset by grief, trouble, worry (an idiom, not bullying). */
const RUNDUNG_IDIOM = words(
  'masalah duka kesedihan kemalangan kesulitan musibah kecemasan rasa cobaan kegelisahan keraguan bencana nestapa sial kesialan',
  { nya: true },
);

/** Skipped when looking at the word after a phrase ("mengancam akan | melapor"). */
const MODALS = words('akan mau bakal hendak untuk utk segera langsung ingin will to going gonna');

/** After "awas kamu": a friendly warning, not a threat. */
const AWAS_HARMLESS = words(
  'jatuh terpeleset kepeleset kepleset tersandung ketinggalan telat terlambat lupa salah masuk sakit kena kedinginan',
);

// ---------------------------------------------------------------------------------------------
// Rules.

const MACROS: Record<string, string> = {
  ME: 'saya|aku|gue|gua|gw|guwe|sy|ane|daku',
  NOT: 'tidak|tak|nggak|ngga|ngak|enggak|engga|gak|ga|gk|tdk|ndak|nda|kagak',
  WANT: 'ingin|pengen|pingin|pengin|kepengen|kepingin|pgn|pen|mau|mo|inginnya|pengennya|maunya|berharap',
  FILL: 'rasanya|rasa|sekali|banget|bgt|sungguh|benar-benar|bener-bener|beneran|sangat|aja|saja|sj|cepat|cepet|segera|juga|jg|sih|deh|mending|kayaknya|sepertinya|rasa-rasanya',
  ALREADY: 'sudah|udah|udh|sdh|dah|telah|uda',
  BETTER: 'mending|mendingan|mendinglah',
  VIOLENT_ROOT:
    'bunuh|hajar|tonjok|bacok|tusuk|cekik|gebukin|gebuk|tampar|bantai|pukul|pukulin|hantam|habisi|habisin|tembak|bunuhin',
  VIOLENT_STRONG: 'bunuh|hajar|tonjok|bacok|tusuk|cekik|gebukin|gebuk|tampar|bantai|bunuhin',
  VIOLENT_VERB:
    '(?:membunuh|menghajar|memukul|memukuli|menonjok|menampar|menusuk|membacok|mencekik|menembak|menghabisi|menggebuki|menganiaya|mencelakai|menyakiti|mukul|mukulin|nonjok|nonjokin|ngehajar|ngebunuh|ngebacok|nusuk|bunuh|hajar|tonjok|tampar|habisi|bacok|tusuk|pukul)(?:nya|mu|in)?',
  VIOLENT_PASSIVE:
    'dibunuh|dipukul|dipukuli|dihajar|ditusuk|dibacok|dianiaya|ditembak|dicelakai|disakiti|digebukin|diculik|dibakar|dikeroyok|dihabisi|diperkosa|disiram|dilukai',
  GET: 'mendapat|mendapatkan|menerima|dapat|terima|dikirimi|mengalami|kena|dapet',
  BULLY:
    'perundungan|bullying|bully|buli|pelecehan|intimidasi|diskriminasi|kekerasan|risak|perisakan|perundungannya|mobbing',
};

interface Element {
  re: RegExp;
  optional: boolean;
  repeat: boolean;
}

type About =
  /** The pattern names who it is about ("mengancam saya", "akan saya bunuh"): no subject check. */
  | 'stated'
  /** About the participant unless a person word before says otherwise. */
  | 'self'
  /** Needs some person before it (self or other): "warga mengancam akan…", not "banjir mengancam akan…". */
  | 'person';

interface Rule {
  category: SafetyCategory;
  severity: 'high' | 'medium';
  about: About;
  patterns: Element[][];
  /** The token after the phrase (modals skipped) that makes it harmless. */
  notAfter?: RegExp;
  /** Any of the three tokens before the phrase, same clause, that makes it harmless. */
  notNear?: RegExp;
  /** The phrase must end its clause (only tail particles may follow). */
  clauseEnd?: boolean;
  /** The text right after the phrase that makes it harmless ("lebih baik mati daripada korupsi"). */
  notFollowedBy?: RegExp;
  /** The token after the phrase must match (the phrase needs this context but does not include it). */
  needAfter?: RegExp;
  /** Not when a thing is its subject ("baterai laptop saya mau mati", "sinyalnya tidak kuat lagi"). */
  notAThing?: boolean;
}

function compile(pattern: string): Element[] {
  return pattern
    .trim()
    .split(/\s+/)
    .map((part) => {
      let p = part;
      const optional = p.startsWith('?');
      if (optional) p = p.slice(1);
      const repeat = p.endsWith('*');
      if (repeat) p = p.slice(0, -1);
      p = p.replace(/^\((.*)\)$/, '$1').replace(/\$([A-Z_]+)/g, (_, name: string) => {
        const macro = MACROS[name];
        if (macro === undefined) throw new Error(`safety: unknown macro $${name}`);
        return macro;
      });
      return { re: new RegExp(`^(?:${p})$`, 'u'), optional, repeat };
    });
}

type RuleSpec = Omit<Rule, 'patterns'> & { patterns: string[] };

const RULES: Rule[] = [];
function rule(spec: RuleSpec): void {
  RULES.push({ ...spec, patterns: spec.patterns.map(compile) });
}

// --- selfHarm: high about the participant, medium about someone else --------------------------

const selfHarm = (patterns: string[], extra: Partial<RuleSpec> = {}) =>
  rule({ category: 'selfHarm', severity: 'high', about: 'self', patterns, ...extra });

selfHarm(
  [
    '$WANT $FILL* mati|mampus|modar ?(saja|aja|sj|ja)',
    'lebih baik ?$ME ?($FILL|sudah|udah) mati|tiada|mampus ?(saja|aja)',
    '$BETTER ?$ME ?($FILL|sudah|udah) mati|tiada|mampus ?(saja|aja)',
  ],
  {
    notAfter: new RegExp(`${MATI_IDIOM.source}|^(?:syahid|husnul|khusnul|husnul-khatimah|khusnul-khotimah)$`, 'u'),
    notAThing: true,
    // The integrity slogan, not a wish to die.
    notFollowedBy:
      /^\s+(?:daripada|drpd|ketimbang)\s+(?:korupsi|korup|berkhianat|mengkhianati|menyerah|disuap|menerima\s+suap|menjual|dijajah|mencuri|berbohong|curang|menipu|menggadaikan)/iu,
  },
);
selfHarm([
  'lebih baik ?$ME $NOT ?pernah ada|lahir|dilahirkan|hidup',
  '$BETTER ?$ME $NOT ?pernah ada|lahir|dilahirkan|hidup',
  'lebih baik tanpa $ME|diriku|aku',
  '$WANT $FILL* menghilang|hilang ?(saja|aja) dari|dr dunia|bumi ?ini',
  '$WANT $FILL* hidup|hidupku ?($ME|ini) berakhir|selesai|usai ?(saja|aja)',
  '$WANT $FILL* tidur|pergi ?(saja|aja) ?(dan|terus|lalu|trus|tapi) $NOT bangun ?(lagi|lg)',
]);
selfHarm(
  [
    '?($WANT|berniat|mencoba|coba|nyoba) $FILL* bunuh|membunuh|bunuhin|ngebunuh diri|diriku ?sendiri',
    '?($WANT|berniat|mencoba|coba|nyoba) $FILL* bundir|bunuh-diri|bunuhdiri',
  ],
  {
    notAfter: words('karier karir politik massal ekonomi finansial kelas'),
    notNear: TOPIC,
  },
);
selfHarm(
  ['mengakhiri|akhiri|akhirin|ngakhirin|mengakhirkan hidup|hidupku|hidupnya|nyawa|nyawaku|nyawanya ?($ME|sendiri|ini)'],
  {
    notAfter: words('lajang membujang melajang jomblo menjomblo'),
    notNear: TOPIC,
  },
);
selfHarm(
  [
    '$NOT $FILL* ingin|pengen|pingin|mau|kepengen|kuat|sanggup|tahan|betah|mampu ?menjalani hidup lagi|lg',
    '$NOT $FILL* ingin|pengen|pingin|mau|kepengen|kuat|sanggup|tahan|betah|mampu ?menjalani hidup',
  ],
  { clauseEnd: true },
);
// "capek hidup di perantauan", "lelah hidup sebagai anak kos": weary of a situation, not of life (distress, below).
const LIFE_SITUATION = words('di sebagai jadi menjadi dalam bersama jauh merantau sendirian');
selfHarm(
  [
    '?$ALREADY capek|cape|capai|lelah|letih|bosan|bosen|jenuh|muak|males|malas|penat ?(dengan|sama|sm|ama) hidup|hidupku ?ini',
  ],
  {
    notAfter: new RegExp(
      `${LIFE_SITUATION.source}|^(?:sehat|hemat|teratur|disiplin|bersih|boros|mewah|hedon|sederhana)$`,
      'u',
    ),
  },
);
selfHarm([
  '$NOT ada|punya gunanya|guna|artinya|arti|alasan|semangat ?lagi ?(untuk|buat|utk) hidup|hidupku ?lagi',
  'hidup|hidupku ?($ME|ini) ?(sudah|udah|sdh) $NOT ada|punya artinya|gunanya|arti|guna|makna|maknanya ?lagi',
]);
selfHarm(['hidup|hidupku ?($ME|ini) ?(sudah|udah|sdh) $NOT berarti|bermakna|berharga|berguna ?lagi'], {
  clauseEnd: true,
});
selfHarm(
  [
    'menyayat|sayat|nyayat|menyilet|silet|nyilet|mengiris|iris|menggores|gores tangan|tanganku|lengan|lenganku|pergelangan|nadi|nadiku|kulit|kulitku|paha|pahaku|diri|diriku ?(tangan|sendiri|$ME)',
    'memotong|potong|motong nadi|nadiku',
    'menyakiti|melukai|nyakitin|ngelukain|sakiti|lukai|nyakitin diri|diriku ?sendiri',
    'gantung|menggantung|gantungin diri|diriku',
    'minum|meminum|menenggak|nenggak racun|baygon|pestisida',
    '$WANT $FILL* loncat|lompat|terjun|melompat|meloncat dari|dr gedung|jembatan|atap|lantai|tebing',
    'self-harm|selfharm|self-harming|self-injury',
    'self harm|harming|injury',
  ],
  { notNear: TOPIC },
);
// English.
selfHarm(['kill|killing myself'], { notAfter: words('with over trying working laughing for') });
selfHarm(
  [
    'end|ending|take|taking my ?own life',
    'end|ending it all',
    'want|wanna|wanted|wish|wishing ?to die',
    'wish i was|were dead',
    'better off dead',
    'rather be dead',
    'should just die',
    "wish i'd|i|id ?(had|was|were) never ?been born",
    'better off without me',
    "better ?off if i wasn't|wasnt|weren't|werent|didn't|didnt ?(even) here|around|alive|exist",
  ],
  { notAfter: words('of from') },
);
selfHarm(['suicide|suicidal'], {
  notNear: TOPIC,
  notAfter: words(
    'bomb bomber bombing bombings attack attacks mission squad prevention hotline helpline awareness rate rates risk',
  ),
});
selfHarm([
  "want|wanna|urge|going|gonna|tempted|thinking|thought|think|started|start|will|i'll|ill|keep|kept ?(to|of|about|on) hurt|hurting|cut|cutting|harm|harming|kill|killing myself",
  'harm|harming myself',
]);
selfHarm([
  "don't|dont ?(really) want|wanna ?to live|be ?alive ?(anymore|any)",
  'do not ?(really) want ?to live|be ?alive',
  'no longer want ?to live|be',
  'no reason|point to|in live|living',
  'tired|sick of living|life|being ?alive',
  'done with life|living',
]);

// --- distress: medium, about the participant only -----------------------------------------------

const distress = (patterns: string[], extra: Partial<RuleSpec> = {}) =>
  rule({ category: 'distress', severity: 'medium', about: 'self', patterns, ...extra });

distress(['putus asa|asa-nya', 'putus-asa|putusasa|keputusasaan|berputus-asa'], { notNear: TOPIC });
distress(['?$ALREADY capek|cape|capai|lelah|letih|bosan|bosen|jenuh|muak|penat ?(dengan|sama|sm|ama) hidup|hidupku'], {
  needAfter: LIFE_SITUATION,
});
distress(['?$ALREADY $NOT kuat|sanggup|tahan|mampu|kuasa lagi|lg'], { notAThing: true });
distress(['$ALREADY $NOT kuat|sanggup|tahan|mampu'], { clauseEnd: true, notAThing: true });
distress([
  '$ALREADY $NOT kuat|sanggup|tahan|mampu ?(lagi|lg) menghadapi|menjalani|menanggung|memikul ?(semua|ini|semuanya|beban|hidup)*',
]);
distress(['depresi|depresif|terdepresi'], {
  notAfter: words('ekonomi tropis besar global pasar dunia'),
  notNear: words(`pencegahan mencegah penanganan menangani sosialisasi materi kebijakan isu kasus angka data tingkat
    statistik berita artikel risiko gejala skrining deteksi program pelatihan seminar webinar modul layanan obat topik`),
});
distress(
  [
    'stres|stress|setres|stressed berat|parah|banget|bgt|sekali|akut|hebat',
    'sangat|amat|super|benar-benar|bener-bener|luar-biasa stres|stress|setres|tertekan|frustrasi|frustasi',
    'tertekan|frustrasi|frustasi berat|sekali|banget|bgt|parah',
  ],
  { notNear: TOPIC },
);
distress(['$NOT ada|punya harapan lagi|lg', 'kehilangan|hilang ?(semua|seluruh) harapan'], {});
distress(['$NOT ada|punya harapan'], { clauseEnd: true });
distress([
  'merasa ?(sangat|benar-benar|begitu|sungguh|sudah|udah|jadi) $NOT|tak berharga|berguna|berarti',
  'merasa ?(sangat|begitu|sungguh) hampa',
]);
distress(['serangan panik|kecemasan|cemas|panic', 'panic|anxiety attack|attacks']);
distress([
  'menangis|nangis|menangisi setiap|tiap|sepanjang|terus|terus-terusan|tiap-tiap|semalaman|berhari-hari ?(hari|malam)',
]);
distress(['burnout|burn-out|burned-out|burnt-out', 'burn|burned|burnt out'], { notNear: TOPIC });
// English.
distress(['hopeless|hopelessness', 'no hope ?left', 'lost all hope'], { notNear: TOPIC });
distress(['depressed|depression'], {
  notNear: new RegExp(`${TOPIC.source}|^(?:economy|market|markets|prices|sales|demand|region|area|areas)$`, 'u'),
  notAfter: words('area areas region regions market markets economy prices era'),
});
distress([
  "can't|cant|cannot take|handle|stand it|this ?(anymore|any)",
  "can't|cant|cannot go on",
  'can not take|handle|go it|this|on',
]);
distress([
  'mental|nervous breakdown',
  "i'm|im falling apart",
  'feel|felt|feeling so|very|completely|totally|really worthless|useless|empty',
  'feel|felt|feeling worthless|useless|empty',
]);

// --- harassment: medium (high for sexual and physical violence), about the participant only ---

const harassment = (severity: 'high' | 'medium', patterns: string[], extra: Partial<RuleSpec> = {}) =>
  rule({ category: 'harassment', severity, about: 'self', patterns, ...extra });

harassment(
  'medium',
  [
    'dibully|di-bully|dibuli|di-buli|dibuly|dirundung|dirisak|dilecehkan|dilecehin|diintimidasi|dikucilkan|dikucilin|dipermalukan|diolok-olok',
    'di bully|buli',
    'kena bully|buli|bullying|rundung',
    '$GET|jadi|menjadi|merasakan|alami|menghadapi|korban ?korban $BULLY ?(verbal|psikis|online)',
  ],
  { notNear: TOPIC, notAfter: RUNDUNG_IDIOM },
);
harassment(
  'high',
  [
    'dilecehkan|dilecehin|dianiaya ?(secara|scr) seksual',
    '$GET|jadi|menjadi|alami|merasakan|korban ?korban pelecehan|kekerasan|penganiayaan ?(secara|scr) seksual|fisik',
    '$GET|jadi|menjadi|alami|korban ?korban kdrt|pemerkosaan|pencabulan',
    '$GET|jadi|menjadi|alami|korban ?korban kekerasan dalam rumah tangga',
    'diperkosa|dicabuli|dirudapaksa|digerayangi|diraba-raba|dipegang-pegang|dianiaya|ditampar|ditendang|dipukuli|dicekik|dijambak|dikeroyok|ditusuk|dibacok|dipukul|dihajar',
  ],
  {
    notNear: new RegExp(`${TOPIC.source}|${HARMLESS_TARGET.source}`, 'u'),
    notAfter: new RegExp(`${HARMLESS_TARGET.source}|^(?:kerja|mundur)$`, 'u'),
  },
);
harassment(
  'medium',
  [
    'merundung|merisak|membully|mem-bully|ngebully|ngebuli|membuli|melecehkan|ngelecehin|mengintimidasi|mengucilkan|ngucilin|mempermalukan|mengolok-olok ?(terus|terus-terusan|lagi|selalu) $ME|kami|diriku',
    '$BULLY ?(verbal|psikis) terhadap|kepada|ke|pada|sama $ME',
  ],
  { about: 'stated' },
);
harassment(
  'high',
  [
    'memukul|memukuli|mukul|mukulin|menampar|nampar|menendang|nendang|mencekik|menganiaya|menjambak|menusuk|meraba|meraba-raba|memperkosa $ME|kami|diriku',
  ],
  { about: 'stated' },
);
// English.
harassment(
  'medium',
  [
    'bullied|harassed|stalked|abused',
    'victim of bullying|harassment|abuse',
    'experienced|experiencing|facing|faced|suffered|suffering bullying|harassment|abuse|discrimination',
  ],
  { notNear: TOPIC },
);
harassment('medium', ['bullying|harassing|stalking|abusing|humiliating|intimidating me|us'], { about: 'stated' });
harassment(
  'high',
  [
    'sexually harassed|assaulted|abused',
    'raped|molested|groped',
    'was|got|been|being slapped|punched|beaten|kicked|choked|attacked|assaulted',
  ],
  { notNear: TOPIC, notAfter: words('out off') },
);
harassment('high', ['slapped|punched|kicked|choked|attacked|assaulted|groped me'], { about: 'stated' });

// --- threat: high for violence, medium for a non-violent threat at the participant --------------

const threat = (severity: 'high' | 'medium', about: About, patterns: string[], extra: Partial<RuleSpec> = {}) =>
  rule({ category: 'threat', severity, about, patterns, ...extra });

threat(
  'high',
  'stated',
  [
    'akan|mau|ingin|pengen|bakal|nanti|pasti|langsung|bisa|kalau|kalo|biar $ME ($VIOLENT_ROOT)(?:in)?',
    '$ME ($VIOLENT_STRONG)(?:in)?',
    'ku(?:$VIOLENT_ROOT)(?:nya|in)?',
    '$WANT|akan|bakal|hendak|siap $FILL* ?$ME $FILL* $VIOLENT_VERB',
  ],
  { notAfter: HARMLESS_TARGET, notNear: HARMLESS_TARGET },
);
threat('high', 'stated', ['mati|mampus|modar kau|kamu|lu|lo|loe|elu|ente|kalian'], { notAThing: true });
threat('high', 'stated', ['awas ?(ya|aja|saja|nanti|nnti) kamu|kau|lu|lo|loe|elu|ente|kalian'], {
  notAfter: AWAS_HARMLESS,
});
threat('high', 'stated', [
  'diancam|diancem|terancam ?(akan|mau|bakal|untuk|hendak) $VIOLENT_PASSIVE',
  'mengancam|ngancam|ngancem|mengancamku ?($ME|kami|keluarga|keluargaku) ?($ME) ?(akan|mau|bakal|hendak|untuk) $VIOLENT_VERB',
  'ancaman pembunuhan|pembacokan|penganiayaan|penculikan|pemukulan|bom',
  '$GET ancaman kekerasan|fisik',
]);
threat('medium', 'stated', ['mengancam|ngancam|ngancem $ME|kami|diriku'], { notAfter: LAWFUL });
threat('medium', 'person', ['mengancam|ngancam|ngancem akan|mau|bakal|hendak'], { notAfter: LAWFUL });
threat('medium', 'self', ['diancam|diancem|diancam-ancam', '$GET ancaman'], {
  notAfter: new RegExp(`${LAWFUL.source}|${NOT_A_PERSON_THREAT.source}`, 'u'),
});
// English.
threat('high', 'stated', [
  "i|i'll|i'm|im ?(am|really|just|seriously|honestly) ?(will|gonna|going|want|wanna|could|would|shall) ?(to) kill|hurt|beat|punch|stab|shoot|strangle|slap|smack|attack him|her|you|them|u|ya|everyone|someone|somebody|people",
  'threatened|threatening|threatens|threaten ?(me|us|him|her|them|my) ?(family) ?(to|with) kill|hurt|beat|hit|stab|shoot|attack|harm|rape|violence|death',
  'death threat|threats',
  'watch your back',
  "you'll|youll|you're|youre ?(gonna|going) ?(to) pay|regret ?for this|that",
  'you will pay|regret ?for this|that',
]);
threat('medium', 'stated', ['threatened|threatening|threatens me|us'], { notAfter: LAWFUL });
threat('medium', 'self', ['was|been|being|got threatened'], { notAfter: LAWFUL });

// ---------------------------------------------------------------------------------------------
// Matching.

const TAIL = words('lagi lg saja aja rasanya ya deh sih lho kok banget bgt anymore now');

function matchAt(toks: Tok[], i: number, els: Element[]): number {
  const can = (el: Element, t: number) =>
    t < toks.length && (t === i || !toks[t].phraseBreak) && el.re.test(toks[t].key);
  const rec = (e: number, t: number): number => {
    if (e === els.length) return t;
    const el = els[e];
    if (el.repeat) {
      const ends = [t];
      while (ends.length <= 3 && can(el, ends[ends.length - 1])) ends.push(ends[ends.length - 1] + 1);
      for (let k = ends.length - 1; k >= 0; k--) {
        const r = rec(e + 1, ends[k]);
        if (r >= 0) return r;
      }
      return -1;
    }
    if (can(el, t)) {
      const r = rec(e + 1, t + 1);
      if (r >= 0) return r;
    }
    return el.optional ? rec(e + 1, t) : -1;
  };
  const end = rec(0, i);
  return end > i ? end : -1;
}

/** A clause boundary between token j-1 and token j (punctuation, or j-1/j being a conjunction). */
const clauseEdge = (toks: Tok[], j: number) => toks[j].clauseBreak || CONJUNCTIONS.test(toks[j].key);

function negated(toks: Tok[], i: number): boolean {
  for (let j = i - 1, steps = 0; j >= 0 && steps < 5; j--, steps++) {
    if (clauseEdge(toks, j + 1) || CONJUNCTIONS.test(toks[j].key)) return false;
    if (NEGATORS.test(toks[j].key)) return true;
    if (!NEG_BRIDGES.test(toks[j].key)) return false;
  }
  return false;
}

function nearBefore(toks: Tok[], i: number, re: RegExp): boolean {
  for (let j = i - 1; j >= 0 && i - j <= 3; j--) {
    if (clauseEdge(toks, j + 1)) return false;
    if (re.test(toks[j].key)) return true;
  }
  return false;
}

/** A thing (THINGS) is the subject: it stands up to five words before, and no "saya" of the writer comes between. */
function thingBefore(toks: Tok[], i: number): boolean {
  for (let j = i - 1; j >= 0 && i - j <= 5; j--) {
    if (clauseEdge(toks, j + 1)) return false;
    if (THINGS.test(toks[j].key)) return true;
    // "HP saya mau mati" is the phone's; in "laptop rusak saya ingin mati" the writer is the subject.
    if (FIRST_PERSON.test(toks[j].key) && !(j >= 1 && THINGS.test(toks[j - 1].key))) return false;
  }
  return false;
}

function nextAfter(toks: Tok[], end: number, skipModals: boolean): Tok | undefined {
  let t = end;
  while (skipModals && t < toks.length && !toks[t].phraseBreak && MODALS.test(toks[t].key)) t++;
  return t < toks.length && !toks[t].phraseBreak ? toks[t] : undefined;
}

function endsClause(toks: Tok[], end: number): boolean {
  let t = end;
  while (t < toks.length && !toks[t].clauseBreak && TAIL.test(toks[t].key)) t++;
  return t >= toks.length || clauseEdge(toks, t);
}

const isOther = (key: string) => OTHER_PERSON.test(key) || OTHER_PERSON.test(key.split('-')[0]);

/** Who the phrase starting at token i is about: the nearest person word before it in the sentence. */
function subject(toks: Tok[], i: number, end: number): 'self' | 'other' | 'unknown' {
  for (let j = i; j < end; j++) if (/^(?:dirinya|hidupnya|nyawanya)$/.test(toks[j].key)) return 'other';
  // The phrase names the writer: "lebih baik tanpa aku", "mengakhiri hidup saya".
  for (let j = i; j < end; j++) if (FIRST_PERSON.test(toks[j].key)) return 'self';
  for (let j = i - 1; j >= 0 && i - j <= 8; j--) {
    if (toks[j + 1].phraseBreak) break;
    const k = toks[j].key;
    if (FIRST_PERSON.test(k)) {
      const p1 = j >= 1 && !toks[j].clauseBreak ? toks[j - 1].key : '';
      const p2 = j >= 2 && !toks[j].clauseBreak && !toks[j - 1].clauseBreak ? toks[j - 2].key : '';
      // "rekan saya", "rekan kerja saya": a possessive, the person is the colleague. English "my colleague" reaches the noun first.
      if (
        !/^(?:i|i'm|im|i've|ive|i'd|id|i'll|we)$/.test(k) &&
        (isOther(p1) || (NOUN_MODIFIERS.test(p1) && isOther(p2)))
      )
        return 'other';
      return 'self';
    }
    if (isOther(k)) return 'other';
  }
  return 'unknown';
}

const SEVERITY_RANK = { high: 2, medium: 1 } as const;
const CATEGORY_RANK: Record<SafetyCategory, number> = { selfHarm: 4, threat: 3, harassment: 2, distress: 1 };

interface Candidate {
  hit: SafetyHit;
  len: number;
}

/** Screens a participant's text; see the module comment for what counts and how severe. */
export function screenReflection(text: string): SafetyResult {
  const toks = tokenize(typeof text === 'string' ? text : '');
  const found: Candidate[] = [];
  for (const r of RULES) {
    for (const els of r.patterns) {
      for (let i = 0; i < toks.length; i++) {
        const end = matchAt(toks, i, els);
        if (end < 0) continue;
        if (negated(toks, i)) continue;
        if (r.notAfter) {
          const next = nextAfter(toks, end, r.category === 'threat');
          if (next && r.notAfter.test(next.key)) continue;
        }
        if (r.notFollowedBy && r.notFollowedBy.test(text.slice(toks[end - 1].end, toks[end - 1].end + 60))) continue;
        if (r.needAfter) {
          const next = nextAfter(toks, end, false);
          if (!next || !r.needAfter.test(next.key)) continue;
        }
        if (r.notNear && nearBefore(toks, i, r.notNear)) continue;
        if (r.notAThing && thingBefore(toks, i)) continue;
        if (r.clauseEnd && !endsClause(toks, end)) continue;
        let severity = r.severity;
        if (r.about !== 'stated') {
          const who = subject(toks, i, end);
          if (r.about === 'person' && who === 'unknown') continue;
          if (r.about === 'self' && who === 'other') {
            if (r.category !== 'selfHarm') continue;
            severity = 'medium';
          }
        }
        const start = toks[i].start;
        const stop = toks[end - 1].end;
        found.push({
          hit: { category: r.category, severity, phrase: text.slice(start, stop), start, end: stop },
          len: stop - start,
        });
      }
    }
  }
  // Overlaps: the more severe, then the more serious category, then the longer, then the earlier wins.
  found.sort(
    (a, b) =>
      SEVERITY_RANK[b.hit.severity] - SEVERITY_RANK[a.hit.severity] ||
      CATEGORY_RANK[b.hit.category] - CATEGORY_RANK[a.hit.category] ||
      b.len - a.len ||
      a.hit.start - b.hit.start,
  );
  const kept: SafetyHit[] = [];
  for (const { hit } of found) {
    const overlapping = kept.filter((k) => hit.start < k.end && k.start < hit.end);
    if (!overlapping.length) kept.push(hit);
    else if (overlapping.length === 1 && overlapping[0].category === hit.category) {
      // One phrase found by two rules ("sudah tidak kuat" + "tidak kuat lagi"): one hit over both.
      const k = overlapping[0];
      k.start = Math.min(k.start, hit.start);
      k.end = Math.max(k.end, hit.end);
      k.phrase = text.slice(k.start, k.end);
    }
  }
  kept.sort((a, b) => a.start - b.start);
  const top = kept.reduce<SafetyHit | null>(
    (best, h) =>
      !best ||
      SEVERITY_RANK[h.severity] > SEVERITY_RANK[best.severity] ||
      (h.severity === best.severity && CATEGORY_RANK[h.category] > CATEGORY_RANK[best.category])
        ? h
        : best,
    null,
  );
  return { hits: kept, top: top?.category ?? null, stepBack: kept.some((h) => h.severity === 'high') };
}

/** How many phrase patterns the lexicon holds (for documentation and tests). */
export const SAFETY_PATTERN_COUNT = RULES.reduce((n, r) => n + r.patterns.length, 0);

// ---------------------------------------------------------------------------------------------
// The message shown instead of (high) or with (medium) the AI's answer.
