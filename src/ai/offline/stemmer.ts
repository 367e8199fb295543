/**
 * Indonesian tokenizer and stemmer for the offline coach.
 *
 * A small confix-stripping stemmer in the Nazief–Adriani / Enhanced Confix Stripping tradition,
 * written here rather than taken from npm: `sastrawijs` (the JavaScript Sastrawi port) stems well,
 * but it declares an unused Babel 6 plugin as a runtime dependency that pulls in 29 more packages
 * (core-js 2 with an install script among them), and its bundled root dictionary comes from
 * Kateglo under CC-BY-NC-SA 3.0, a non-commercial share-alike licence this project cannot simply
 * ship. What the coach needs is narrower: the same root for the forms participants write
 * (melayani, pelayanan, dilayani → layan), so a lexicon entry matches every form.
 *
 * How a word is stemmed:
 *  1. Lowercase. Numbers, words with non-Latin letters, words of three letters or fewer, stopwords
 *     and known roots are left as they are.
 *  2. Every reading of the word is listed: inflectional particles (-lah, -kah, -tah, -pun), then
 *     possessives (-ku, -mu, -nya), then derivational suffixes (-kan, -an, -i) peeled off or not;
 *     then up to three prefixes (me-, mem-, men-, meng-, meny-, pe-, pem-, pen-, peng-, peny-,
 *     per-, ber-, be-, ter-, di-, ke-, se-) with their sound changes undone (menulis → tulis,
 *     memakai → pakai, menyusun → susun, mengirim → kirim or irim).
 *  3. The longest reading that is a known root (ROOTS, a few hundred words from public service,
 *     office work, coaching and the BerAKHLAK values, all written here) wins; ties go to the
 *     reading that removed less. A compound root (kerjasama, tanggungjawab) comes back as its
 *     words: "kerja sama".
 *  4. With no known reading, a cautious fallback: particles and -nya off, up to two prefixes off
 *     (first sound rule), and a derivational suffix only after a prefix (a confix) or when it is
 *     -kan, always keeping four letters. Unknown words are thus stemmed the same way every time,
 *     which is what lexicon matching needs, even where the result is not the dictionary root.
 *
 * Reduplication (rekan-rekan, sebaik-baiknya) becomes one token; other hyphenated words are split.
 */

/** Words that stay as written: function words, and a few cue words the lexicons rely on. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  `ada adalah adanya agak agar akan aku amat anda antara apa apabila apakah apalagi atas atau
  bagaimana bagi bahkan bahwa banyak beberapa begitu belum berbagai beliau bila bisa boleh bukan
  dalam dan dapat dari daripada demikian dengan di dia ialah ini itu jika juga justru kalau kami
  kamu kan kapan karena ke kecuali kemudian kepada ketika kita lagi lah lain lainnya lalu maka mana
  masih mau melainkan mengapa mereka meski meskipun mungkin namun nanti nya oleh pada para pula
  pun saat saja sangat saya se sebab sebagai sebelum sebelumnya sedang sedangkan sehingga sejak
  sekali selain selama seluruh sementara semua sendiri seorang sepanjang seperti serta sesudah
  setelah setiap sudah supaya tak tanpa tapi telah tentang terhadap tersebut tetapi tiap tidak
  untuk walau walaupun yaitu yakni yang hanya harus perlu hal kok sih pernah sambil yg tdk utk dgn`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Known roots. Only roots, never derived forms: `layan`, not `pelayanan`. A few nouns that look
 * derived but mean something else are kept whole on purpose (atasan ≠ atas, pimpinan, masukan,
 * pemerintah, penduduk, pekan, rekan).
 */
const ROOT_LIST = `
abdi acara adu adaptasi antisipasi adaptif adil administrasi agama ahli aju ajak ajar akhir akses aktif aktivitas
aku akuntabel akuntabilitas akurat alam alami alasan alat alih alur aman amanah amat ambil anak
andal anggap anggaran anggota angka antar antre antri apresiasi aplikasi arah arsip arti asah
aspirasi atasan atur awal awas ayah
baca badan bagi bahasa baik balai balas balik bangga bangun bangsa bantu baris baru batas bawa
bawah bawahan bayar beban beda bekal bela belah benar bentuk berani berat beri berita berkas
bersih besar besok betul biasa biaya bicara bidang bijak bilang bimbing bina bingung bisnis bosan
buat budaya buka bukti buku bulan buruk butuh
cabang cakap camat canggung capai capek cara cari catat cek cemas cepat cerita cermat cetak cinta
coba contoh cukup curiga
daerah daftar daring data datang dampak damai damping dapat dasar dedikasi dekat delapan dengar
depan desa detail diam dialog digital digitalisasi dinas diri disiplin diskusi disposisi
distribusi doa dokumen dokumentasi dorong duga dukung dunia
edukasi efektif efisien ekonomi empati evaluasi
fakta fasilitas fisik fleksibel fokus formulir foto fungsi
gagal gagas gambar ganggu ganti gaji gembira gerak giat gotong gratis gugup guna guru
hadap hadir hambat harap harga hari harmonis hasil hati hemat hidup hilang hitung hormat hubung
hukum
ibu ide identifikasi ikhlas ikut ilmu implementasi indikator individu informasi ingat ingin inisiatif inovasi inovatif
instansi instruksi integrasi integritas internet isi isu izin
jabat jadi jadwal jaring jaga jalan jalur jam jangka jarak jawab jelas jenis jenuh jujur jumlah
kabar kabupaten kaku kali kantor kasus kata kawan kecamatan kecewa kecil keluarga keluh kelas
kelompok kembali kemarin kenal kendala kepala kerja kertas kesal ketat ketik ketua khawatir
kinerja kira kirim kode kolaborasi kolaboratif kolega komitmen kompeten kompetensi komunikasi
klarifikasi kondisi kondusif konfirmasi konflik konsisten konsultasi kontribusi kontrol koordinasi kota kreatif kreativitas kritik
kuasa kualitas kumpul kunjung kurang kursus
lahir laksana laku lama lambat lancar langkah langsung lanjut lapor latih layan lebih lelah
lembar lengkap libat lihat loket loyal loyalitas luang luar lupa lurah
maaf makan maksud malu mampu manfaat marah masalah masuk masukan masyarakat materi media mediasi
meja mentor menit metode milik minggu minta mitra modul mohon monitor motivasi mudah mulai muncul murid
musyawarah mutu
nama nasional negara nelayan niat nilai nyaman nyata
objektif observasi online optimal optimalisasi optimis orang otomatis
pagi pajak paham pakai paket panduan panjang pantau papan partisipasi pasang pasien pasti patuh pekan peduli
pegawai pelan peluang pemerintah penduduk penting perintah periksa perlu persen percaya pertama
peran peserta pesimis petani pihak pikir pilih pimpin pimpinan pindah pindai pintar pola posisi
potong prestasi prima prioritas profesional publikasi program proses prosedur proyek publik puas pukul pulang
punya puluh pusat
rahasia ragu ramah rapat rapi rasa regulasi rekan rekap rekomendasi rencana resmi revisi rinci ringan ruang rujuk rukun
rumah rumit runtut rutin
sabar sadar saing sakit salah salam sama sampai sapa saran sasaran satu sebab sedih sederhana
segera sehat sekolah sekarang selalu selesai semangat sempat senang senior senyum sepakat sering
sesuai setia setuju siap sikap sinergi singkat sistem situasi siswa solusi sopan sosialisasi staf
stres suasana sulit sumber surat survei susun syarat syukur
tahu tahun tamu tanda tangan tantang tanggal tanggap tanggung tanya target tata tawar tegang tekad tekan
teknis teknologi telepon teliti tema teman tempat tempel tenaga tenang tengah tepat terampil
terap terima tertib terus tim tinggi tindak tingkat tolak tolong transparan transparansi tua
tugas tuju tulis tumbuh tumpuk tunda tunggu tunjuk tuntas turun tutup
ubah uji ukur ulang umum unit upaya urus usaha usul utama validasi verifikasi
wajib waktu warga wawancara wilayah wujud
yakin`;

export const ROOTS: ReadonlySet<string> = new Set(ROOT_LIST.split(/\s+/).filter(Boolean));

/** Roots written as one word that are two: stemmed to both words, so "kerjasama" meets "bekerja sama". */
export const COMPOUNDS: ReadonlyMap<string, string> = new Map([
  ['kerjasama', 'kerja sama'],
  ['tanggungjawab', 'tanggung jawab'],
  ['tindaklanjut', 'tindak lanjut'],
  ['gotongroyong', 'gotong royong'],
  ['sumberdaya', 'sumber daya'],
  ['ikutserta', 'ikut serta'],
]);

const VOWEL = /^[aiueo]/;

/** The readings of `w` with one prefix removed, in the order the fallback prefers them. */
export function prefixAlternatives(w: string): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (s.length >= 3 && /[aiueo]/.test(s) && !out.includes(s)) out.push(s);
  };
  const after = (n: number) => w.slice(n);
  if (w.startsWith('me')) {
    if (w.startsWith('menge') && !VOWEL.test(after(5))) add(after(5));
    if (w.startsWith('meng')) {
      const r = after(4);
      if (VOWEL.test(r)) {
        add(r);
        add('k' + r);
      } else if (/^[ghk]/.test(r)) add(r);
    } else if (w.startsWith('meny')) {
      const r = after(4);
      if (VOWEL.test(r)) {
        add('s' + r);
        add('ny' + r);
      }
    } else if (w.startsWith('mem')) {
      const r = after(3);
      if (/^[bfvp]/.test(r)) add(r);
      else if (VOWEL.test(r)) {
        add('p' + r);
        add('m' + r);
      }
    } else if (w.startsWith('men')) {
      const r = after(3);
      if (/^[cdjzst]/.test(r)) add(r);
      else if (VOWEL.test(r)) {
        add('t' + r);
        add('n' + r);
      }
    }
    if (/^me[lrwymn]/.test(w)) add(after(2));
  } else if (w.startsWith('pe')) {
    if (w.startsWith('penge') && !VOWEL.test(after(5))) add(after(5));
    if (w.startsWith('peng')) {
      const r = after(4);
      if (VOWEL.test(r)) {
        add(r);
        add('k' + r);
      } else if (/^[ghk]/.test(r)) add(r);
    } else if (w.startsWith('peny')) {
      const r = after(4);
      if (VOWEL.test(r)) {
        add('s' + r);
        add('ny' + r);
      }
    } else if (w.startsWith('pem')) {
      const r = after(3);
      if (/^[bfv]/.test(r)) add(r);
      else if (VOWEL.test(r)) {
        add('p' + r);
        add('m' + r);
      }
    } else if (w.startsWith('pen')) {
      const r = after(3);
      if (/^[cdjzst]/.test(r)) add(r);
      else if (VOWEL.test(r)) {
        add('t' + r);
        add('n' + r);
      }
    }
    if (w.startsWith('per')) add(after(3));
    if (w.startsWith('pel') && VOWEL.test(after(3))) add(after(3));
    add(after(2));
  } else if (w.startsWith('be')) {
    if (w.startsWith('ber')) add(after(3));
    if (w.startsWith('bel') && VOWEL.test(after(3))) add(after(3));
    add(after(2));
  } else if (w.startsWith('te')) {
    if (w.startsWith('ter')) add(after(3));
    if (w.startsWith('ter') && VOWEL.test(after(3))) add(after(2));
  } else if (w.startsWith('di') || w.startsWith('ke') || w.startsWith('se')) {
    add(after(2));
  }
  return out;
}

interface Reading {
  root: string;
  removed: number;
}

/** Suffix readings: the word, then with particle, possessive and derivational suffixes peeled off. */
function suffixReadings(w: string): Reading[] {
  const out: Reading[] = [{ root: w, removed: 0 }];
  const peel = (endings: string[]) => {
    for (const r of [...out]) {
      for (const e of endings) {
        if (r.root.endsWith(e) && r.root.length - e.length >= 3)
          out.push({ root: r.root.slice(0, -e.length), removed: r.removed + 1 });
      }
    }
  };
  peel(['lah', 'kah', 'tah', 'pun']);
  peel(['nya', 'ku', 'mu']);
  peel(['kan', 'an', 'i']);
  return out;
}

function readings(w: string): Reading[] {
  const seen = new Set<string>();
  const out: Reading[] = [];
  const push = (r: Reading) => {
    if (!seen.has(r.root)) {
      seen.add(r.root);
      out.push(r);
    }
  };
  for (const s of suffixReadings(w)) {
    let layer: Reading[] = [s];
    push(s);
    for (let depth = 0; depth < 3 && layer.length; depth++) {
      const next: Reading[] = [];
      for (const r of layer)
        for (const alt of prefixAlternatives(r.root)) next.push({ root: alt, removed: r.removed + 1 });
      next.forEach(push);
      layer = next;
    }
  }
  return out;
}

const known = (w: string) => ROOTS.has(w) || COMPOUNDS.has(w) || STOPWORDS.has(w);

function fallback(w: string): string {
  let x = w;
  for (const p of ['lah', 'kah', 'pun']) {
    if (x.endsWith(p) && x.length - p.length >= 4) {
      x = x.slice(0, -p.length);
      break;
    }
  }
  if (x.endsWith('nya') && x.length - 3 >= 4) x = x.slice(0, -3);
  let prefixes = 0;
  while (prefixes < 2) {
    const alt = prefixAlternatives(x).find((a) => a.length >= 4);
    if (!alt) break;
    x = alt;
    prefixes++;
  }
  if (prefixes > 0 || x.endsWith('kan')) {
    for (const s of ['kan', 'an', 'i']) {
      // -si is far more often a loanword ending (verifikasi, antisipasi) than a root in -s with -i.
      if (s === 'i' && x.endsWith('si')) continue;
      if (x.endsWith(s) && x.length - s.length >= 4) {
        x = x.slice(0, -s.length);
        break;
      }
    }
  }
  return x;
}

function stemUncached(w: string): string {
  if (!/^[a-z]+$/.test(w)) return w;
  if (COMPOUNDS.has(w)) return COMPOUNDS.get(w) as string;
  if (w.length <= 3 || known(w)) return w;
  let best: Reading | undefined;
  for (const r of readings(w)) {
    if (r.removed > 0 && known(r.root) && (!best || r.root.length > best.root.length)) best = r;
  }
  if (best) return COMPOUNDS.get(best.root) ?? best.root;
  return fallback(w);
}

const cache = new Map<string, string>();
const CACHE_LIMIT = 20000;

/**
 * The root of one word, lowercased. A compound comes back as its words separated by a space
 * ("bekerjasama" → "kerja sama"); numbers and non-Latin words come back as written (lowercased).
 */
export function stem(word: string): string {
  const w = word.toLowerCase();
  const hit = cache.get(w);
  if (hit !== undefined) return hit;
  const s = stemUncached(w);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(w, s);
  return s;
}

export interface Token {
  /** As written in the text (for quoting back). */
  text: string;
  lower: string;
  /** Offsets of the written word in the text; the parts of a compound share them. */
  start: number;
  end: number;
  /** Root; a compound is split into one token per part. */
  stem: string;
  /** Contains a digit: 25, 08.00, 12/3, 80%. */
  number: boolean;
  /** A number written with a percent sign. */
  percent: boolean;
  stop: boolean;
  /** Index of the sentence (split at . ! ? ; and new lines) and of the clause (also , : brackets, quotes, dashes). */
  sentence: number;
  clause: number;
}

const TOKEN_RE = /\p{N}+(?:[.,:/]\p{N}+)*(?:\s?%)?|[\p{L}\p{M}\p{N}]+(?:['’-][\p{L}\p{M}\p{N}]+)*/gu;
const SENTENCE_BREAK = /[.!?;\n]/;
const CLAUSE_BREAK = /[,:()"“”[\]–—]|\s-\s/;

/**
 * The words of a text as tokens, in order: lowercased, stemmed, punctuation dropped, numbers kept
 * (and marked), stopwords marked rather than removed (cue phrases such as "akan" need them).
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let sentence = 0;
  let clause = 0;
  let prevEnd = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const start = m.index ?? 0;
    const written = m[0];
    const end = start + written.length;
    const gap = text.slice(prevEnd, start);
    if (out.length) {
      if (SENTENCE_BREAK.test(gap)) {
        sentence++;
        clause++;
      } else if (CLAUSE_BREAK.test(gap)) clause++;
    }
    prevEnd = end;
    const lower = written.toLowerCase();
    const base = { text: written, start, end, sentence, clause };
    if (/\p{N}/u.test(lower) && !/\p{L}/u.test(lower)) {
      out.push({
        ...base,
        lower,
        stem: lower.replace(/\s/g, ''),
        number: true,
        percent: lower.endsWith('%'),
        stop: false,
      });
      continue;
    }
    for (const part of splitWord(lower)) {
      for (const s of stem(part).split(' ')) {
        out.push({
          ...base,
          lower: part,
          stem: s,
          number: /\p{N}/u.test(part),
          percent: false,
          stop: STOPWORDS.has(s) || STOPWORDS.has(part),
        });
      }
    }
  }
  return out;
}

/** rekan-rekan → [rekan]; sebaik-baiknya → [sebaik] (same root); kerja-sama → [kerja, sama]. */
function splitWord(lower: string): string[] {
  const parts = lower.split(/['’-]/).filter(Boolean);
  if (parts.length < 2) return parts;
  if (lower.includes('-')) {
    const hyphen = lower.split('-').filter(Boolean);
    const roots = new Set(hyphen.map((p) => stem(p)));
    if (roots.size === 1) return [hyphen[0].replace(/['’]/g, '')];
    return hyphen.map((p) => p.replace(/['’]/g, '')).filter(Boolean);
  }
  return [parts.join('')];
}

/** The roots of a short phrase, stopwords included: "bertanggung jawab" → ["tanggung", "jawab"]. */
export function stemPhrase(text: string): string[] {
  return tokenize(text).map((t) => t.stem);
}

/** The content roots of a text (stopwords and numbers left out). */
export function contentStems(text: string): string[] {
  return tokenize(text)
    .filter((t) => !t.stop && !t.number)
    .map((t) => t.stem);
}
