/** The ProviderError a provider call fails with (a test of the failure fails if it does not). */
import { ProviderError } from '../../src/ai/provider';

export async function failureOf(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
}
