/**
 * The configured provider's embedding model as the recommender's Embedder: item vectors for
 * buildVectorIndex (cached by MongoEmbeddingCache) and the reflection's query vector for the hybrid
 * ranking. Its id names the model, so vectors of another model never come out of the cache.
 *
 * Failures stay the provider's ProviderErrors: a caller that cannot get a query vector ranks
 * lexically, with the reason in its log.
 */
import type { AiProvider, Embeddings } from '../ai/provider';
import type { Embedder } from './vectors';

/** What the embedder needs of the provider (an AiProvider; a narrower type so a test can stand in). */
export type EmbeddingProvider = Pick<AiProvider, 'embed'> & { readonly settings: { readonly embeddingModel?: string } };

export class ProviderEmbedder implements Embedder {
  readonly id: string;
  readonly model: string;
  /** What this embedder has spent, for the logs and the admin's usage figures. */
  readonly usage = { calls: 0, texts: 0, promptTokens: 0 };

  constructor(private readonly provider: EmbeddingProvider) {
    const model = provider.settings.embeddingModel;
    if (!model) throw new Error('ProviderEmbedder: the provider has no embedding model (set AI_EMBEDDING_MODEL)');
    this.model = model;
    this.id = `provider:${model}`;
  }

  async embed(texts: string[], opts: { signal?: AbortSignal } = {}): Promise<number[][]> {
    if (texts.length === 0) return [];
    const answer: Embeddings = await this.provider.embed(texts, opts);
    this.usage.calls += 1;
    this.usage.texts += texts.length;
    this.usage.promptTokens += answer.usage.promptTokens;
    return answer.vectors;
  }

  /** The query vector of one text (the participant's reflection). */
  async embedQuery(text: string, opts: { signal?: AbortSignal } = {}): Promise<number[]> {
    const [vector] = await this.embed([text], opts);
    return vector;
  }
}
