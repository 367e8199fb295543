/**
 * "Tentang AI di Cermin": a plain-language page for every launched user of a course — what the AI
 * does and never does, which provider and model the agency uses (or none), what is replaced before
 * anything is sent, what is kept and for how long, how to withdraw consent, where their data page
 * is, and whom to ask. The facts are computed by a pure function (tested without a server); the
 * route only adds the links, which carry the ltik like every other page.
 */
import express from 'express';
import { REDACTION_KINDS } from '../ai/redaction';
import { coursePath, withLtik } from '../http/paths';
import type { Locale } from '../domain/launch';
import { handle } from '../http/async';
import { launchOf, ltikOf } from '../http/guards';
import { translator } from '../http/i18n';
import { sendPage } from '../http/render';
import { backOf } from '../http/page';

export interface TransparencyDeps {
  /** The provider as the agency names it (config ai.providerName). */
  providerName: string;
  /** The chat model in use, when known. */
  model?: string;
  /** Whether an AI provider is configured at all (else: Cermin's own question bank only). */
  providerConfigured: boolean;
  /** The kinds of personal data redacted before text leaves the server (REDACTION_KINDS). */
  redacts: string[];
  /** The longest the full text of an AI request is kept, when the admin keeps it at all. */
  retentionDays: number;
  /** Whether the admin keeps the full text of AI requests (AI_KEEP_RAW_TEXT). */
  keepRawText: boolean;
}

/** One sentence of the page: its message key and values, and the text in the page's language. */
export interface FactLine {
  key: string;
  vars?: Record<string, string | number>;
  text: string;
}

export interface TransparencyFacts {
  locale: Locale;
  /** An AI provider answers (with consent); false: only the question bank. */
  aiInUse: boolean;
  provider: FactLine;
  /** What the AI does (empty when no AI is in use: see `noAi`). */
  does: FactLine[];
  /** Said instead of `does` when no AI is in use. */
  noAi?: FactLine;
  never: FactLine[];
  /** Where a private entry can still go: only where the participant asks for it. */
  privateNote: FactLine;
  safety: FactLine;
  /** The kinds replaced before sending, in a fixed order. */
  redacted: FactLine[];
  checked: FactLine;
  keeps: FactLine[];
  ask: FactLine[];
}

const DOES = ['questions', 'mirror', 'steelman', 'critique', 'otherView', 'narrative', 'coachDraft'] as const;
const NEVER = ['grade', 'decide', 'writeForYou', 'privateForCoach', 'others'] as const;

/** The page's facts, in the given language. Pure: the same deps and locale give the same facts. */
export function transparencyFacts(deps: TransparencyDeps, locale: Locale): TransparencyFacts {
  const t = translator(locale);
  const line = (key: string, vars?: Record<string, string | number>): FactLine => ({
    key,
    ...(vars ? { vars } : {}),
    text: t(key, vars),
  });
  const aiInUse = deps.providerConfigured;
  const providerName = deps.providerName.trim();
  const model = deps.model?.trim();
  const provider = !aiInUse
    ? line('transparency.provider.none')
    : model
      ? line('transparency.provider.ai', { provider: providerName, model })
      : line('transparency.provider.aiNoModel', { provider: providerName });
  const kinds = new Set(deps.redacts);
  const days = Math.max(0, Math.floor(deps.retentionDays));
  return {
    locale,
    aiInUse,
    provider,
    does: aiInUse ? DOES.map((d) => line(`transparency.does.${d}`)) : [],
    ...(aiInUse ? {} : { noAi: line('transparency.does.none') }),
    never: NEVER.map((n) => line(`transparency.never.${n}`)),
    privateNote: line('transparency.privateNote'),
    safety: line('transparency.safety'),
    redacted: REDACTION_KINDS.filter((k) => kinds.has(k)).map((k) => line(`transparency.redact.${k}`)),
    checked: line('transparency.checked'),
    keeps: [
      line('transparency.keep.counts'),
      deps.keepRawText ? line('transparency.keep.textOn', { days }) : line('transparency.keep.textOff', { days }),
      // The same setting removes the answers shown on the journal (coaching_ai_turns): said, not implied.
      line('transparency.keep.answers', { days }),
      line('transparency.keep.journal'),
    ],
    ask: [line('transparency.ask.coach'), line('transparency.ask.admin')],
  };
}

/** GET /ai/about inside a course (any launched user): the page. */
export function transparencyRoutes(
  deps: TransparencyDeps | ((platform: string) => Promise<TransparencyDeps>),
): express.Router {
  const router = express.Router({ mergeParams: true });
  router.get(
    '/ai/about',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const ltik = ltikOf(res);
      const base = coursePath(ctx.courseKey);
      const back = backOf(req, res);
      await sendPage(res, 200, 'transparency', {
        back: back && withLtik(back, ltik),
        locale: ctx.locale,
        title: translator(ctx.locale)('transparency.title'),
        ctx,
        ltik,
        // The facts of the person's own platform (its admin sets how long AI conversations are kept).
        facts: transparencyFacts(typeof deps === 'function' ? await deps(ctx.platform.key) : deps, ctx.locale),
        // The consent page brings the person back here after they choose.
        consentUrl: withLtik(`${base}/ai/consent`, ltik, { back: `${base}/ai/about` }),
        privacyUrl: withLtik(`${base}/privacy`, ltik),
      });
    }),
  );
  return router;
}
