/**
 * Why an item is recommended, in a few short sentences the participant can check: the words of
 * their own reflection that the material is about (quoted as they wrote them), the BerAKHLAK value
 * their writing does not show yet, the coach's endorsement, a light download under data saver, the
 * GROW phase. Indonesian first; English for the 'en' locale.
 *
 * The tone follows what participants value in a coach (warm, clear, honest): a reason states what
 * was seen, never a judgement of the participant. Pure: signals in, sentences out.
 */
import { PHASE_NAMES, VALUE_NAMES, type BerakhlakValue, type GrowPhase as Phase } from '../domain/vocabulary';
import type { Locale } from '../domain/launch';

/** What made an item come up, as the ranker saw it. */
export interface RecommendationSignals {
  /** Words or short phrases of the reflection, as the participant wrote them, that the item is about (at most 3). */
  matchedWords: string[];
  /** A value the participant's writing does not show yet that the item covers (the weightiest one). */
  weakValue?: BerakhlakValue;
  /** A weak rubric criterion, by the name given, whose words the item shares. */
  criterion?: string;
  /** The coach endorsed it. */
  endorsed: boolean;
  /** Data saver is on and the item is small: its size in KB. */
  smallSizeKb?: number;
  /** The item suits the activity's GROW phase. */
  phase?: Phase;
  /** The participant marked it helpful before (so it is shown lower, not hidden). */
  helpfulBefore: boolean;
}

/** At most this many sentences: a reason should be read at a glance. */
export const MAX_REASONS = 3;

/** 120 KB, 1,5 MB (Indonesian decimal comma) / 1.5 MB. */
export function formatSize(kb: number, locale: Locale): string {
  if (kb < 1000) return `${Math.round(kb)} KB`;
  const mb = kb / 1024;
  const text = mb >= 10 ? String(Math.round(mb)) : mb.toFixed(1).replace(/\.0$/, '');
  return `${locale === 'id' ? text.replace('.', ',') : text} MB`;
}

/** "a"; "a" dan "b"; "a", "b", dan "c" (and in English). */
export function quoteList(words: readonly string[], locale: Locale): string {
  const q = words.map((w) => `"${w}"`);
  const and = locale === 'id' ? 'dan' : 'and';
  if (q.length <= 1) return q.join('');
  if (q.length === 2) return `${q[0]} ${and} ${q[1]}`;
  return `${q.slice(0, -1).join(', ')}, ${and} ${q[q.length - 1]}`;
}

/** The sentences for one recommendation, most telling first, at most MAX_REASONS. */
export function explain(signals: RecommendationSignals, locale: Locale = 'id'): string[] {
  const id = locale === 'id';
  const out: string[] = [];
  const words = signals.matchedWords.length ? quoteList(signals.matchedWords, locale) : undefined;
  const value = signals.weakValue ? VALUE_NAMES[signals.weakValue][locale] : undefined;

  // A value is named as what Cermin's reader has not found, not as what the participant lacks: on
  // writing it was not tuned on, it misses about half the values a coach sees (bench coaching-eval).
  if (words && value) {
    // One quoted word reads well with ", dan"; after a list of them a semicolon keeps the sentence clear.
    const join = signals.matchedWords.length === 1 ? (id ? ', dan' : ', and') : ';';
    out.push(
      id
        ? `Refleksi Anda menyebut ${words}${join} Cermin belum menemukan tanda nilai ${value}.`
        : `Your reflection mentions ${words}${join} Cermin has not found signs of the value ${value} yet.`,
    );
  } else if (words) {
    out.push(
      id
        ? `Refleksi Anda menyebut ${words}, yang dibahas dalam materi ini.`
        : `Your reflection mentions ${words}, which this material covers.`,
    );
  } else if (value) {
    out.push(
      id
        ? `Cermin belum menemukan tanda nilai ${value} dalam refleksi Anda; materi ini bisa membantu.`
        : `Cermin has not found signs of the value ${value} in your reflection yet; this material can help.`,
    );
  }
  if (signals.endorsed) out.push(id ? 'Dianjurkan oleh coach Anda.' : 'Recommended by your coach.');
  if (signals.smallSizeKb !== undefined) {
    const size = formatSize(signals.smallSizeKb, locale);
    out.push(id ? `Ringan (${size}), cocok untuk mode hemat data.` : `Light (${size}), good for data saver mode.`);
  }
  if (signals.criterion) {
    out.push(
      id
        ? `Membantu memperkuat bagian rubrik "${signals.criterion}".`
        : `Helps with the rubric criterion "${signals.criterion}".`,
    );
  }
  if (signals.phase) {
    const phase = PHASE_NAMES[signals.phase][locale];
    out.push(id ? `Cocok untuk tahap ${phase} dalam alur GROW.` : `Suits the ${phase} stage of GROW.`);
  }
  if (signals.helpfulBefore)
    out.push(id ? 'Anda pernah menandai materi ini membantu.' : 'You marked this material helpful before.');
  if (!out.length)
    out.push(id ? 'Materi umum yang sesuai dengan kegiatan ini.' : 'A general material that fits this activity.');
  return out.slice(0, MAX_REASONS);
}
