/**
 * The recommender's pure core (src/recommend): analyzers, BM25, fusion, the catalog's validation,
 * the adaptive rerank, the explanations, the metrics, and the evaluation on the labelled set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadQuestionBank } from '../../../src/ai/offline/bank';
import { BERAKHLAK_VALUES } from '../../../src/domain/vocabulary';
import { plainAnalyzer, stemmedAnalyzer } from '../../../src/recommend/analyzer';
import { Bm25Index, TopK } from '../../../src/recommend/bm25';
import { loadSampleCatalog, parseCatalogFile, validateCatalog, type CatalogItem } from '../../../src/recommend/catalog';
import {
  evaluateRanker,
  labelledSetProblems,
  ndcgAt,
  dcgAt,
  reciprocalRank,
  recommendRanker,
  type ReflectionCase,
} from '../../../src/recommend/eval';
import { explain, formatSize, quoteList } from '../../../src/recommend/explain';
import { buildCatalogIndex, reciprocalRankFusion, recommend, type Recommendation } from '../../../src/recommend/rank';
import {
  buildVectorIndex,
  embeddingCacheKey,
  HashingEmbedder,
  MemoryEmbeddingCache,
  VectorIndex,
} from '../../../src/recommend/vectors';
import { projectRoot } from '../../../src/core/paths';

const ROOT = projectRoot;

/** A valid catalog item; tests override what they are about. */
function item(id: string, over: Partial<CatalogItem> = {}): CatalogItem {
  return {
    id,
    title: `Materi ${id}`,
    description: 'Bahan belajar untuk peserta.',
    url: `https://example.org/${id}`,
    type: 'article',
    language: 'id',
    sizeKb: 100,
    values: ['kompeten'],
    competencies: [],
    tags: [],
    level: 'dasar',
    ...over,
  };
}

const ids = (rs: Recommendation[]) => rs.map((r) => r.id);

describe('analyzers', () => {
  it('stemmed: melayani, pelayanan and dilayani share one term; plain: three terms', () => {
    const text = 'melayani pelayanan dilayani';
    expect(new Set(stemmedAnalyzer.terms(text))).toEqual(new Set(['layan']));
    expect(plainAnalyzer.terms(text)).toEqual(['melayani', 'pelayanan', 'dilayani']);
  });

  it('stemmed drops stopwords and numbers, plain keeps the stopwords', () => {
    expect(stemmedAnalyzer.terms('Saya mempertanggungjawabkan anggaran 2024 dengan tertib')).toEqual([
      'tanggung',
      'jawab',
      'anggaran',
      'tertib',
    ]);
    expect(plainAnalyzer.terms('Saya mempertanggungjawabkan anggaran 2024 dengan tertib')).toEqual([
      'saya',
      'mempertanggungjawabkan',
      'anggaran',
      'dengan',
      'tertib',
    ]);
  });

  it('terms() (memoized per chunk) gives exactly the terms of tokens() on the sample catalog', () => {
    const texts = loadSampleCatalog().items.flatMap((i) => [
      i.title,
      i.description,
      i.tags.join(', '),
      i.competencies.join(', '),
      i.values.join(' '),
    ]);
    texts.push('Rekan-rekan bekerjasama, 80 % warga puas; sebaik-baiknya "SOP" (baru).');
    for (const analyzer of [plainAnalyzer, stemmedAnalyzer]) {
      for (const text of texts) expect(analyzer.terms(text)).toEqual(analyzer.tokens(text).map((t) => t.term));
    }
  });

  it('tokens keep the written form and its offsets', () => {
    const text = 'Warga mengeluhkan antrean.';
    const t = stemmedAnalyzer.tokens(text).find((x) => x.term === 'keluh');
    expect(t && text.slice(t.start, t.end)).toBe('mengeluhkan');
  });
});

describe('BM25', () => {
  const build = (docs: Array<[string, Record<string, string>]>, weights?: Record<string, number>) =>
    Bm25Index.build(
      docs.map(([id, fields]) => ({ id, fields })),
      { analyzer: plainAnalyzer, ...(weights ? { fieldWeights: weights } : {}) },
    );

  it('scores one term as hand-computed (k1 1.2, b 0.75, Lucene IDF)', () => {
    const index = build(
      [
        ['d0', { description: 'apel jeruk' }],
        ['d1', { description: 'mangga' }],
      ],
      { description: 1 },
    );
    // N 2, df 1: idf ln(1 + 1.5/1.5) = ln 2; dl 2, avgdl 1.5: norm 1.2 × (0.25 + 0.75 × 2/1.5) = 1.5; tf 1.
    const [hit] = index.search('apel', { limit: 5 });
    expect(hit.id).toBe('d0');
    expect(hit.score).toBeCloseTo((Math.LN2 * 2.2) / 2.5, 5);
    expect(index.search('durian', { limit: 5 })).toEqual([]);
  });

  it('field weights matter: the word in the title beats the same word in the description', () => {
    const docs: Array<[string, Record<string, string>]> = [
      ['in-description', { title: 'etika pegawai', description: 'gratifikasi dan hadiah' }],
      ['in-title', { title: 'gratifikasi pegawai', description: 'etika dan hadiah' }],
    ];
    expect(
      build(docs)
        .search('gratifikasi', { limit: 2 })
        .map((h) => h.id),
    ).toEqual(['in-title', 'in-description']);
    const flat = build(docs, { title: 1, description: 1 }).search('gratifikasi', { limit: 2 });
    expect(flat[0].score).toBeCloseTo(flat[1].score, 10); // same weighted tf and length: a tie, catalog order
    expect(flat.map((h) => h.id)).toEqual(['in-description', 'in-title']);
  });

  it('IDF matters: the rare term outweighs the common one', () => {
    const index = build([
      ['anggaran-1', { description: 'anggaran kantor' }],
      ['anggaran-2', { description: 'anggaran kegiatan' }],
      ['anggaran-3', { description: 'anggaran rapat' }],
      ['arsip', { description: 'arsip kantor' }],
    ]);
    expect(index.search('anggaran arsip', { limit: 1 })[0].id).toBe('arsip');
    expect(index.idf('arsip')).toBeGreaterThan(index.idf('anggaran'));
  });

  it('honours limit and filter, and a query leaves nothing behind for the next', () => {
    const index = build([
      ['a', { description: 'data layanan' }],
      ['b', { description: 'data' }],
      ['c', { description: 'layanan' }],
    ]);
    const first = index.search('data', { limit: 5 });
    expect(first.map((h) => h.id)).toEqual(['b', 'a']);
    expect(index.search('data', { limit: 1 }).map((h) => h.id)).toEqual(['b']);
    expect(index.search('data', { limit: 5, filter: (d) => index.ids[d] !== 'b' }).map((h) => h.id)).toEqual(['a']);
    expect(index.search('data', { limit: 5 })).toEqual(first);
    expect(index.search('layanan', { limit: 5 }).map((h) => h.id)).toEqual(['c', 'a']);
  });

  it('weights query terms', () => {
    const index = build([
      ['a', { description: 'data' }],
      ['b', { description: 'arsip' }],
    ]);
    expect(
      index.search(
        new Map([
          ['data', 1],
          ['arsip', 3],
        ]),
        { limit: 2 },
      )[0].id,
    ).toBe('b');
    expect(
      index.search(
        new Map([
          ['data', 3],
          ['arsip', 1],
        ]),
        { limit: 2 },
      )[0].id,
    ).toBe('a');
  });

  it('TopK keeps the best k, ties to the lower doc', () => {
    const top = new TopK(3);
    [
      [1, 0],
      [5, 1],
      [3, 2],
      [5, 3],
      [0.5, 4],
      [4, 5],
    ].forEach(([s, d]) => top.push(s, d));
    expect(top.sorted()).toEqual([
      { doc: 1, score: 5 },
      { doc: 3, score: 5 },
      { doc: 5, score: 4 },
    ]);
  });
});

describe('reciprocal rank fusion', () => {
  it('adds 1/(k + rank) over the lists', () => {
    const fused = reciprocalRankFusion(
      [
        ['a', 'b', 'c'],
        ['b', 'c', 'd'],
      ],
      60,
    );
    expect(fused.map((f) => f.id)).toEqual(['b', 'c', 'a', 'd']);
    const score = Object.fromEntries(fused.map((f) => [f.id, f.score]));
    expect(score.b).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(score.c).toBeCloseTo(1 / 63 + 1 / 62, 12);
    expect(score.a).toBeCloseTo(1 / 61, 12);
    expect(score.d).toBeCloseTo(1 / 63, 12);
  });
});

describe('catalog validation', () => {
  it('reports each bad item with its index, id and reason', () => {
    const result = validateCatalog([
      item('baik'),
      { ...item('tanpa-judul'), title: undefined },
      { ...item('Bukan Slug') },
      { ...item('jenis-aneh'), type: 'podcast' },
      { ...item('nilai-aneh'), values: ['jujur'] },
      { ...item('kunci-asing'), author: 'x' },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byIndex = (i: number) => result.problems.filter((p) => p.index === i).map((p) => p.message);
    expect(byIndex(0)).toEqual([]);
    expect(byIndex(1)).toEqual(['$[1].title: missing']);
    expect(byIndex(2)[0]).toMatch(/^\$\[2\]\.id: must be a slug/);
    expect(byIndex(3)[0]).toMatch(/^\$\[3\]\.type: must be one of "video", "pdf"/);
    expect(byIndex(4)[0]).toMatch(/^\$\[4\]\.values\[0\]: must be one of/);
    expect(byIndex(5)).toEqual(['$[5].author: unknown key']);
    expect(result.problems.find((p) => p.index === 3)?.id).toBe('jenis-aneh');
  });

  it('refuses a javascript: URL and a relative one', () => {
    const result = validateCatalog([
      item('a', { url: 'javascript:alert(1)' }),
      item('b', { url: '/mod/resource/view.php?id=3' }),
      item('c', { url: 'http://lms.example.go.id/x' }),
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { index: 0, id: 'a', message: '$[0].url: must be an absolute http(s) URL' },
      { index: 1, id: 'b', message: '$[1].url: must be an absolute http(s) URL' },
    ]);
  });

  it('refuses duplicate ids, naming the first', () => {
    const result = validateCatalog([item('sama'), item('lain'), item('sama')]);
    expect(result).toEqual({
      ok: false,
      problems: [{ index: 2, id: 'sama', message: '$[2].id: duplicate id "sama" (first at $[0])' }],
    });
  });

  it('refuses what is not a list, and a file without the wrapper', () => {
    expect(validateCatalog({ items: [] }).ok).toBe(false);
    expect(() => parseCatalogFile('[]', 'x.json')).toThrow(/"sample": boolean/);
    expect(() => parseCatalogFile('{"sample": true, "note": "n", "items": [{"id": "x"}]}', 'x.json')).toThrow(
      /\$\[0\]\.title: missing/,
    );
  });

  it('the sample catalog is valid, marked as a sample, and covers the ground', () => {
    const catalog = loadSampleCatalog();
    expect(catalog.sample).toBe(true);
    expect(catalog.note).toMatch(/SAMPLE/);
    const items = catalog.items;
    expect(items.length).toBeGreaterThanOrEqual(55);
    for (const v of BERAKHLAK_VALUES)
      expect(items.filter((i) => i.values.includes(v)).length).toBeGreaterThanOrEqual(3);
    for (const t of ['video', 'pdf', 'article', 'module', 'case-study'] as const)
      expect(items.some((i) => i.type === t)).toBe(true);
    for (const p of ['goal', 'reality', 'options', 'will'] as const)
      expect(items.some((i) => i.phases?.includes(p))).toBe(true);
    expect(items.some((i) => i.language === 'en')).toBe(true);
    for (const i of items) expect(new URL(i.url).hostname).toMatch(/(^|\.)example\.(org|go\.id)$/);
    for (const i of items.filter((x) => x.type === 'video')) expect(i.sizeKb).toBeGreaterThanOrEqual(20 * 1024);
  });
});

describe('recommend: the adaptive rerank', () => {
  const catalog = [
    item('keluhan-video', {
      title: 'Menangani keluhan warga',
      type: 'video',
      sizeKb: 150 * 1024,
      values: ['berorientasi-pelayanan'],
      tags: ['keluhan', 'warga'],
    }),
    item('keluhan-artikel', {
      title: 'Menangani keluhan warga',
      type: 'article',
      sizeKb: 120,
      values: ['berorientasi-pelayanan'],
      tags: ['keluhan', 'warga'],
    }),
    item('antrean', {
      title: 'Antrean di loket',
      description: 'Warga menunggu lama di loket.',
      values: ['berorientasi-pelayanan'],
      tags: ['antrean'],
    }),
    item('anggaran', { title: 'Akuntabilitas anggaran', values: ['akuntabel'], tags: ['anggaran', 'laporan'] }),
    item('etika', { title: 'Kode etik pegawai', type: 'pdf', values: ['loyal'], tags: ['etika'] }),
    item('keluhan-en', {
      title: 'Handling complaints',
      description: 'Keluhan warga (English).',
      language: 'en',
      values: ['berorientasi-pelayanan'],
      tags: ['keluhan'],
    }),
  ];
  const index = buildCatalogIndex(catalog);
  const reflection = 'Hari ini seorang warga mengeluhkan pelayanan kami. Keluhan itu saya tanggapi dengan sabar.';

  it("ranks what the reflection is about first and says why in the participant's words", () => {
    const rs = recommend({ index, reflection });
    expect(rs[0].id).toBe('keluhan-video');
    // The participant's words as written ("mengeluhkan", "Keluhan"), never the root "keluh".
    expect(rs[0].signals.matchedWords.join(' | ')).toMatch(/mengeluhkan/);
    expect(rs[0].signals.matchedWords).toContain('Keluhan');
    expect(rs[0].signals.matchedWords.some((w) => /\bkeluh\b/i.test(w))).toBe(false);
    expect(rs[0].reasons[0]).toMatch(/^Refleksi Anda menyebut "/);
    expect(rs.every((r) => r.signals.matchedWords.length <= 3)).toBe(true);
  });

  it('removes hidden, done and not-helpful items; keeps a helpful one lower', () => {
    const all = ids(recommend({ index, reflection, limit: 10 }));
    const rs = recommend({
      index,
      reflection,
      limit: 10,
      curation: new Map([['keluhan-video', 'hidden']]),
      feedback: new Map([
        ['antrean', 'done'],
        ['keluhan-en', 'notHelpful'],
        ['keluhan-artikel', 'helpful'],
      ]),
    });
    expect(ids(rs)).not.toEqual(expect.arrayContaining(['keluhan-video']));
    for (const gone of ['keluhan-video', 'antrean', 'keluhan-en']) expect(ids(rs)).not.toContain(gone);
    expect(ids(rs)).toContain('keluhan-artikel');
    const helpful = rs.find((r) => r.id === 'keluhan-artikel') as Recommendation;
    const before = recommend({
      index,
      reflection,
      limit: 10,
      curation: new Map([['keluhan-video', 'hidden']]),
      feedback: new Map([
        ['antrean', 'done'],
        ['keluhan-en', 'notHelpful'],
      ]),
    }).find((r) => r.id === 'keluhan-artikel') as Recommendation;
    expect(helpful.score).toBeLessThan(before.score);
    expect(helpful.signals.helpfulBefore).toBe(true);
    expect(all).toContain('antrean');
  });

  it('boosts an endorsed item, even one that matches nothing, and the reason names the coach', () => {
    const rs = recommend({ index, reflection, limit: 3, curation: new Map([['etika', 'endorsed']]) });
    const endorsed = rs.find((r) => r.id === 'etika');
    expect(endorsed).toBeDefined();
    expect(endorsed?.signals.endorsed).toBe(true);
    expect(endorsed?.reasons.join(' ')).toMatch(/coach/);
    expect(recommend({ index, reflection, limit: 10 }).map((r) => r.id)).not.toContain('etika');
    const en = recommend({
      index,
      reflection,
      limit: 3,
      locale: 'en',
      curation: new Map([['etika', 'endorsed']]),
    }).find((r) => r.id === 'etika');
    expect(en?.reasons).toContain('Recommended by your coach.');
  });

  it('data saver prefers the small item over the big video and says so', () => {
    expect(ids(recommend({ index, reflection, limit: 2 }))[0]).toBe('keluhan-video');
    const saver = recommend({ index, reflection, limit: 2, dataSaver: true });
    expect(saver[0].id).toBe('keluhan-artikel');
    expect(saver[0].signals.smallSizeKb).toBe(120);
    expect(saver[0].reasons).toContain('Ringan (120 KB), cocok untuk mode hemat data.');
    expect(saver.find((r) => r.id === 'keluhan-video')?.signals.smallSizeKb).toBeUndefined();
  });

  it("prefers the locale's language", () => {
    const both = [
      item('x-id', { title: 'Pelayanan publik', language: 'id' }),
      item('x-en', { title: 'Pelayanan publik', language: 'en' }),
    ];
    const idx = buildCatalogIndex([both[1], both[0]]);
    expect(ids(recommend({ index: idx, reflection: 'pelayanan publik', locale: 'id' }))[0]).toBe('x-id');
    expect(ids(recommend({ index: idx, reflection: 'pelayanan publik', locale: 'en' }))[0]).toBe('x-en');
  });

  it('covers a weak value and says it has not shown yet', () => {
    const rs = recommend({
      index,
      reflection: 'Saya membuat laporan kegiatan dan melayani warga.',
      weakValues: [{ value: 'akuntabel', weight: 1 }],
      limit: 3,
    });
    const covering = rs.find((r) => r.id === 'anggaran') as Recommendation;
    expect(covering.signals.weakValue).toBe('akuntabel');
    expect(covering.reasons[0]).toMatch(/Cermin belum menemukan tanda nilai Akuntabel/);
  });

  it('caps items sharing a primary value in the top 5, and alternates types when scores are close', () => {
    const same = Array.from({ length: 6 }, (_, i) =>
      item(`akun-${i}`, { title: `Laporan anggaran ${i}`, values: ['akuntabel'], type: i % 2 ? 'pdf' : 'article' }),
    );
    const others = ['loyal', 'harmonis', 'adaptif'].map((v, i) =>
      item(`lain-${i}`, {
        title: 'Laporan',
        values: [v as CatalogItem['values'][number]],
        type: 'video',
        sizeKb: 30 * 1024,
      }),
    );
    const idx = buildCatalogIndex([...same, ...others]);
    const rs = recommend({ index: idx, reflection: 'laporan anggaran', limit: 5 });
    expect(rs).toHaveLength(5);
    expect(rs.filter((r) => r.item.values[0] === 'akuntabel')).toHaveLength(2);

    // Three equal articles and a pdf scoring a little lower (a longer title): the pdf comes second.
    const articles = (['akuntabel', 'kompeten', 'harmonis'] as const).map((v, i) =>
      item(`art-${i}`, { title: 'Laporan anggaran', values: [v] }),
    );
    const pdf = item('pdf-0', { title: 'Laporan anggaran kantor', type: 'pdf', values: ['loyal'] });
    const mixed = recommend({ index: buildCatalogIndex([...articles, pdf]), reflection: 'laporan anggaran', limit: 4 });
    expect(mixed.map((r) => r.id)).toEqual(['art-0', 'pdf-0', 'art-1', 'art-2']);
    expect(mixed[1].score).toBeLessThan(mixed[2].score);
    // Far below (more than the margin), the pdf waits its turn.
    const far = item('pdf-1', {
      title: 'Laporan',
      description: 'Anggaran kantor, surat, arsip, rapat, dan kegiatan lain di unit kerja.',
      type: 'pdf',
      values: ['loyal'],
    });
    expect(
      recommend({ index: buildCatalogIndex([...articles, far]), reflection: 'laporan anggaran', limit: 4 }).map(
        (r) => r.id,
      ),
    ).toEqual(['art-0', 'art-1', 'art-2', 'pdf-1']);
  });

  it('returns nothing for limit 0 and refuses a query vector without vectors', () => {
    expect(recommend({ index, reflection, limit: 0 })).toEqual([]);
    expect(() => recommend({ index, reflection, queryVector: [1, 0] })).toThrow(/vectors/);
  });
});

describe('explanations', () => {
  it("quote the participant's own words, warmly and briefly", () => {
    expect(
      explain({ matchedWords: ['keluhan warga'], weakValue: 'akuntabel', endorsed: false, helpfulBefore: false }),
    ).toEqual(['Refleksi Anda menyebut "keluhan warga", dan Cermin belum menemukan tanda nilai Akuntabel.']);
    expect(
      explain({ matchedWords: ['SOP', 'antrean'], endorsed: true, helpfulBefore: false, smallSizeKb: 120 }),
    ).toEqual([
      'Refleksi Anda menyebut "SOP" dan "antrean", yang dibahas dalam materi ini.',
      'Dianjurkan oleh coach Anda.',
      'Ringan (120 KB), cocok untuk mode hemat data.',
    ]);
    expect(explain({ matchedWords: [], endorsed: false, helpfulBefore: false, phase: 'reality' }, 'en')).toEqual([
      'Suits the Reality stage of GROW.',
    ]);
    expect(explain({ matchedWords: [], endorsed: false, helpfulBefore: false })).toHaveLength(1);
  });

  it('format sizes and lists per locale', () => {
    expect(formatSize(120, 'id')).toBe('120 KB');
    expect(formatSize(1536, 'id')).toBe('1,5 MB');
    expect(formatSize(1536, 'en')).toBe('1.5 MB');
    expect(quoteList(['a', 'b', 'c'], 'id')).toBe('"a", "b", dan "c"');
  });

  it('quote words as written in a real recommendation (derived forms, not roots)', () => {
    const idx = buildCatalogIndex([
      item('lapor', { title: 'Laporan pertanggungjawaban anggaran', tags: ['laporan', 'anggaran'] }),
    ]);
    const [r] = recommend({
      index: idx,
      reflection: 'Saya harus mempertanggungjawabkan penggunaan anggaran. Itu yang saya laporkan.',
    });
    expect(r.signals.matchedWords).toEqual(['mempertanggungjawabkan', 'anggaran', 'laporkan']);
  });

  it('never quote a word of a sentence that denies it or that the safety screen flags', () => {
    const idx = buildCatalogIndex([
      item('lapor', { title: 'Laporan pertanggungjawaban anggaran', tags: ['laporan', 'anggaran'] }),
      item('guna', { title: 'Design thinking: produk yang berguna bagi pengguna', tags: ['berguna'] }),
    ]);
    const denied = recommend({ index: idx, reflection: 'Saya belum bisa mempertanggungjawabkan penggunaan anggaran.' });
    expect(denied.flatMap((r) => r.signals.matchedWords)).toEqual([]);
    const flagged = recommend({
      index: idx,
      reflection: 'Rasanya saya ini tidak berguna dan ingin mengakhiri hidup saja.',
    });
    expect(flagged.flatMap((r) => r.signals.matchedWords)).toEqual([]);
    // The same words in a plain sentence are quoted: the refusal is the sentence's, not the word's.
    const plain = recommend({ index: idx, reflection: 'Saya menyusun laporan penggunaan anggaran.' });
    expect(plain.find((r) => r.id === 'lapor')?.signals.matchedWords).toEqual(['laporan', 'anggaran']);
  });
});

describe('vectors', () => {
  it('HashingEmbedder is deterministic and unit length', async () => {
    const e = new HashingEmbedder({ dimensions: 64 });
    const [a, b] = await e.embed(['pelayanan warga', 'pelayanan warga']);
    expect(a).toEqual(b);
    expect(Math.hypot(...a)).toBeCloseTo(1, 6);
    expect(e.id).toBe('hashing-v1-64');
  });

  it('the cache key changes with the content and the embedder; unchanged items are not embedded again', async () => {
    const a = item('a', { title: 'Antrean loket' });
    expect(embeddingCacheKey(a, 'm1')).toBe(embeddingCacheKey({ ...a }, 'm1'));
    expect(embeddingCacheKey(a, 'm1')).not.toBe(embeddingCacheKey({ ...a, title: 'Antrean pasien' }, 'm1'));
    expect(embeddingCacheKey(a, 'm1')).not.toBe(embeddingCacheKey(a, 'm2'));
    const cache = new MemoryEmbeddingCache();
    const e = new HashingEmbedder({ dimensions: 32 });
    const first = await buildVectorIndex([a, item('b')], e, { cache });
    expect([first.embedded, first.cached]).toEqual([2, 0]);
    const second = await buildVectorIndex([a, item('b', { title: 'Berubah' })], e, { cache });
    expect([second.embedded, second.cached]).toEqual([1, 1]);
  });

  it('VectorIndex returns the nearest by cosine', () => {
    const index = new VectorIndex(
      ['x', 'y', 'z'],
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      't',
    );
    expect(index.search([1, 0.1], { limit: 2 }).map((h) => h.id)).toEqual(['x', 'z']);
    expect(index.search([1, 0.1], { limit: 2, filter: (d) => d !== 0 }).map((h) => h.id)).toEqual(['z', 'y']);
  });

  it('hybrid ranking fuses the lexical and vector lists', async () => {
    const items = [
      item('a', { title: 'Antrean loket' }),
      item('b', { title: 'Arsip surat' }),
      item('c', { title: 'Antrean pasien puskesmas' }),
    ];
    const e = new HashingEmbedder();
    const vectors = (await buildVectorIndex(items, e)).index;
    const idx = buildCatalogIndex(items, { vectors });
    const rs = recommend({ index: idx, reflection: 'antrean pasien', queryVector: e.embedOne('antrean pasien') });
    expect(rs[0].id).toBe('c');
    expect(() => buildCatalogIndex([items[1], items[0], items[2]], { vectors })).toThrow(/same order/);
  });
});

describe('metrics', () => {
  const grades = new Map([
    ['a', 2],
    ['b', 1],
  ]);

  it('nDCG@k with gain 2^g − 1 and log2 discount, as computed by hand', () => {
    // ranked x, a, y, b: DCG@3 = 3 / log2(3); ideal a, b: 3 + 1 / log2(3).
    expect(dcgAt(['x', 'a', 'y', 'b'], grades, 3)).toBeCloseTo(3 / Math.log2(3), 12);
    expect(ndcgAt(['x', 'a', 'y', 'b'], grades, 3)).toBeCloseTo(3 / Math.log2(3) / (3 + 1 / Math.log2(3)), 12);
    expect(ndcgAt(['x', 'a', 'y', 'b'], grades, 3)).toBeCloseTo(0.5213, 4);
    expect(ndcgAt(['a', 'b'], grades, 5)).toBe(1);
    expect(ndcgAt(['x', 'y'], grades, 5)).toBe(0);
  });

  it('MRR: 1 / rank of the first relevant item within the depth', () => {
    expect(reciprocalRank(['x', 'a', 'b'], grades)).toBe(0.5);
    expect(reciprocalRank(['x', 'y', 'z', 'b'], grades, 3)).toBe(0);
    const e = evaluateRanker(
      [
        { id: 'q1', relevant: [{ id: 'a', grade: 2 }] },
        { id: 'q2', relevant: [{ id: 'b', grade: 1 }] },
      ],
      (c) => (c.id === 'q1' ? ['a'] : ['x', 'y', 'b']),
    );
    expect(e.mrr).toBeCloseTo((1 + 1 / 3) / 2, 12);
    expect(e.ndcg).toBeCloseTo((1 + 1 / 2) / 2, 12); // q2: (1 / log2 4) / 1
  });
});

describe('evaluation on the labelled set', () => {
  const catalog = loadSampleCatalog().items;
  const cases = (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'recommend-eval.json'), 'utf8')) as {
      cases: ReflectionCase[];
    }
  ).cases;

  it('the labelled set is usable: ≥ 30 reflections, 1–4 judgements each, every id in the sample catalog', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(labelledSetProblems(cases, new Set(catalog.map((i) => i.id)))).toEqual([]);
    for (const c of cases) expect(c.relevant.length).toBeGreaterThanOrEqual(1);
    for (const c of cases) expect(c.relevant.length).toBeLessThanOrEqual(4);
    expect(labelledSetProblems([{ id: 'x', relevant: [{ id: 'tidak-ada', grade: 3 }] }], new Set())).toHaveLength(2);
  });

  it('stemmed BM25 ranks better than plain BM25 (nDCG@5)', () => {
    const valueLexicon = loadQuestionBank().values;
    const plain = evaluateRanker(
      cases,
      recommendRanker(buildCatalogIndex(catalog, { analyzer: plainAnalyzer }), { depth: 10, valueLexicon }),
    );
    const stemmed = evaluateRanker(
      cases,
      recommendRanker(buildCatalogIndex(catalog, { analyzer: stemmedAnalyzer }), { depth: 10, valueLexicon }),
    );
    console.log(
      `recommend eval (${cases.length} reflections): plain nDCG@5 ${plain.ndcg.toFixed(3)} MRR ${plain.mrr.toFixed(3)}; stemmed nDCG@5 ${stemmed.ndcg.toFixed(3)} MRR ${stemmed.mrr.toFixed(3)}`,
    );
    expect(stemmed.ndcg).toBeGreaterThan(plain.ndcg);
  });
});
