/**
 * The recommendation feature: the course catalog with its ranking (lexical, hybrid when the
 * environment's provider has an embedding model), the coach's materials pages, and each
 * participant's recommendation history.
 */
import express from 'express';
import type { Logger } from 'pino';
import type { AiFeature } from '../ai/feature';
import { loadSampleCatalog } from './catalog';
import { recommendPrivacy } from './privacy';
import { ProviderEmbedder } from './provider-embedder';
import { QueryEmbedder } from './query-embedding';
import { recommendRoutes } from './routes';
import { RecommendService, type VectorSupport } from './service';
import { moveLegacyEvents } from './store';
import { MongoEmbeddingCache, QUERY_VECTOR_COLLECTION } from './vector-store';

export interface RecommendFeatureDeps {
  ai: Pick<
    AiFeature,
    'provider' | 'bank' | 'consent' | 'names' | 'pseudonymOf' | 'limits' | 'audit' | 'baseUrlInForce'
  >;
  log: Logger;
}

/**
 * Hybrid ranking when the provider has an embedding model: item vectors cached in
 * `recommend_vectors` (by content, so an item is embedded once), participants' query vectors
 * apart in `recommend_query_vectors` (pruned by age, see main.ts).
 */
function vectorSupport({ ai, log }: RecommendFeatureDeps): VectorSupport | undefined {
  const provider = ai.provider;
  if (!provider?.settings.embeddingModel) return undefined;
  const embedder = new ProviderEmbedder(provider);
  const queries = new QueryEmbedder({
    provider,
    embedderId: embedder.id,
    cache: new MongoEmbeddingCache({ collection: QUERY_VECTOR_COLLECTION }),
    consent: ai.consent,
    namesOf: ai.names.matcherFor,
    pseudonymOf: ai.pseudonymOf,
    limits: ai.limits,
    audit: ai.audit,
    onError: (err) => log.warn({ err }, 'query embedding failed; ranking lexically'),
  });
  return {
    embedder,
    cache: new MongoEmbeddingCache(),
    // A participant's writing goes only to the server their consent names (the provider in force):
    // once an admin switches to another server, their text is ranked lexically instead.
    embedQuery: async (who, text) =>
      (await ai.baseUrlInForce(who.platform)) === provider.settings.baseUrl ? queries.vectorFor(who, text) : undefined,
  };
}

export function recommendFeature(deps: RecommendFeatureDeps) {
  const service = new RecommendService({
    shared: loadSampleCatalog().items,
    bank: deps.ai.bank,
    vectors: vectorSupport(deps),
    onVectorError: (err) => deps.log.warn({ err }, 'catalog embeddings failed; ranking lexically'),
  });
  return {
    service,
    courseRouters: [recommendRoutes({ recommend: service })],
    /**
     * A catalog import may be a whole file: its form gets a larger body limit than ltijs's 100 kB,
     * parsed before ltijs's own parser (which then leaves it alone); the import itself then says
     * clearly when a file is over its limit.
     */
    importBody: {
      path: '/lti/app/courses/:courseKey/materials/import',
      parser: express.urlencoded({ extended: false, limit: '4mb' }),
    },
    privacy: [recommendPrivacy],
    /** Recommendation events kept one record each by an older Cermin move into per-person histories. */
    upgrade: moveLegacyEvents,
  };
}
