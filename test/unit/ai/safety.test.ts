/** Input safety screening: what must reach the coach, and what ordinary Latsar writing must not trigger. */
import { screenReflection, SAFETY_PATTERN_COUNT, type SafetyCategory, type SafetyResult } from '../../../src/ai/safety';

type Expected = [text: string, category: SafetyCategory, severity: 'high' | 'medium', phrase: string];

/** Every hit's phrase is exactly the text between its offsets. */
function expectConsistent(text: string, r: SafetyResult): void {
  for (const h of r.hits) expect(text.slice(h.start, h.end)).toBe(h.phrase);
  expect(r.stepBack).toBe(r.hits.some((h) => h.severity === 'high'));
}

function expectOneHit([text, category, severity, phrase]: Expected): void {
  const r = screenReflection(text);
  expectConsistent(text, r);
  expect(r.hits.map((h) => ({ category: h.category, severity: h.severity, phrase: h.phrase }))).toEqual([
    { category, severity, phrase },
  ]);
  expect(r.top).toBe(category);
  expect(r.stepBack).toBe(severity === 'high');
}

function expectNoHit(text: string): void {
  const r = screenReflection(text);
  expect(r).toEqual({ hits: [], top: null, stepBack: false });
}

describe('Indonesian: must hit', () => {
  const cases: Expected[] = [
    ['Sejak penempatan di kecamatan, kadang saya ingin mati saja rasanya.', 'selfHarm', 'high', 'ingin mati saja'],
    ['Jujur, aku pengen mati aja tiap pulang dari kantor.', 'selfHarm', 'high', 'pengen mati aja'],
    ['Minggu lalu saya sempat berpikir untuk bunuh diri.', 'selfHarm', 'high', 'bunuh diri'],
    ['Rasanya saya ingin mengakhiri hidup saya.', 'selfHarm', 'high', 'mengakhiri hidup saya'],
    ['Saya tidak ingin hidup lagi.', 'selfHarm', 'high', 'tidak ingin hidup lagi'],
    ['Capek hidup begini terus, semua serba salah.', 'selfHarm', 'high', 'Capek hidup'],
    [
      'Saya pernah menyakiti diri sendiri waktu kuliah dan sekarang keinginan itu muncul lagi.',
      'selfHarm',
      'high',
      'menyakiti diri sendiri',
    ],
    ['Semalam saya menyayat tangan saya lagi.', 'selfHarm', 'high', 'menyayat tangan saya'],
    ['Kadang saya berpikir lebih baik saya tidak ada.', 'selfHarm', 'high', 'lebih baik saya tidak ada'],
    ['Semua orang lebih baik tanpa aku.', 'selfHarm', 'high', 'lebih baik tanpa aku'],
    ['Saya ingin tidur dan tidak bangun lagi.', 'selfHarm', 'high', 'ingin tidur dan tidak bangun lagi'],
    ['gw udah pgn bundir', 'selfHarm', 'high', 'pgn bundir'],
    ['Kadang saya ingin hidup saya berakhir saja.', 'selfHarm', 'high', 'ingin hidup saya berakhir saja'],
    ['Saya benar-benar putus asa dengan penempatan ini.', 'distress', 'medium', 'putus asa'],
    [
      'Saya sudah tidak kuat lagi menghadapi semua ini.',
      'distress',
      'medium',
      'sudah tidak kuat lagi menghadapi semua ini',
    ],
    ['Saya sudah tidak kuat lagi.', 'distress', 'medium', 'sudah tidak kuat lagi'],
    ['Sudah dua bulan saya depresi dan susah tidur.', 'distress', 'medium', 'depresi'],
    ['Saya stres berat sejak dipindah ke loket pengaduan.', 'distress', 'medium', 'stres berat'],
    ['Saya merasa tidak berharga di kantor ini.', 'distress', 'medium', 'merasa tidak berharga'],
    ['Saya sering menangis setiap malam setelah apel.', 'distress', 'medium', 'menangis setiap malam'],
    ['Capek hidup di perantauan, jauh dari keluarga.', 'distress', 'medium', 'Capek hidup'],
    ['Selama habituasi saya di-bully oleh senior di ruangan.', 'harassment', 'medium', 'di-bully'],
    ['Saya sering dibully sama senior di asrama Latsar.', 'harassment', 'medium', 'dibully'],
    ['Saya dirundung rekan seangkatan di grup WhatsApp.', 'harassment', 'medium', 'dirundung'],
    ['Saya dilecehkan oleh oknum pegawai saat lembur.', 'harassment', 'medium', 'dilecehkan'],
    [
      'Saya menjadi korban pelecehan verbal di tempat kerja.',
      'harassment',
      'medium',
      'menjadi korban pelecehan verbal',
    ],
    ['Atasan saya sering mempermalukan saya di depan warga.', 'harassment', 'medium', 'mempermalukan saya'],
    ['Saya mengalami pelecehan seksual di kantor.', 'harassment', 'high', 'mengalami pelecehan seksual'],
    ['Saya pernah ditampar oleh suami.', 'harassment', 'high', 'ditampar'],
    ['Saya diancam akan dibunuh oleh keluarga pemohon.', 'threat', 'high', 'diancam akan dibunuh'],
    ['Kalau dia begitu lagi, akan saya bunuh dia.', 'threat', 'high', 'akan saya bunuh'],
    ['Kalau dia menghina ibu saya lagi, saya hajar.', 'threat', 'high', 'saya hajar'],
    ['Bapak itu berteriak: "Awas kamu!"', 'threat', 'high', 'Awas kamu'],
    ['Ingin rasanya saya menghajar dia.', 'threat', 'high', 'Ingin rasanya saya menghajar'],
    ['Warga itu mengancam akan memukul saya.', 'threat', 'high', 'mengancam akan memukul'],
    ['Saya diancam oleh oknum calo di depan kantor.', 'threat', 'medium', 'diancam'],
    ['Pegawai itu mengancam saya kalau tidak memberi uang.', 'threat', 'medium', 'mengancam saya'],
  ];
  it.each(cases)('%s', (...c) => expectOneHit(c));
});

describe('Indonesian: ordinary Latsar writing must not hit', () => {
  const cases: string[] = [
    'Pelayanan sempat terhenti karena mati lampu selama dua jam.',
    'Mati listrik membuat antrean di loket menumpuk.',
    'Jam dinding di ruang tunggu mati, jadi warga bertanya pukul berapa.',
    'Server SIAK mati sehingga pencetakan KTP-el tertunda.',
    'Baterai laptop saya mau mati saat presentasi aktualisasi.',
    'Lampu di ruang pelayanan mau mati, jadi saya laporkan ke bagian umum.',
    'Sambil menunggu coach, saya bunuh waktu dengan membaca SOP.',
    'Target mati bagi unit kami adalah seratus persen berkas selesai.',
    'NKRI harga mati.',
    'Deadline laporan aktualisasi membuat saya harus mengatur waktu.',
    'Saya tidak putus asa walaupun rancangan saya ditolak.',
    'Dalam habituasi saya belajar untuk tidak mudah putus asa.',
    'Pantang putus asa adalah prinsip saya.',
    'Saya tidak ingin mati-matian mengejar nilai, saya ingin belajar.',
    'Kami bekerja mati-matian menyelesaikan rekap data bansos.',
    'Stres sedikit menjelang ujian itu wajar.',
    'Saya sempat sedikit stres karena jadwal padat.',
    'Saya takut salah saat menginput data.',
    'Saya gugup ketika pertama kali presentasi di depan kepala dinas.',
    'Saya cemas menghadapi atasan yang tegas.',
    'Warga mengancam akan melapor ke Ombudsman karena berkasnya lama.',
    'Seorang bapak mengancam akan memviralkan pelayanan kami di media sosial.',
    'Saya diancam akan dilaporkan ke atasan oleh pemohon.',
    'Warga itu marah dan membentak saya di loket.',
    'Analisis SWOT: ancaman terbesar adalah perubahan regulasi.',
    'Desa kami mengalami ancaman banjir setiap musim hujan.',
    'Sebagai guru BK, saya menangani siswa korban perundungan.',
    'Saya mengajar siswa yang dirundung teman sekelasnya.',
    'Sekolah kami mengadakan sosialisasi anti perundungan.',
    'Kami mengikuti materi pencegahan kekerasan seksual di tempat kerja.',
    'Program pencegahan bunuh diri di puskesmas kami berjalan baik.',
    'Pasien dengan gejala depresi dirujuk ke psikolog.',
    'Depresi ekonomi tahun 1930 dibahas dalam materi wawasan kebangsaan.',
    'Kisah ibu itu sungguh menyayat hati.',
    'Saya tidak sengaja mengiris tangan saat memotong kertas.',
    'Hal itu sama saja bunuh diri karier.',
    'Bapak Kepala Dinas memukul gong tanda pembukaan.',
    'Nilai kelompok dipukul rata oleh panitia.',
    'Saya hajar semua laporan itu semalaman.',
    'Awas, kamu bisa jatuh kalau lantainya basah.',
    'Keluarga kami sedang dirundung duka.',
    'Saya ingin mati syahid membela negara.',
    'Lebih baik saya mati daripada korupsi.',
    'Saya tidak pernah terpikir untuk bunuh diri.',
    'Saya malas hidup sehat, tapi mulai membiasakan olahraga.',
    'Saya sudah tidak sabar ingin bertugas di desa.',
    'Saya tidak kuat mengangkat tumpukan berkas itu sendirian.',
    'Jangan sampai kita burnout menjelang akhir Latsar.',
  ];
  it.each(cases)('%s', (text) => expectNoHit(text));
  it('holds more than twenty such sentences', () => expect(cases.length).toBeGreaterThanOrEqual(20));
});

describe('decisions', () => {
  it('mild, ordinary feelings are not hits at all; strong ones are medium distress, never a step back', () => {
    expectNoHit('Saya sedikit stres, takut salah, gugup, dan cemas menghadapi atasan.');
    const r = screenReflection('Saya stres berat dan hampir putus asa.');
    expect(r.hits.map((h) => [h.category, h.severity])).toEqual([
      ['distress', 'medium'],
      ['distress', 'medium'],
    ]);
    expect(r.stepBack).toBe(false);
  });

  it("a citizen's threat in a service story: lawful channel none, other non-violent medium, violence high", () => {
    expectNoHit('Warga mengancam akan melapor.');
    expectOneHit(['Warga mengancam akan mempersulit izin usaha saya.', 'threat', 'medium', 'mengancam akan']);
    expectOneHit(['Warga mengancam akan membacok petugas.', 'threat', 'high', 'mengancam akan membacok']);
    // Not a person: a flood does not threaten anyone in this sense.
    expectNoHit('Banjir mengancam akan merendam kantor kecamatan.');
  });

  it('self-harm about someone else is a medium hit (the coach is told, the AI may answer gently)', () => {
    expectOneHit(['Pasien itu mencoba bunuh diri kemarin malam.', 'selfHarm', 'medium', 'mencoba bunuh diri']);
    expectOneHit(['Adik saya pernah mencoba bunuh diri.', 'selfHarm', 'medium', 'mencoba bunuh diri']);
    expectOneHit(['Teman saya bilang dia ingin mati.', 'selfHarm', 'medium', 'ingin mati']);
  });

  it('distress and harassment about someone else are not hits', () => {
    expectNoHit('Rekan saya di-bully oleh senior.');
    expectNoHit('Warga yang putus asa datang ke loket pengaduan.');
    expectNoHit('My colleague was bullied.');
  });

  it('negation in the same clause only: a comma or a conjunction ends it', () => {
    expectNoHit('Saya tidak pernah sekali pun ingin mati.');
    expectOneHit(['Saya tidak tahu lagi, rasanya ingin mati.', 'selfHarm', 'high', 'ingin mati']);
    expectOneHit(['Saya tidak bisa tidur dan ingin mati saja.', 'selfHarm', 'high', 'ingin mati saja']);
  });
});

describe('English', () => {
  const hits: Expected[] = [
    ['Some days I want to die.', 'selfHarm', 'high', 'want to die'],
    ["I've been thinking about killing myself.", 'selfHarm', 'high', 'thinking about killing myself'],
    ["I don't want to live anymore.", 'selfHarm', 'high', "don't want to live anymore"],
    ['I sometimes think about self-harm again.', 'selfHarm', 'high', 'self-harm'],
    ['I want to end my life.', 'selfHarm', 'high', 'end my life'],
    ["I can't take it anymore.", 'distress', 'medium', "can't take it anymore"],
    ['I feel hopeless about this placement.', 'distress', 'medium', 'hopeless'],
    ['I was bullied by two seniors during habituation.', 'harassment', 'medium', 'bullied'],
    ['I am being harassed by a colleague.', 'harassment', 'medium', 'harassed'],
    ['I was sexually harassed by my supervisor.', 'harassment', 'high', 'sexually harassed'],
    ['My supervisor threatened me.', 'threat', 'medium', 'threatened me'],
    ['He threatened to kill me.', 'threat', 'high', 'threatened to kill'],
    ['I will hurt him if he does it again.', 'threat', 'high', 'I will hurt him'],
    ["I'm going to kill him.", 'threat', 'high', "I'm going to kill him"],
  ];
  it.each(hits)('hit: %s', (...c) => expectOneHit(c));

  const harmless = [
    "I don't want to die before I finish this report, haha.",
    'I wanted to die of embarrassment when my slides froze.',
    "I'm killing myself with this workload.",
    'We killed time reading the SOP.',
    'I killed it in the presentation.',
    'Our anti-bullying policy is clear.',
    'The suicide prevention program is running well.',
    'I felt a bit stressed before the exam.',
    'It hit me that service is about people.',
    'The economy was depressed after the crisis.',
    'I will hit the target this month.',
    'I felt threatened by the new system at first.',
    'A citizen threatened to report me to the ombudsman.',
  ];
  it.each(harmless)('no hit: %s', (text) => expectNoHit(text));
});

describe('writing as it comes: case, punctuation, line breaks, slang', () => {
  it('upper case and exclamation marks', () => {
    expectOneHit(['SAYA INGIN MATI!!!', 'selfHarm', 'high', 'INGIN MATI']);
  });

  it('stretched letters', () => {
    expectOneHit(['pengeeen matiii ajaaa', 'selfHarm', 'high', 'pengeeen matiii ajaaa']);
  });

  it('a phrase split by a line break, with the break kept in the phrase', () => {
    const text = 'Rasanya saya ingin\nmati saja.';
    expectOneHit([text, 'selfHarm', 'high', 'ingin\nmati saja']);
    expectOneHit(['Saya ingin BUNUH\r\n  DIRI...', 'selfHarm', 'high', 'ingin BUNUH\r\n  DIRI']);
    expectOneHit(['Aku di-\nbully terus di grup angkatan.', 'harassment', 'medium', 'di-\nbully']);
  });

  it('an ellipsis does not end the phrase; a full stop, a comma or a blank line does', () => {
    expectOneHit(['Ingin... mati.', 'selfHarm', 'high', 'Ingin... mati']);
    expectNoHit('Saya ingin. Mati lampu lagi hari ini.');
    expectNoHit('Saya ingin, mati lampu jangan terjadi lagi.');
    expectNoHit('Saya ingin\n\nmati lampu tidak terulang.');
  });

  it('everyday spellings', () => {
    const r = screenReflection('Udah gak kuat lg, pengen mati aja');
    expectConsistent('Udah gak kuat lg, pengen mati aja', r);
    expect(r.hits.map((h) => [h.category, h.severity, h.phrase])).toEqual([
      ['distress', 'medium', 'Udah gak kuat lg'],
      ['selfHarm', 'high', 'pengen mati aja'],
    ]);
    expect(r.top).toBe('selfHarm');
    expect(r.stepBack).toBe(true);
  });
});

describe('positions and the result', () => {
  it('start and end point at the phrase in the original text', () => {
    const text = 'Hari ini berat.\nSaya di-bully lagi, dan jujur saya ingin mati.';
    const r = screenReflection(text);
    expectConsistent(text, r);
    expect(r.hits).toEqual([
      {
        category: 'harassment',
        severity: 'medium',
        phrase: 'di-bully',
        start: text.indexOf('di-bully'),
        end: text.indexOf('di-bully') + 8,
      },
      {
        category: 'selfHarm',
        severity: 'high',
        phrase: 'ingin mati',
        start: text.indexOf('ingin mati'),
        end: text.indexOf('ingin mati') + 10,
      },
    ]);
    expect(r.top).toBe('selfHarm');
    expect(r.stepBack).toBe(true);
  });

  it('offsets survive characters outside the basic plane before the phrase', () => {
    const text = '😔😔 aku pengen mati';
    const r = screenReflection(text);
    expectConsistent(text, r);
    expect(r.hits[0].start).toBe(text.indexOf('pengen'));
  });

  it('top prefers the most severe, then selfHarm > threat > harassment > distress', () => {
    expect(screenReflection('Saya depresi dan di-bully senior.').top).toBe('harassment');
    expect(screenReflection('Saya di-bully. Saya diancam akan dibunuh.').top).toBe('threat');
    expect(screenReflection('Saya diancam akan dibunuh. Saya ingin mati.').top).toBe('selfHarm');
    // A medium selfHarm (about someone else) does not outrank a high threat.
    expect(screenReflection('Pasien itu mencoba bunuh diri. Keluarganya bilang awas kamu.').top).toBe('threat');
  });

  it('medium hits alone never step back', () => {
    const r = screenReflection('Saya dirundung dan stres berat.');
    expect(r.hits.length).toBe(2);
    expect(r.stepBack).toBe(false);
  });

  it('empty and odd input', () => {
    expectNoHit('');
    expectNoHit('   \n\t ');
    expectNoHit('1234 5678');
    expectNoHit(undefined as unknown as string);
  });

  it('the lexicon is not trivially small', () => {
    expect(SAFETY_PATTERN_COUNT).toBeGreaterThan(80);
  });
});
