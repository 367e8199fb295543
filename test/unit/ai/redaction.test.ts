/** PII redaction before text goes to an AI provider, and putting the originals back in the answer. */
import { nameMatcher, redact, restore, restoreDeep, type KnownPerson, type Redaction } from '../../../src/ai/redaction';

const ROSTER: KnownPerson[] = [
  { name: 'Ahmad Fauzi, S.E., M.Si.', givenName: 'Ahmad', familyName: 'Fauzi' },
  { name: 'I Gede Wirawan', givenName: 'I Gede', familyName: 'Wirawan' },
  { name: 'Ni Luh Putu Ayu Sri Wahyuni', givenName: 'Ni Luh Putu Ayu', familyName: 'Sri Wahyuni' },
  { name: 'Rumondang br. Siregar' },
  { name: 'La Ode Muhammad Syarif' },
  { name: 'Wa Ode Nurhayati' },
  { name: 'Andi Tenri Ajeng' },
  { name: 'Budi Santoso', givenName: 'Budi', familyName: 'Santoso' },
  { name: 'Bayu Pratama' },
  { name: 'Putri Lestari' },
  { name: 'Dr. H. Ahmad Yani' },
  { name: "Ma'ruf Hidayat" },
  { name: 'Kasih Handayani' },
  { name: 'Agung Prasetyo' },
  { name: 'Ed Li' },
];
const names = nameMatcher(ROSTER);
const SELF: KnownPerson = { name: 'Dewi Kartika Sari', givenName: 'Dewi', familyName: 'Kartika Sari' };

const run = (text: string, self: KnownPerson | undefined = SELF): Redaction => redact(text, { names, self });
const counts = (c: Partial<Redaction['counts']>): Redaction['counts'] => ({
  name: 0,
  nip: 0,
  nik: 0,
  email: 0,
  phone: 0,
  ...c,
});
/** Just the redacted text. */
const red = (text: string): string => run(text).text;

describe('realistic reflections', () => {
  it('a participant writing about a colleague in finance, and about herself', () => {
    const text =
      'Pada minggu kedua habituasi, saya (Dewi Kartika Sari, NIP 19950312 202012 2 004) berdiskusi dengan Pak Ahmad Fauzi di bagian keuangan. ' +
      'Pak Fauzi menjelaskan bahwa SPJ perjalanan dinas sebesar Rp 1.500.000 harus selesai sebelum 12-05-2024. ' +
      'Saya belajar nilai Akuntabel dari cara beliau bekerja; Bu Dewi di sebelah saya juga mencatatnya.';
    const r = run(text);
    expect(r.text).toBe(
      'Pada minggu kedua habituasi, saya ([NAMA_1], NIP [NIP_1]) berdiskusi dengan Pak [NAMA_2] di bagian keuangan. ' +
        'Pak [NAMA_2] menjelaskan bahwa SPJ perjalanan dinas sebesar Rp 1.500.000 harus selesai sebelum 12-05-2024. ' +
        'Saya belajar nilai Akuntabel dari cara beliau bekerja; Bu [NAMA_1] di sebelah saya juga mencatatnya.',
    );
    expect(r.map).toEqual({
      '[NAMA_1]': 'Dewi Kartika Sari',
      '[NIP_1]': '19950312 202012 2 004',
      '[NAMA_2]': 'Ahmad Fauzi',
    });
    expect(r.counts).toEqual(counts({ name: 4, nip: 1 }));
  });

  it("a citizen's complaint with a NIK, a WhatsApp number and an e-mail", () => {
    const text =
      'Seorang warga datang ke loket mengeluhkan KTP-el yang belum jadi. NIK beliau 3171 0402 8901 0003, bisa dihubungi di wa 0812-3456-7890 ' +
      'atau email siti.aminah88@gmail.com. Saya meneruskan ke Pak I Gede Wirawan (kepala seksi) dan menjanjikan kabar dalam 3 hari kerja.';
    const r = run(text);
    expect(r.text).toBe(
      'Seorang warga datang ke loket mengeluhkan KTP-el yang belum jadi. NIK beliau [NIK_1], bisa dihubungi di wa [TELEPON_1] ' +
        'atau email [EMAIL_1]. Saya meneruskan ke Pak [NAMA_1] (kepala seksi) dan menjanjikan kabar dalam 3 hari kerja.',
    );
    expect(r.map).toEqual({
      '[NIK_1]': '3171 0402 8901 0003',
      '[TELEPON_1]': '0812-3456-7890',
      '[EMAIL_1]': 'siti.aminah88@gmail.com',
      '[NAMA_1]': 'I Gede Wirawan',
    });
    expect(r.counts).toEqual(counts({ name: 1, nik: 1, email: 1, phone: 1 }));
  });

  it('a reflection with nothing to redact comes back identical', () => {
    const text =
      'Nilai BerAKHLAK yang paling saya rasakan minggu ini adalah Berorientasi Pelayanan. Kepala Bidang meminta kami melayani 25 warga per hari, ' +
      'antrean dibuka pukul 08.00 dan tutup 15.30. Anggaran tahun 2024 sebesar Rp 12.500.000 (naik 0,8% dari 2023). Terima kasih, coach!';
    const r = run(text);
    expect(r.text).toBe(text);
    expect(r.map).toEqual({});
    expect(r.counts).toEqual(counts({}));
    expect(run('').text).toBe('');
  });
});

describe('NIP and NIK', () => {
  it('finds a NIP spaced 8-6-1-3, continuous, or with dots and hyphens', () => {
    const r = run(
      'NIP 19900101 201501 1 001; NIP:199001012015011001, NIP 19870212.201001.2.003, NIP 19870212-201001-2-004, 19870212 201001 2005.',
    );
    expect(r.text).toBe('NIP [NIP_1]; NIP:[NIP_1], NIP [NIP_2], NIP [NIP_3], [NIP_4].');
    expect(r.map['[NIP_1]']).toBe('19900101 201501 1 001');
    expect(r.counts).toEqual(counts({ nip: 5 }));
  });

  it('finds a NIK continuous, or grouped by 4, by 6-6-4 or 2-2-2-6-4 with spaces or dots', () => {
    const r = run(
      'NIK 3171040289010003 / 3171 0402 8901 0003 / 3171.0402.8901.0003 / 317104 028901 0003 / 31.71.04.028901.0003 / NIK:5103015505900002',
    );
    expect(r.text).toBe('NIK [NIK_1] / [NIK_1] / [NIK_1] / [NIK_1] / [NIK_1] / NIK:[NIK_2]');
    expect(r.counts).toEqual(counts({ nik: 6 }));
  });

  it('claims an 18-digit NIP before a 16-digit NIK, and both before a phone', () => {
    const r = run('NIP 198108082006041008 dan NIK 3208081234567890 (mengandung 0812345678).');
    expect(r.text).toBe('NIP [NIP_1] dan NIK [NIK_1] (mengandung [TELEPON_1]).');
    expect(r.map).toEqual({
      '[NIP_1]': '198108082006041008',
      '[NIK_1]': '3208081234567890',
      '[TELEPON_1]': '0812345678',
    });
  });

  it('leaves ordinary numbers alone', () => {
    const text =
      'Tahun 2024 ada 1.250 berkas, Rp 1.500.000 dan Rp 12.000.000,00; rapat 12-05-2024 dan 08-05-2024 pukul 08.00-09.30, nilai 0,8 atau 0.8; ' +
      'nomor surat 1234567890, nomor antrean 0012345678, 17 digit 12345678901234567, 15 digit 123456789012345, NPWP 01.234.567.8-901.000, 2019-2023.';
    expect(red(text)).toBe(text);
  });
});

describe('phones', () => {
  it('finds the ways Indonesians write a mobile number, and knows they are one number', () => {
    const r = run(
      'HP +62 812-3456-7890, +6281234567890, 0812 3456 7890, 081234567890, 62 812 3456 7890, 0812.3456.7890, wa.me/6281234567890',
    );
    expect(r.text).toBe(
      'HP [TELEPON_1], [TELEPON_1], [TELEPON_1], [TELEPON_1], [TELEPON_1], [TELEPON_1], wa.me/[TELEPON_1]',
    );
    expect(r.map).toEqual({ '[TELEPON_1]': '+62 812-3456-7890' });
    expect(r.counts).toEqual(counts({ phone: 7 }));
  });

  it('keeps "wa"/"WA:" outside the placeholder and numbers different phones apart', () => {
    expect(red('Bisa wa 0812-3456-789 atau WA: 0857 1122 3344, sms 085711223344.')).toBe(
      'Bisa wa [TELEPON_1] atau WA: [TELEPON_2], sms [TELEPON_2].',
    );
  });

  it('finds landlines with the area code in parentheses, after a hyphen, or internationally', () => {
    const r = run(
      'Kantor (021) 555-1234, 021-5551234, +62 21 5551234, telp. 0215551234; kantor cabang (0361) 234567 dan 0274 512345.',
    );
    expect(r.text).toBe(
      'Kantor [TELEPON_1], [TELEPON_1], [TELEPON_1], telp. [TELEPON_1]; kantor cabang [TELEPON_2] dan [TELEPON_3].',
    );
    expect(r.counts).toEqual(counts({ phone: 6 }));
  });

  it('does not take the numbers after a complete phone into it', () => {
    expect(red('Nomor 0812 3456 7890 2 kali tidak aktif; 0812 3456 7890 2024 juga.')).toBe(
      'Nomor [TELEPON_1] 2 kali tidak aktif; [TELEPON_1] 2024 juga.',
    );
  });

  it('does not take times, decimals, short numbers or a bare 10-digit number for phones', () => {
    const text =
      'Pukul 08.00, 08.30-10.00, nilai 0,8 dan 0.85, kode 0812, 08123, nomor induk 0215551234 tanpa kata telepon, 1234567890.';
    expect(red(text)).toBe(text);
  });
});

describe('e-mail addresses', () => {
  it('finds government and personal addresses, without the sentence period', () => {
    const r = run('Kirim ke nama.saya@kemenkeu.go.id, ke BUDI_S@bkn.go.id atau ke ahmad.fauzi+latsar@gmail.com.');
    expect(r.text).toBe('Kirim ke [EMAIL_1], ke [EMAIL_2] atau ke [EMAIL_3].');
    expect(r.map).toEqual({
      '[EMAIL_1]': 'nama.saya@kemenkeu.go.id',
      '[EMAIL_2]': 'BUDI_S@bkn.go.id',
      '[EMAIL_3]': 'ahmad.fauzi+latsar@gmail.com',
    });
  });

  it('takes a whole address, even when a roster name or digits are in it, and compares without case', () => {
    const r = run('Email 199001012015011001@bkn.go.id, Ahmad.Fauzi@kemenkeu.go.id dan ahmad.fauzi@kemenkeu.go.id.');
    expect(r.text).toBe('Email [EMAIL_1], [EMAIL_2] dan [EMAIL_2].');
    expect(r.counts).toEqual(counts({ email: 3 }));
  });
});

describe('names', () => {
  it('matches full names and parts in any case, keeping honorifics outside', () => {
    expect(red('Pak Ahmad Fauzi, pak ahmad fauzi, Bapak Fauzi, Bu Putri Lestari, mbak lestari, Bli Wirawan.')).toBe(
      'Pak [NAMA_1], pak [NAMA_1], Bapak [NAMA_1], Bu [NAMA_2], mbak [NAMA_2], Bli [NAMA_3].',
    );
  });

  it('gives the longest match: a full name is one placeholder, not a given and a family name', () => {
    const r = run('Budi Santoso bertemu Santoso lalu Budi.');
    expect(r.text).toBe('[NAMA_1] bertemu [NAMA_1] lalu [NAMA_1].');
    expect(r.map).toEqual({ '[NAMA_1]': 'Budi Santoso' });
    expect(r.counts).toEqual(counts({ name: 3 }));
  });

  it('gives different people different numbers, and a part shared by two people its own', () => {
    const r = run('Pak Ahmad Fauzi dan Pak Ahmad Yani rapat; Pak Ahmad datang terlambat; Pak Yani tidak.');
    expect(r.text).toBe('Pak [NAMA_1] dan Pak [NAMA_2] rapat; Pak [NAMA_3] datang terlambat; Pak [NAMA_2] tidak.');
    expect(r.map).toEqual({ '[NAMA_1]': 'Ahmad Fauzi', '[NAMA_2]': 'Ahmad Yani', '[NAMA_3]': 'Ahmad' });
  });

  it('strips titles and degrees from roster names', () => {
    expect(red('Dr. H. Ahmad Yani, S.H. dan Ahmad Fauzi, S.E., M.Si. hadir.')).toBe(
      'Dr. H. [NAMA_1], S.H. dan [NAMA_2], S.E., M.Si. hadir.',
    );
  });

  it('handles Balinese, Batak and Bugis/Buton name particles', () => {
    expect(red('I Gede Wirawan memimpin apel. Ni Luh Putu Ayu Sri Wahyuni dan Bu Wahyuni mencatat.')).toBe(
      '[NAMA_1] memimpin apel. [NAMA_2] dan Bu [NAMA_2] mencatat.',
    );
    expect(
      red(
        'Rumondang br. Siregar, Rumondang Siregar, Kak Rumondang; La Ode Muhammad Syarif dan Wa Ode Nurhayati; Andi Tenri dan Andi.',
      ),
    ).toBe('[NAMA_1], [NAMA_1], Kak [NAMA_1]; [NAMA_2] dan [NAMA_3]; [NAMA_4] dan [NAMA_4].');
  });

  it('never matches a particle, a one- or two-letter part, or a stop word alone', () => {
    const text =
      'I think I was wrong. Ni hao. La la la. Wa Ode saja. Ed dan Li datang. Anak itu. Nabi Muhammad SAW teladan kami. Kepala Bidang, Ibu Kepala, Warga.';
    expect(red(text)).toBe(text);
    expect(red('Ed Li datang.')).toBe('[NAMA_1] datang.');
  });

  it('keeps suffixes and possessives outside the placeholder', () => {
    expect(
      red(
        "Budinya sudah datang. Pak Ahmad's idea was good. Ahmadlah yang memimpin; Fauzi-nya; Santosopun; Pak Ahmad’s note.",
      ),
    ).toBe(
      "[NAMA_1]nya sudah datang. Pak [NAMA_2]'s idea was good. [NAMA_2]lah yang memimpin; [NAMA_3]-nya; [NAMA_1]pun; Pak [NAMA_2]’s note.",
    );
  });

  it('matches names with an apostrophe with or without it', () => {
    const r = run("Pak Ma'ruf, Pak Maruf dan Pak Ma’ruf Hidayat.");
    expect(r.text).toBe('Pak [NAMA_1], Pak [NAMA_1] dan Pak [NAMA_1].');
    expect(r.map).toEqual({ '[NAMA_1]': 'Ma’ruf Hidayat' });
  });

  it('matches a name that is also a word only when capitalized or after an honorific', () => {
    expect(red('Budi datang; pak budi juga; budi pekerti luhur; akal budi; Budi pekerti; budinya baik.')).toBe(
      '[NAMA_1] datang; pak [NAMA_1] juga; budi pekerti luhur; akal budi; Budi pekerti; budinya baik.',
    );
    expect(
      red(
        'Angin bayu bertiup. Pak Bayu memimpin; putri saya sakit, Bu Putri menjenguk; Terima Kasih, Bu Kasih; Mahkamah Agung dan Mas Agung.',
      ),
    ).toBe(
      'Angin bayu bertiup. Pak [NAMA_1] memimpin; putri saya sakit, Bu [NAMA_2] menjenguk; Terima Kasih, Bu [NAMA_3]; Mahkamah Agung dan Mas [NAMA_4].',
    );
  });

  it('is one placeholder for parts of one person written side by side', () => {
    const m = nameMatcher([{ name: 'Yohana Maria Simbolon' }, { name: 'Hari Susanto' }]);
    expect(redact('Bu Yohana Simbolon dan Maria.', { names: m }).text).toBe('Bu [NAMA_1] dan [NAMA_1].');
    expect(redact('Hari ini, pada Hari Senin, Hari datang; pak hari juga; hari kerja.', { names: m }).text).toBe(
      'Hari ini, pada Hari Senin, [NAMA_1] datang; pak [NAMA_1] juga; hari kerja.',
    );
  });

  it("redacts the participant's own name, also when they are not in the roster", () => {
    const self = { name: 'Yohanes Nainggolan' };
    const r = redact('Saya, Yohanes Nainggolan, belajar dari Pak Ahmad. Nainggolan adalah marga saya.', {
      names,
      self,
    });
    expect(r.text).toBe('Saya, [NAMA_1], belajar dari Pak [NAMA_2]. [NAMA_1] adalah marga saya.');
    expect(r.counts).toEqual(counts({ name: 3 }));
    expect(redact('Yohanes hadir.', { names }).text).toBe('Yohanes hadir.');
  });

  it('gives the participant the same placeholder as their roster entry', () => {
    const r = redact('Saya Budi Santoso; Pak Santoso (bukan saya) dan Bu Dewi.', {
      names,
      self: { name: 'Budi Santoso, S.Kom.' },
    });
    expect(r.text).toBe('Saya [NAMA_1]; Pak [NAMA_1] (bukan saya) dan Bu Dewi.');
  });

  it('ignores roster entries that are ids or e-mails rather than names', () => {
    const m = nameMatcher([
      { name: 'user_1234' },
      { name: 'admin@moodle.local' },
      { name: '' },
      { name: 'Rina Marlina' },
    ]);
    expect(m.people).toBe(1);
    expect(redact('user admin Rina', { names: m }).text).toBe('user admin [NAMA_1]');
  });

  it('does not join a name across a line break', () => {
    const r = run('Budi\nSantoso');
    expect(r.text).toBe('[NAMA_1]\n[NAMA_1]');
    expect(r.map).toEqual({ '[NAMA_1]': 'Santoso' });
    expect(Object.values(r.map).some((v) => v.includes('\n'))).toBe(false);
  });
});

describe('placeholders the participant typed', () => {
  it('are kept as they are, and real ones are numbered past them', () => {
    const r = run(
      'Saya menulis [NAMA_1] dan [TELEPON_2] sebagai contoh, lalu Pak Ahmad Fauzi menelpon dari 0812-3456-7890 dan 0857-1122-3344.',
    );
    expect(r.text).toBe(
      'Saya menulis [NAMA_1] dan [TELEPON_2] sebagai contoh, lalu Pak [NAMA_2] menelpon dari [TELEPON_1] dan [TELEPON_3].',
    );
    expect(Object.keys(r.map).sort()).toEqual(['[NAMA_2]', '[TELEPON_1]', '[TELEPON_3]']);
    expect(restore(r.text, r.map)).toBe(
      'Saya menulis [NAMA_1] dan [TELEPON_2] sebagai contoh, lalu Pak Ahmad Fauzi menelpon dari 0812-3456-7890 dan 0857-1122-3344.',
    );
  });
});

describe('restore', () => {
  it('round-trips a text', () => {
    const text =
      'Pak Ahmad Fauzi (NIP 19900101 201501 1 001, ahmad.fauzi@kemenkeu.go.id, +62 812-3456-7890) membimbing I Gede Wirawan; warga NIK 3171040289010003.';
    const r = run(text);
    expect(r.text).toBe('Pak [NAMA_1] (NIP [NIP_1], [EMAIL_1], [TELEPON_1]) membimbing [NAMA_2]; warga NIK [NIK_1].');
    expect(restore(r.text, r.map)).toBe(text);
  });

  it("puts originals into the model's JSON answer, raw or parsed, and leaves unknown placeholders", () => {
    const r = run('Pak Ma\'ruf Hidayat di bagian umum (wa 0812-3456-7890) menolak "jalan pintas".');
    expect(r.text).toBe('Pak [NAMA_1] di bagian umum (wa [TELEPON_1]) menolak "jalan pintas".');
    const answer = JSON.stringify({
      lens: 'steelman',
      reply:
        'Anda menghargai sikap Pak [NAMA_1] yang menolak jalan pintas. Apa yang akan Anda lakukan jika [NAMA_9] meminta hal yang sama?',
      questions: ['Bagaimana Anda akan menghubungi [TELEPON_1] lagi?', 'Apa peran [NAMA_1]?'],
      meta: { score: 3, flagged: false, note: null },
    });
    const parsedFromRaw = JSON.parse(restore(answer, r.map)) as { reply: string; questions: string[] };
    expect(parsedFromRaw.reply).toBe(
      "Anda menghargai sikap Pak Ma'ruf Hidayat yang menolak jalan pintas. Apa yang akan Anda lakukan jika [NAMA_9] meminta hal yang sama?",
    );
    const parsed = JSON.parse(answer) as unknown;
    const deep = restoreDeep(parsed, r.map);
    expect(deep).toEqual(parsedFromRaw);
    expect(deep).toEqual({
      lens: 'steelman',
      reply:
        "Anda menghargai sikap Pak Ma'ruf Hidayat yang menolak jalan pintas. Apa yang akan Anda lakukan jika [NAMA_9] meminta hal yang sama?",
      questions: ['Bagaimana Anda akan menghubungi 0812-3456-7890 lagi?', "Apa peran Ma'ruf Hidayat?"],
      meta: { score: 3, flagged: false, note: null },
    });
    expect(parsed).toEqual(JSON.parse(answer)); // not mutated
  });

  it('only knows its own placeholder shapes and the map’s own keys', () => {
    const map = { '[NAMA_1]': 'Budi' };
    expect(restore('[NAMA_1] [nama_1] [NAMA 1] [NAMA_10] [constructor] [NAMA_1]nya', map)).toBe(
      'Budi [nama_1] [NAMA 1] [NAMA_10] [constructor] Budinya',
    );
    expect(restore('no placeholders', {})).toBe('no placeholders');
    expect(restoreDeep(['[NAMA_1]', 1, true, null, { k: ['[NAMA_1]'] }], map)).toEqual([
      'Budi',
      1,
      true,
      null,
      { k: ['Budi'] },
    ]);
  });
});

describe('a long text against a large roster', () => {
  const FIRST = [
    'Ahmad',
    'Siti',
    'Rina',
    'Dedi',
    'Agus',
    'Fitri',
    'Nurul',
    'Rizky',
    'Dimas',
    'Yusuf',
    'Indra',
    'Lina',
    'Eko',
    'Hendra',
    'Ratna',
    'Yuni',
    'Tono',
    'Arif',
    'Maya',
    'Reza',
    'Sinta',
    'Yoga',
    'Rudi',
    'Novi',
    'Hari',
  ];
  const LAST = [
    'Saputra',
    'Wijaya',
    'Hidayat',
    'Siregar',
    'Nasution',
    'Kurniawan',
    'Harahap',
    'Setiawan',
    'Rahmawati',
    'Gunawan',
    'Purnomo',
    'Susanto',
    'Wibowo',
    'Sitompul',
    'Manurung',
    'Halim',
    'Ramadhan',
    'Syahputra',
    'Utami',
    'Anggraini',
    'Maulana',
    'Firmansyah',
    'Nugroho',
    'Permana',
    'Daulay',
    'Simanjuntak',
    'Batubara',
    'Lubis',
    'Pane',
    'Tanjung',
    'Hasibuan',
    'Ginting',
    'Sembiring',
    'Tarigan',
    'Pohan',
    'Rangkuti',
    'Lumbantobing',
    'Panjaitan',
    'Sinaga',
    'Hutapea',
  ];

  it('redacts every occurrence in a 20,000-character text with a 1,000-person roster', () => {
    const roster: KnownPerson[] = [];
    for (let i = 0; i < 1000; i++) roster.push({ name: `${FIRST[i % 25]} ${LAST[Math.floor(i / 25)]}` });
    const big = nameMatcher(roster);
    expect(big.people).toBe(1000);

    const paragraphs: string[] = [];
    let text = '';
    for (let k = 0; text.length < 20_000; k++) {
      const person = roster[(k * 37) % 1000].name;
      const nik = `3171${String(100000000000 + k).slice(-12)}`;
      const p =
        `Hari ke-${k + 1}: saya mendampingi Pak ${person} melayani warga di loket. Seorang pemohon dengan NIK ${nik} ` +
        `meminta dihubungi lewat wa 0813-${String(1000 + k).padStart(4, '0')}-5678. Pelajaran nilai Harmonis dan Kolaboratif, ${2024} orang terlayani. `;
      paragraphs.push(p);
      text += p;
    }
    expect(text.length).toBeGreaterThanOrEqual(20_000);
    const n = paragraphs.length;

    const r = redact(text, { names: big });
    expect(r.counts).toEqual(counts({ name: n, nik: n, phone: n }));
    for (const { name } of roster) expect(r.text.includes(name)).toBe(false);
    expect(r.text).not.toMatch(/\d{16}/);
    expect(r.text).toContain(
      'Hari ke-1: saya mendampingi Pak [NAMA_1] melayani warga di loket. Seorang pemohon dengan NIK [NIK_1] meminta dihubungi lewat wa [TELEPON_1].',
    );
    expect(restore(r.text, r.map)).toBe(text);
  });
});
