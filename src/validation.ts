/**
 * The one ajv instance for request bodies, CLI arguments and platform answers (the config loader
 * keeps its own: it fills defaults). Schemas compile once, at module load.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

export const ajv = new Ajv({ allErrors: true });
addFormats(ajv);

/** An absolute http(s) URL of sane length. */
export const httpUrlSchema = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 } as const;
