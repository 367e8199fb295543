/**
 * The offline coach: Indonesian stemming, what it reads in a reflection (gaps, values with the
 * participant's own words), which questions it asks (most important gap first, phase-aware, never
 * twice in a session, deterministic), the English UI, a bad bank refused with the problem named,
 * and a thousand odd texts that never break it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  analyse,
  answer,
  loadQuestionBank,
  promptContext,
  QuestionBankError,
  stem,
  stemPhrase,
  tokenize,
  valueName,
  DEFAULT_BANK_FILE,
  type OfflineAnswer,
  type OfflineInput,
  type Phase,
  type QuestionBank,
} from '../../../../src/ai/offline/engine';

const bank = loadQuestionBank();
const byId = new Map(bank.questions.map((q) => [q.id, q]));
const VALUES = ['berorientasi-pelayanan', 'akuntabel', 'kompeten', 'harmonis', 'loyal', 'adaptif', 'kolaboratif'];
const PHASES: Phase[] = ['goal', 'reality', 'options', 'will'];

const input = (text: string, over: Partial<OfflineInput> = {}): OfflineInput => ({
  text,
  locale: 'id',
  template: { id: 'bebas', kind: 'sections' },
  asked: [],
  ...over,
});
const gapsOf = (a: OfflineAnswer) => a.gaps.map((g) => g.gap);

/** Realistic reflections, each missing one thing (or nothing). */
const TEXTS = {
  noAction:
    'Kemarin pagi pukul 08.00 antrean di loket pelayanan KTP sudah mencapai 40 orang. Seorang ibu lansia menunggu hampir dua jam karena berkasnya kurang satu lembar. ' +
    'Saya melayani warga dengan ramah dan menjelaskan syaratnya pelan-pelan. Saya merasa sedih melihat beliau kelelahan. ' +
    'Target kantor kami waktu tunggu di bawah 30 menit, tetapi hari itu jauh dari target. Saya belajar bahwa informasi persyaratan yang jelas sangat menentukan.',
  noEvidence:
    'Menurut saya pelayanan di unit kami masih perlu diperbaiki karena prosesnya terasa berbelit bagi warga. Saya merasa bertanggung jawab untuk ikut memperbaikinya. ' +
    'Minggu depan saya akan menyusun alur layanan yang lebih sederhana bersama atasan, dan targetnya waktu layanan lebih singkat. ' +
    'Dari sini saya menyadari bahwa perubahan kecil pun butuh kesabaran.',
  noValue:
    'Hari Senin lalu saya bertugas di meja informasi kecamatan. Ada 25 pemohon yang datang, dan sebagian besar bertanya soal syarat akta kelahiran. ' +
    'Pertanyaan yang paling sering muncul ternyata mirip. Saya cukup senang karena ternyata banyak hal sederhana yang bisa dijelaskan lewat satu lembar panduan. ' +
    'Besok saya akan membuat lembar panduan itu dan menempelkannya di papan pengumuman, lalu mencatat apakah jumlah pertanyaan berkurang dalam seminggu.',
  noStakeholder:
    'Dua minggu terakhir saya menata ulang arsip surat masuk yang menumpuk sejak Januari. Saya membuat kode sederhana untuk setiap jenis surat dan mencatatnya di lembar kerja. ' +
    'Sekarang mencari satu surat hanya butuh sekitar 3 menit, sebelumnya bisa 20 menit. Saya merasa lega dan bangga. ' +
    'Saya belajar bahwa kerapian arsip adalah bagian dari tanggung jawab. Mulai besok saya akan memindai surat yang masuk setiap sore agar arsip digital selalu lengkap.',
  everything:
    'Pada hari Kamis, 14 Maret, saya mendampingi 12 warga yang mengurus izin usaha mikro di mal pelayanan publik. ' +
    'Saya melayani mereka dengan ramah dan menjelaskan setiap syarat secara jujur, termasuk biaya yang memang gratis. ' +
    'Saya merasa senang ketika seorang pedagang bilang prosesnya lebih mudah dari dugaannya. Saya belajar bahwa penjelasan yang runtut membuat warga lebih percaya. ' +
    'Minggu depan saya akan menyusun daftar periksa bersama rekan di loket sebelah, dengan target waktu layanan turun dari 45 menit menjadi 25 menit.',
  vague:
    'Saya merasa kegiatan hari ini cukup melelahkan tetapi bermanfaat. Saya ingin ke depannya bisa lebih baik lagi dalam bekerja dan lebih semangat lagi melayani. ' +
    'Semoga saya bisa terus berkembang dan menjadi ASN yang lebih baik.',
};

describe('stemming', () => {
  test('melayani, pelayanan, dilayani and layanan share the root layan', () => {
    for (const w of ['melayani', 'pelayanan', 'dilayani', 'layanan', 'Melayaninya']) expect(stem(w)).toBe('layan');
  });

  test('bertanggung jawab, bertanggungjawab and pertanggungjawaban give tanggung jawab', () => {
    expect(stemPhrase('bertanggung jawab')).toEqual(['tanggung', 'jawab']);
    expect(stemPhrase('bertanggungjawab')).toEqual(['tanggung', 'jawab']);
    expect(stemPhrase('pertanggungjawaban')).toEqual(['tanggung', 'jawab']);
    expect(stemPhrase('dipertanggungjawabkan')).toEqual(['tanggung', 'jawab']);
  });

  test('kerjasama, bekerja sama and bekerjasama give kerja sama', () => {
    expect(stemPhrase('kerjasama')).toEqual(['kerja', 'sama']);
    expect(stemPhrase('bekerja sama')).toEqual(['kerja', 'sama']);
    expect(stemPhrase('bekerjasama')).toEqual(['kerja', 'sama']);
    expect(stemPhrase('kerja-sama')).toEqual(['kerja', 'sama']);
  });

  test('prefixes, suffixes and their sound changes are undone', () => {
    const cases: Record<string, string> = {
      meningkatkan: 'tingkat',
      peningkatan: 'tingkat',
      menyusun: 'susun',
      memperbaiki: 'baik',
      perbaikan: 'baik',
      pengaduan: 'adu',
      menanggapi: 'tanggap',
      tanggapan: 'tanggap',
      kesetiaan: 'setia',
      mempelajari: 'ajar',
      pembelajaran: 'ajar',
      belajar: 'ajar',
      menyelesaikan: 'selesai',
      keterlambatan: 'lambat',
      menuliskan: 'tulis',
      memakai: 'pakai',
      mengirimkan: 'kirim',
      menghubungi: 'hubung',
      bersinergi: 'sinergi',
      penyesuaian: 'sesuai',
      kepuasan: 'puas',
      pemohon: 'mohon',
      pekerjaan: 'kerja',
      perubahan: 'ubah',
      menyosialisasikan: 'sosialisasi',
      berkoordinasi: 'koordinasi',
      kelelahan: 'lelah',
      pegawainya: 'pegawai',
      bukukanlah: 'buku',
      mengantisipasi: 'antisipasi',
      memverifikasi: 'verifikasi',
      tantangan: 'tantang',
      menindaklanjuti: 'tindak lanjut',
    };
    for (const [word, root] of Object.entries(cases)) expect(`${word} → ${stem(word)}`).toBe(`${word} → ${root}`);
  });

  test('roots, nouns that only look derived, and stopwords are left alone', () => {
    for (const w of [
      'atasan',
      'pimpinan',
      'masukan',
      'pemerintah',
      'rekan',
      'masyarakat',
      'disiplin',
      'pekan',
      'akan',
      'bukan',
      'dengan',
      'setuju',
    ]) {
      expect(stem(w)).toBe(w);
    }
  });

  test('tokenize: lowercase, punctuation gone, numbers kept as a feature, stopwords marked, reduplication merged', () => {
    const tokens = tokenize('Saya melayani 25 warga, hari Senin (12/3) pukul 08.00: target 80%! Rekan-rekan membantu.');
    expect(tokens.map((t) => t.stem)).toEqual([
      'saya',
      'layan',
      '25',
      'warga',
      'hari',
      'senin',
      '12/3',
      'pukul',
      '08.00',
      'target',
      '80%',
      'rekan',
      'bantu',
    ]);
    expect(tokens.filter((t) => t.number).map((t) => t.text)).toEqual(['25', '12/3', '08.00', '80%']);
    expect(tokens.find((t) => t.text === '80%')?.percent).toBe(true);
    expect(tokens.find((t) => t.text === 'Saya')?.stop).toBe(true);
    expect(tokens.find((t) => t.stem === 'rekan')?.text).toBe('Rekan-rekan');
    expect(new Set(tokens.map((t) => t.sentence))).toEqual(new Set([0, 1]));
  });
});

describe('what the engine reads', () => {
  test('a reflection with no concrete action: only the action gap, and the first question asks for one', () => {
    const a = answer(input(TEXTS.noAction), bank);
    expect(a.gaps).toEqual([{ gap: 'action', detail: 'none' }]);
    expect(a.questions[0].gap).toBe('action');
    expect(a.questions).toHaveLength(2);
    expect(a.questions[1].gap).toBe('general');
  });

  test('a reflection with no evidence', () => {
    const a = answer(input(TEXTS.noEvidence), bank);
    expect(a.gaps).toEqual([{ gap: 'evidence' }]);
    expect(a.questions[0].gap).toBe('evidence');
  });

  test('a reflection that names no value', () => {
    const a = answer(input(TEXTS.noValue), bank);
    expect(a.gaps).toEqual([{ gap: 'value' }]);
    expect(a.valuesSeen).toEqual([]);
    expect(a.questions[0].gap).toBe('value');
  });

  test('a reflection with no stakeholder', () => {
    const a = answer(input(TEXTS.noStakeholder), bank);
    expect(a.gaps).toEqual([{ gap: 'stakeholder' }]);
    expect(a.questions[0].gap).toBe('stakeholder');
    // "belajar" and "digital" are in every reflection; they no longer count as a value shown.
    expect(a.valuesSeen.map((v) => v.value)).toEqual(['akuntabel']);
  });

  test('a reflection with everything: no gaps, two general questions to go deeper', () => {
    const a = answer(input(TEXTS.everything), bank);
    expect(a.gaps).toEqual([]);
    expect(a.questions).toHaveLength(2);
    expect(a.questions.every((q) => q.gap === 'general')).toBe(true);
  });

  test('good intentions with no concrete step are a vague action; three gaps get three questions, in order', () => {
    const a = answer(input(TEXTS.vague), bank);
    expect(a.gaps).toEqual([
      { gap: 'action', detail: 'vague' },
      { gap: 'evidence' },
      { gap: 'stakeholder' },
      { gap: 'measure' },
      { gap: 'learning' },
    ]);
    expect(a.questions.map((q) => q.gap)).toEqual(['action', 'evidence', 'stakeholder']);
  });

  test('the analysis exposes the features it decided on', () => {
    const a = analyse(TEXTS.noStakeholder, bank);
    expect(a.has).toEqual({
      action: true,
      intent: true,
      evidence: true,
      stakeholder: false,
      measure: true,
      feeling: true,
      learning: true,
      value: true,
    });
    expect(a.numbers).toEqual(['3', '20']);
    expect(a.cues.measure).toEqual(['3 menit', '20 menit']);
    expect(a.words).toBeGreaterThan(60);
    expect(a.stems).toContain('arsip');
    expect(a.stems).not.toContain('saya');
  });

  test('a very short text gets one gentle question inviting a concrete story', () => {
    const a = answer(input('Hari ini lancar saja.'), bank);
    expect(a.gaps).toEqual([{ gap: 'story', detail: '4 words' }]);
    expect(a.questions).toHaveLength(1);
    expect(a.questions[0].gap).toBe('story');
    expect(answer(input(''), bank).questions).toHaveLength(1);
  });

  test('a prompt about one value: that value missing comes first, asked about by name', () => {
    const a = answer(
      input(TEXTS.noAction, { template: { id: 'berakhlak', kind: 'sections' }, value: 'akuntabel' }),
      bank,
    );
    expect(a.gaps[0]).toEqual({ gap: 'value', detail: 'akuntabel' });
    expect(gapsOf(a)).toEqual(['value', 'action']);
    expect(byId.get(a.questions[0].id)?.value).toBe('akuntabel');
    const seen = answer(input(TEXTS.noAction, { value: 'berorientasi-pelayanan' }), bank);
    expect(gapsOf(seen)).toEqual(['action']);
  });
});

describe('denials', () => {
  test('a denied value is not quoted back as evidence of it', () => {
    const a = analyse(
      'Saya kurang ramah kepada warga hari ini karena lelah, dan saya tidak jujur soal alasannya.',
      bank,
    );
    expect(a.values).toEqual([]);
    expect(analyse('Saya tidak hanya ramah tetapi juga cepat.', bank).values.map((v) => v.value)).toEqual([
      'berorientasi-pelayanan',
    ]);
  });

  test('"belum ada target", "tanpa data": the measure and the evidence are still missing', () => {
    const text =
      'Kami belum punya target yang jelas dan tanpa data saya hanya menduga bahwa antrean di loket terlalu panjang bagi warga. Minggu depan saya akan menyusun formulir sederhana bersama atasan karena saya merasa perlu belajar dari pengalaman mereka.';
    const a = answer(input(text), bank);
    // …and, with only a plan told, no value shows yet.
    expect(gapsOf(a)).toEqual(['evidence', 'value', 'measure']);
  });
});

describe('values and their evidence', () => {
  test('"melayani warga dengan ramah" shows Berorientasi Pelayanan, quoted from the text', () => {
    const text =
      'Hari ini saya melayani warga dengan ramah walaupun antrean panjang dan banyak yang mengeluh soal sistem antrean.';
    const a = answer(input(text), bank);
    expect(a.valuesSeen[0]).toEqual({ value: 'berorientasi-pelayanan', evidence: 'melayani warga dengan ramah' });
    expect(valueName(bank, 'berorientasi-pelayanan', 'id')).toBe('Berorientasi Pelayanan');
  });

  test("every evidence is the participant's own words, exactly as written", () => {
    for (const text of Object.values(TEXTS)) {
      for (const v of answer(input(text), bank).valuesSeen) {
        expect(text).toContain(v.evidence);
        expect(VALUES).toContain(v.value);
      }
    }
    const a = analyse(TEXTS.everything, bank);
    expect(a.values.map((v) => [v.value, v.evidence])).toEqual([
      ['berorientasi-pelayanan', 'melayani mereka dengan ramah'],
      ['akuntabel', 'setiap syarat secara jujur'],
      // "Saya belajar bahwa…" is a lesson, not competence shown (the bank no longer counts "belajar"),
      // and "minggu depan saya akan menyusun… bersama rekan" a plan: no collaboration shown yet.
    ]);
  });

  test('each value is recognised from its own words', () => {
    const samples: Record<string, string> = {
      'berorientasi-pelayanan': 'Saya berusaha menyapa setiap pemohon dengan senyum.',
      akuntabel: 'Saya menyusun laporan penggunaan anggaran secara transparan.',
      kompeten: 'Saya mengikuti pelatihan untuk meningkatkan keterampilan menulis surat dinas.',
      harmonis: 'Walaupun ada perbedaan pendapat, kami saling menghargai.',
      loyal: 'Saya menjaga rahasia data pemohon dan nama baik instansi.',
      adaptif: 'Saya cepat beradaptasi dengan aplikasi baru di kantor.',
      kolaboratif: 'Kami berkoordinasi dan bekerja sama dengan unit lain.',
    };
    for (const [value, text] of Object.entries(samples)) {
      expect(analyse(text, bank).values.map((v) => v.value)).toContain(value);
    }
  });
});

describe('phases', () => {
  test('the same text in the goal and the will phase gets different questions, each from its phase', () => {
    const goal = answer(input(TEXTS.vague, { template: { id: 'aktualisasi', kind: 'sections' }, phase: 'goal' }), bank);
    const will = answer(input(TEXTS.vague, { template: { id: 'aktualisasi', kind: 'sections' }, phase: 'will' }), bank);
    expect(gapsOf(goal)[0]).toBe('measure');
    expect(gapsOf(will)[0]).toBe('action');
    const ids = (a: OfflineAnswer) => a.questions.map((q) => q.id);
    expect(ids(goal).filter((id) => ids(will).includes(id))).toEqual([]);
    for (const [a, phase] of [
      [goal, 'goal'],
      [will, 'will'],
    ] as const) {
      expect(a.questions.every((q) => !byId.get(q.id)?.phases || byId.get(q.id)?.phases?.includes(phase))).toBe(true);
      expect(a.questions.some((q) => byId.get(q.id)?.phases?.includes(phase))).toBe(true);
    }
  });

  test('outside GROW no phase-bound question is asked', () => {
    for (const text of Object.values(TEXTS)) {
      for (const q of answer(input(text), bank).questions) expect(byId.get(q.id)?.phases).toBeUndefined();
    }
  });

  test('a prompt id gives its phase or value', () => {
    expect(promptContext('rancangan-will', bank)).toEqual({ phase: 'will' });
    expect(promptContext('laporan-reality', bank)).toEqual({ phase: 'reality' });
    expect(promptContext('akuntabel-2', bank)).toEqual({ value: 'akuntabel' });
    expect(promptContext('berorientasi-pelayanan-1', bank)).toEqual({ value: 'berorientasi-pelayanan' });
    expect(promptContext('refleksi', bank)).toEqual({});
  });
});

describe('a session', () => {
  test('six turns feeding `asked` never repeat a question', () => {
    const asked: string[] = [];
    for (let turn = 0; turn < 6; turn++) {
      const a = answer(input(TEXTS.vague, { asked: [...asked] }), bank);
      expect(a.questions.length).toBeGreaterThanOrEqual(1);
      expect(a.questions.length).toBeLessThanOrEqual(3);
      for (const q of a.questions) expect(asked).not.toContain(q.id);
      asked.push(...a.questions.map((q) => q.id));
    }
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked).toHaveLength(18);
  });

  test('when every question of a gap was asked, it moves on to the next gap', () => {
    const allAction = bank.questions.filter((q) => q.gap === 'action').map((q) => q.id);
    const a = answer(input(TEXTS.vague, { asked: allAction }), bank);
    expect(a.gaps[0].gap).toBe('action');
    expect(a.questions.map((q) => q.gap)).toEqual(['evidence', 'stakeholder', 'measure']);
  });

  test('when every gap question was asked, general questions not yet asked follow', () => {
    const gapQuestions = bank.questions.filter((q) => q.gap !== 'general').map((q) => q.id);
    const a = answer(input(TEXTS.noAction, { asked: gapQuestions }), bank);
    expect(a.questions).toHaveLength(2);
    expect(a.questions.every((q) => q.gap === 'general' && !gapQuestions.includes(q.id))).toBe(true);
  });

  test('when the whole bank was asked, it still answers, reusing the oldest fitting question', () => {
    const all = bank.questions.map((q) => q.id);
    const a = answer(input(TEXTS.noAction, { asked: all }), bank);
    expect(a.questions).toHaveLength(1);
    expect(a.questions[0].id).toBe(
      all.find(
        (id) =>
          ['general', 'action'].includes(byId.get(id)?.gap ?? '') && !byId.get(id)?.phases && !byId.get(id)?.templates,
      ),
    );
  });

  test('deterministic: the same input gives the same answer, with a freshly loaded bank too', () => {
    for (const text of Object.values(TEXTS)) {
      const one = answer(input(text, { phase: 'reality', asked: ['evidence-1'] }), bank);
      expect(answer(input(text, { phase: 'reality', asked: ['evidence-1'] }), bank)).toEqual(one);
      expect(answer(input(text, { phase: 'reality', asked: ['evidence-1'] }), loadQuestionBank())).toEqual(one);
    }
  });
});

describe('what the page shows', () => {
  test('the answer says which engine answered, the bank version, and that it is not an AI', () => {
    const a = answer(input(TEXTS.vague), bank);
    expect(Object.keys(a).sort()).toEqual(['bankVersion', 'engine', 'gaps', 'note', 'questions', 'valuesSeen']);
    expect(a.engine).toBe('offline');
    expect(a.bankVersion).toBe(bank.version);
    expect(a.note).toMatch(/bukan dari AI/);
  });

  test('the English UI gets the English questions and note', () => {
    const id = answer(input(TEXTS.vague), bank);
    const en = answer(input(TEXTS.vague, { locale: 'en' }), bank);
    expect(en.questions.map((q) => q.id)).toEqual(id.questions.map((q) => q.id));
    for (const q of en.questions) expect(q.text).toBe(byId.get(q.id)?.text.en);
    expect(en.note).toBe(bank.note.en);
    expect(en.note).toMatch(/not from an AI/);
  });
});

describe('the bank', () => {
  test('enough questions: at least eight per gap, GROW variants, one or two per value', () => {
    for (const gap of ['action', 'evidence', 'value', 'stakeholder', 'measure', 'feeling', 'learning', 'general']) {
      expect(
        bank.questions.filter((q) => q.gap === gap && !q.phases && !q.value && !q.templates).length,
      ).toBeGreaterThanOrEqual(8);
    }
    for (const phase of PHASES) {
      for (const gap of ['action', 'evidence', 'value', 'stakeholder', 'measure', 'general', 'story']) {
        expect(`${phase}/${gap}: ${bank.questions.some((q) => q.gap === gap && q.phases?.includes(phase))}`).toBe(
          `${phase}/${gap}: true`,
        );
      }
    }
    expect(bank.values.map((v) => v.id)).toEqual(VALUES);
    for (const v of VALUES) {
      const n = bank.questions.filter((q) => q.value === v).length;
      expect(n >= 1 && n <= 2).toBe(true);
    }
  });

  test('questions ask, briefly, in both languages, and never speak of AI or scores', () => {
    for (const q of bank.questions) {
      for (const text of [q.text.id, q.text.en]) {
        expect(text).toMatch(/\?/);
        expect(text.length).toBeLessThan(220);
        expect(text).not.toMatch(/\bAI\b|skor|score|grade|nilai akhir/i);
      }
    }
  });

  test('the real file is the default', () => {
    expect(DEFAULT_BANK_FILE).toMatch(/config[/\\]offline[/\\]question-bank\.json$/);
  });
});

describe('a broken bank fails loading with the problem named', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-bank-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };
  const problemsOf = (file: string): string => {
    try {
      loadQuestionBank(file);
    } catch (err) {
      expect(err).toBeInstanceOf(QuestionBankError);
      return (err as Error).message;
    }
    throw new Error('the bank loaded');
  };

  test('invalid JSON, with line and column', () => {
    const file = write('bad-json.json', '{\n  "version": 1,\n  "note": \n}');
    const message = problemsOf(file);
    expect(message).toContain(file);
    expect(message).toMatch(/invalid JSON/);
  });

  test('a missing file', () => {
    expect(problemsOf(path.join(dir, 'nope.json'))).toMatch(/cannot read the file/);
  });

  test('an unknown gap, a duplicate id, an unknown value, a missing note: all named at once', () => {
    const doc = JSON.parse(fs.readFileSync(DEFAULT_BANK_FILE, 'utf8')) as QuestionBank & Record<string, unknown>;
    delete (doc as Record<string, unknown>).note;
    doc.questions[0] = { ...doc.questions[0], gap: 'feelings' as never };
    doc.questions[2] = { ...doc.questions[2], id: doc.questions[1].id };
    doc.questions.push({ id: 'value-x', gap: 'value', value: 'sabar', text: { id: 'Apa?', en: 'What?' } });
    doc.priorities.will = ['action', 'action', 'measure', 'value', 'evidence', 'feeling', 'learning'];
    const message = problemsOf(write('bad.json', JSON.stringify(doc)));
    expect(message).toMatch(/\$\.note: missing/);
    expect(message).toMatch(/\$\.questions\[0\]\.gap: must be one of "action"/);
    expect(message).toMatch(/\$\.questions\[2\]\.id: duplicate question id "action-2"/);
    expect(message).toMatch(/\$\.questions\[\d+\]\.value: "sabar" is not one of the values/);
    expect(message).toMatch(/\$\.priorities\.will: items 0 and 1 are the same/);
  });

  test("an act's verb that is not one word, and an act with no verbs", () => {
    const doc = JSON.parse(fs.readFileSync(DEFAULT_BANK_FILE, 'utf8')) as QuestionBank;
    doc.values[0].acts = [{ verbs: ['saya jelaskan'] }, { verbs: [] }];
    const message = problemsOf(write('bad-acts.json', JSON.stringify(doc)));
    expect(message).toMatch(/\$\.values\[0\]\.acts\[0\]\.verbs\[0\]: "saya jelaskan" must be one word/);
    expect(message).toMatch(/\$\.values\[0\]\.acts\[1\]\.verbs/);
  });

  test('a gap that cannot always be asked about', () => {
    const doc = JSON.parse(fs.readFileSync(DEFAULT_BANK_FILE, 'utf8')) as QuestionBank;
    doc.questions = doc.questions.filter((q) => q.gap !== 'measure' || q.phases);
    expect(problemsOf(write('no-measure.json', JSON.stringify(doc)))).toMatch(
      /no question for gap "measure" without phases, value or templates/,
    );
  });
});

describe('robustness', () => {
  /** A small seeded generator, so a failure can be replayed. */
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  test('a thousand varied texts: never throws, always one to three fresh questions', () => {
    const random = rng(20240314);
    const pickOne = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const sentences = Object.values(TEXTS).flatMap((t) => t.split(/(?<=\.)\s+/));
    const odd = [
      '',
      '   ',
      '!!!',
      '—',
      '- - -',
      'a-',
      '-b',
      "''",
      '😊🙏',
      'ñandú',
      'مرحبا',
      '你好世界',
      'meng'.repeat(50),
      'memper'.repeat(12) + 'kan',
      'kerjasama-kerjasama',
      '12/3/2024',
      '80 %',
      '1.000.000',
      'ke-3',
      "Jum'at",
      '\t\n\r',
      'dari 40 menjadi 10',
      'AKAN AKAN AKAN',
      'di-',
      'ber',
      'pe',
      'me',
      'nya',
      'lah',
      'x'.repeat(300),
      '#',
      '= =',
      'target.saya',
      'I will meet the citizens tomorrow and felt proud.',
    ];
    const words = [
      'warga',
      'akan',
      'saya',
      'melayani',
      'data',
      'target',
      'merasa',
      'belajar',
      'atasan',
      'besok',
      'menyusun',
      '25',
      'persen',
      'bersama',
      'jujur',
    ];
    const ids = bank.questions.map((q) => q.id);
    for (let i = 0; i < 1000; i++) {
      const parts: string[] = [];
      const n = Math.floor(random() * 12);
      for (let k = 0; k < n; k++) {
        const r = random();
        parts.push(
          r < 0.45
            ? pickOne(sentences)
            : r < 0.7
              ? pickOne(odd)
              : Array.from({ length: 1 + Math.floor(random() * 20) }, () => pickOne(words)).join(' '),
        );
      }
      const text = parts.join(pickOne([' ', '\n', '. ', ', ', '']));
      const asked = ids.filter(() => random() < 0.3);
      const inp = {
        text,
        locale: pickOne(['id', 'en'] as const),
        template: {
          id: pickOne(['berakhlak', 'aktualisasi', 'habituasi', 'bebas', 'lain']),
          kind: pickOne(['sections', 'journal'] as const),
        },
        phase: pickOne([undefined, ...PHASES, 'bogus' as Phase]),
        value: pickOne([undefined, ...VALUES, 'tidak-ada']),
        asked,
      };
      let a: OfflineAnswer | undefined;
      expect(() => {
        a = answer(inp, bank);
      }).not.toThrow();
      if (!a) throw new Error(`no answer for text #${i}`);
      expect(a.engine).toBe('offline');
      expect(a.questions.length).toBeGreaterThanOrEqual(1);
      expect(a.questions.length).toBeLessThanOrEqual(3);
      expect(new Set(a.questions.map((q) => q.id)).size).toBe(a.questions.length);
      for (const q of a.questions) {
        expect(asked).not.toContain(q.id);
        expect(q.text.length).toBeGreaterThan(0);
      }
      for (const v of a.valuesSeen) expect(text).toContain(v.evidence);
    }
  });
});
