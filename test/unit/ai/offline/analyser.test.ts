/**
 * The reflection reader on texts written for these tests (not the evaluation set it was tuned on):
 * what a reason may quote, the tense and phase, and the tensions a coach would take up.
 */
import { analyse, loadQuestionBank, quotableOffsets } from '../../../../src/ai/offline/engine';

const bank = loadQuestionBank();

/** The written words a reason may quote. */
function quotable(text: string): string[] {
  const starts = quotableOffsets(text);
  return [...text.matchAll(/[\p{L}\p{N}-]+/gu)].filter((m) => starts.has(m.index ?? -1)).map((m) => m[0]);
}

describe('what a reason may quote', () => {
  test('content words only: no time expression, filler, vague verb or number', () => {
    expect(
      quotable('Biasanya saya kenal pemohon. Minggu depan saya menata arsip kependudukan di depan loket pukul 08.00.'),
    ).toEqual(['pemohon', 'menata', 'arsip', 'kependudukan', 'loket', 'pukul']);
  });

  test('no word of a sentence that denies, nor of one the safety screen flags', () => {
    expect(quotable('Laporan anggaran belum saya susun. Arsip surat sudah rapi.')).toEqual(['Arsip', 'surat', 'rapi']);
    expect(
      quotable('Saya merasa tidak berguna dan ingin mengakhiri hidup saja. Rapat koordinasi berjalan baik.'),
    ).toEqual(['Rapat', 'koordinasi', 'berjalan', 'baik']);
  });

  test('any input: empty, punctuation, a long text', () => {
    expect(quotableOffsets('')).toEqual(new Set());
    expect(quotableOffsets('?!... —')).toEqual(new Set());
    expect(quotableOffsets(undefined as unknown as string)).toEqual(new Set());
    const long = 'Saya menata arsip surat masuk di kecamatan. '.repeat(2000);
    expect(quotableOffsets(long).size).toBe(2000 * 5);
  });
});

describe('tense and phase', () => {
  test("the prompt's phase decides, and sets the tense it is answered in", () => {
    const text = 'Saat ini antrean di loket rata-rata 40 menit. Saya ingin waktunya turun menjadi 20 menit.';
    expect(analyse(text, bank, { phase: 'goal' })).toMatchObject({ phase: 'goal', tense: 'future' });
    expect(analyse(text, bank, { phase: 'reality' })).toMatchObject({ phase: 'reality', tense: 'present' });
  });

  test('without one, an entry tells what happened and has no phase, unless it plainly weighs choices', () => {
    expect(analyse('Kemarin saya membantu seorang nenek mengisi formulir di loket.', bank)).toMatchObject({
      phase: null,
      tense: 'past',
    });
    // A story that ends with a plan is still a story (counting markers read worse on the set).
    expect(
      analyse('Tadi saya membantu seorang nenek di loket. Selanjutnya saya mau membuat daftar syarat.', bank),
    ).toMatchObject({ phase: null, tense: 'past' });
    expect(
      analyse('Tidak ada pilihan lain, tidak ada alternatif: kami menunggu jaringan pulih.', bank).phase,
    ).toBeNull();
    expect(
      analyse(
        'Ada dua pilihan: formulir daring atau kunjungan ke desa. Alternatif lain, kerja sama dengan kader.',
        bank,
      ).phase,
    ).toBe('options');
  });
});

describe('tensions, each with the sentence that shows it', () => {
  const tensionsOf = (text: string) =>
    analyse(text, bank).tensions.map((t) => [t.kind, analyse(text, bank).sentences[t.sentence].text]);

  test('a shortcut past the rule, and the supervisor not told', () => {
    const text =
      'Pemohon itu buru-buru, jadi saya minta kenalan di bagian arsip mencetak suratnya tanpa antre. ' +
      'Saya tidak yakin itu sesuai prosedur. Kepala seksi belum tahu soal ini.';
    expect(tensionsOf(text)).toEqual([
      [
        'rule-vs-shortcut',
        'Pemohon itu buru-buru, jadi saya minta kenalan di bagian arsip mencetak suratnya tanpa antre.',
      ],
      ['acted-without-supervisor', 'Kepala seksi belum tahu soal ini.'],
    ]);
  });

  test('words that are harmless alone raise nothing', () => {
    const story = ' Minggu ini saya melayani 30 warga di loket kecamatan dan mencatat keluhan mereka di buku register.';
    for (const sentence of [
      'Saya bertanya kepada teman saya yang lebih senior tentang isi SOP pelayanan.',
      'Saya mengumumkan jadwal layanan di grup WA kelurahan.',
      'Saya menjaga data pribadi warga dengan menyimpan berkas di lemari terkunci.',
      'Jumlah antrean minggu sebelumnya 120 orang.',
      'Saya tidak tahu harus mulai dari mana karena kepala saya pusing. Sore itu saya lapor ke Kasi.',
      'Saya tidak melanggar aturan apa pun.',
    ])
      expect({ sentence, tensions: tensionsOf(sentence + story) }).toEqual({ sentence, tensions: [] });
    // Together they are one: data sent where it should not go.
    expect(tensionsOf('Saya kirim tangkapan layar daftar pasien ke grup WA kader.' + story)[0]?.[0]).toBe(
      'rule-vs-shortcut',
    );
  });

  test('a rule named plainly is no tension; a doubt about it is', () => {
    expect(tensionsOf('Saya memeriksa berkas sesuai prosedur yang berlaku di seksi kami.')).toEqual([]);
    expect(tensionsOf('Saya ragu apakah aturan membolehkan surat itu ditandatangani kasi lain.')[0]?.[0]).toBe(
      'rule-vs-shortcut',
    );
  });

  test('blame without own part, unless the writer names theirs', () => {
    expect(tensionsOf('Laporan terlambat gara-gara operator desa. Ini bukan salah saya.')[0]?.[0]).toBe(
      'blame-without-own-part',
    );
    expect(
      tensionsOf('Laporan terlambat gara-gara operator desa, tapi kesalahan saya juga tidak mengingatkan.'),
    ).toEqual([]);
  });

  test("the same tensions in other words: telling no one, not disturbing the supervisor, another's account, a feeling kept", () => {
    const kinds = (text: string) => analyse(text, bank).tensions.map((t) => t.kind);
    expect(kinds('Kejadian itu tidak saya teruskan ke siapa-siapa, toh sudah selesai.')).toEqual([
      'acted-without-supervisor',
    ]);
    expect(
      kinds('Kabid sedang rapat seharian, jadi tidak saya ganggu dan formulir itu langsung saya setujui.'),
    ).toEqual(['acted-without-supervisor']);
    // "Siapa pun" only with a denied telling: serving whoever comes is no tension.
    expect(kinds('Siapa pun yang datang saya layani dengan ramah.')).toEqual([]);
    expect(kinds('Saya masuk dengan akunnya karena dia sedang cuti.')).toEqual(['rule-vs-shortcut']);
    expect(kinds('Saya masuk pakai akun pribadi saya.')).toEqual([]);
    // A feeling still kept is one without a step, even beside a plan about something else.
    expect(
      kinds(
        'Saya kesal waktu rapat, dan perasaan itu masih saya simpan sendiri sampai sekarang. Minggu depan saya akan menyusun jadwal piket.',
      ),
    ).toEqual(['feeling-without-action']);
    expect(kinds('Saya kesal waktu rapat. Minggu depan saya akan menyusun jadwal piket.')).toEqual([]);
    // The two sides of a dispute are not a party left unnamed; a side named only as a side is.
    expect(kinds('Keluarga kedua pihak sempat berdebat di ruang tunggu.')).toEqual([]);
    expect(kinds('Berkasnya sudah saya teruskan ke pihak kelurahan.')).toEqual(['unnamed-stakeholder']);
  });

  test('cases a reviewer found: quoted blame, word forms, sides, harmless words', () => {
    const kinds = (text: string) => analyse(text, bank).tensions.map((t) => t.kind);
    // A citizen's blame, quoted, is not the writer's.
    expect(
      kinds(
        'Seorang bapak berkata, "Bukan saya yang salah, ini gara-gara petugas kemarin tidak becus." Saya menjelaskan syaratnya kepada bapak itu.',
      ),
    ).toEqual([]);
    // An exact entry still finds its word with a suffix; a reduplicated entry is only the reduplication.
    expect(kinds('Saya kirim NIK-nya lewat grup WA supaya cepat.')).toEqual(['rule-vs-shortcut']);
    expect(kinds('Belum saya ceritakan siapa yang membantu saya.')).toEqual([]);
    expect(kinds('Belum saya ceritakan ke siapa-siapa.')).toEqual(['acted-without-supervisor']);
    // "Dua" ending the sentence before is no side; "memihak" is no party.
    expect(kinds('Masalahnya ada dua. Pihak sekolah belum menjawab surat kami.')).toEqual(['unnamed-stakeholder']);
    expect(kinds('Saya tidak memihak siapa pun dalam rapat itu.')).toEqual([]);
    expect(kinds('Belakangan ini teman saya yang di loket sering sakit.')).toEqual([]);
    // Asking anyone who passes is not telling the supervisor.
    expect(analyse('Saya bertanya kepada siapa pun yang lewat di lorong.', bank).says.supervisorTold).toBe(false);
  });

  test('an outcome without a measure; "pihak terkait" instead of a name', () => {
    const kinds = analyse(
      'Bulan depan saya akan koordinasi dengan pihak terkait. Harapannya layanan jadi lebih cepat.',
      bank,
    ).tensions.map((t) => t.kind);
    expect(kinds).toEqual(['missing-measure', 'unnamed-stakeholder']);
    expect(
      analyse(
        'Bulan depan saya akan mengajak Kasi Pelayanan. Targetnya waktu tunggu turun dari 40 menjadi 20 menit.',
        bank,
      ).tensions,
    ).toEqual([]);
  });
});

describe('what the text already says', () => {
  test('a hurt feeling, and a count that can be kept, each fill their gap', () => {
    expect(analyse('Rapat itu biasa saja.', bank).has.feeling).toBe(false);
    expect(analyse('Jujur saya sakit hati waktu rapat itu.', bank).has.feeling).toBe(true);
    expect(analyse('Saya tempel daftar periksa di loket.', bank).has.measure).toBe(false);
    expect(
      analyse('Saya tempel daftar periksa di loket, supaya bisa dihitung berapa yang masih kurang.', bank).has.measure,
    ).toBe(true);
  });
});

describe('values', () => {
  test('never from a sentence the safety screen flagged', () => {
    const a = analyse('Saya melayani warga dengan ramah setiap hari tapi kadang saya ingin mati saja rasanya.', bank);
    expect(a.sentences[0].flagged).toBe(true);
    expect(a.values).toEqual([]);
  });

  /** The values read from a text, by id. */
  const valuesOf = (text: string) => analyse(text, bank).values.map((v) => v.value);

  test("only the writer's own act: not words quoted from someone else, a question, a likeness, what another is asked to do, a denied need or a plan", () => {
    // Each pair: the act's words where the writer did not do it, then the writer doing it.
    expect(valuesOf("Teman satu ruangan minta saya 'bantu' mengisi daftar hadirnya, dan saya menolak.")).not.toContain(
      'berorientasi-pelayanan',
    );
    expect(valuesOf('Saya bantu warga mengisi formulir.')).toContain('berorientasi-pelayanan');
    expect(valuesOf('Apakah saya sudah bantu warga dengan benar?')).toEqual([]);
    expect(valuesOf('Kalau berkasnya hilang, yang cek ulang siapa ya.')).toEqual([]);
    expect(valuesOf('Saya sudah bantu warga dengan benar.')).toEqual(['berorientasi-pelayanan']);
    expect(valuesOf('Rasanya seperti minta tolong pada orang asing.')).toEqual([]);
    expect(valuesOf('Saya minta tolong pada kader posyandu.')).toEqual(['kolaboratif']);
    expect(valuesOf('Saya minta kepala seksi mengecek ulang berkas itu.')).toEqual([]);
    expect(valuesOf('Saya cek ulang berkas itu.')).toEqual(['akuntabel']);
    expect(valuesOf('Dengan templat itu saya tidak perlu mencocokkan data satu per satu.')).toEqual([]);
    expect(valuesOf('Saya mencocokkan data satu per satu.')).toEqual(['akuntabel']);
    expect(valuesOf('Minggu depan saya akan mencocokkan data satu per satu.')).toEqual([]);
  });

  test("the writer's acts, read where the writer is the doer, for the people the act is for", () => {
    // Serving is an act for the public: the same words to a colleague are not.
    expect(valuesOf('Saya jelaskan syaratnya pelan-pelan kepada pemohon itu.')).toEqual(['berorientasi-pelayanan']);
    expect(valuesOf('Saya jelaskan syaratnya pelan-pelan kepada rekan di loket sebelah.')).toEqual([]);
    // A later clause of the writer's sentence is the writer's act too, with words between.
    expect(valuesOf('Saya bawa alatnya ke rumah warga, bantu nenek duduk.')).toEqual(['berorientasi-pelayanan']);
    expect(valuesOf('Saya sudah mencatat nomor batch setiap vial di kartu kendali.')).toEqual(['akuntabel']);
    expect(valuesOf('Saya minta kader posyandu ikut menimbang balita.')).toEqual(['kolaboratif']);
    // …but not when the writer's clause plans it, or names a need.
    expect(valuesOf('Besok saya akan membuat daftar syarat, lalu mencatat berapa berkas yang kembali.')).toEqual([]);
    expect(valuesOf('Yang masih perlu saya latih adalah kesabaran.')).toEqual([]);
    // The same verb after someone else is theirs.
    expect(valuesOf('Petugas loket mencatat nomor batch setiap vial di kartu kendali.')).toEqual([]);
  });

  test('cases a reviewer found: whose act, whose words, a question, a plan', () => {
    // "Rekan saya" is the colleague acting; a fronted object is still the writer's act.
    expect(valuesOf('Rekan saya menjelaskan prosedur kepada warga dengan sabar.')).toEqual([]);
    expect(valuesOf('Ibu itu saya antar ke ruang foto.')).toEqual(['berorientasi-pelayanan']);
    // Quoted speech with an apostrophe, and a long quote, are someone else's words.
    expect(valuesOf('Kata Pak Kasi, "Jum\'at ini kami bantu warga lansia."')).toEqual([]);
    expect(
      valuesOf(
        `Kepala puskesmas bercerita, "Dulu kami tidak punya motor. ${'Setiap pagi kami datangi rumah warga satu per satu dengan sepeda. '.repeat(4)}"`,
      ),
    ).toEqual([]);
    // A question mark before closing marks; a closing "ya" that asks nothing.
    expect(valuesOf('Apakah saya sudah membantu warga dengan benar?!')).toEqual([]);
    expect(valuesOf('Saya bantu nenek itu sampai selesai, capek juga ya.')).toEqual(['berorientasi-pelayanan']);
    // "Minggu depan", "lusa" plan; a wish in a relative clause is someone else's.
    expect(valuesOf('Minggu depan saya datangi rumah warga itu.')).toEqual([]);
    expect(valuesOf('Lusa saya antar nenek ke loket.')).toEqual([]);
    expect(valuesOf('Nenek yang ingin mengurus KTP saya bantu isi formulirnya sampai selesai.')).toEqual([
      'berorientasi-pelayanan',
    ]);
    // Helping a colleague is not serving the public; a denial reaches past "bisa".
    expect(valuesOf('Saya bantu dua orang rekan menyusun laporan bulanan.')).toEqual([]);
    expect(valuesOf('Nenek itu tidak bisa saya bantu hari itu.')).toEqual([]);
    expect(valuesOf('Kami datangi rumah warga itu satu per satu.')).toContain('berorientasi-pelayanan');
  });

  test('an act done together includes the one who asked for it', () => {
    expect(valuesOf('Saya minta ketua RT menemani saya ke rumah warga.')).toEqual(['kolaboratif']);
  });

  test('naming a value is not showing it; an act with it is', () => {
    expect(analyse('Nilai akuntabel dan kolaboratif sangat penting bagi ASN.', bank).values).toEqual([]);
    expect(
      analyse(
        'Nilai akuntabel saya tunjukkan: saya cek ulang semua kuitansi sebelum laporan dikirim.',
        bank,
      ).values.map((v) => v.value),
    ).toEqual(['akuntabel']);
  });
});
