/** JSON logs (pino) without secrets or reflection text: query strings (ltik) and bodies are never logged. */
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'cermin' },
    redact: {
      paths: [
        '*.ltik',
        '*.id_token',
        '*.token',
        '*.authorization',
        '*.cookie',
        '*.key',
        '*.apiKey',
        '*.password',
        '*.text',
        'headers',
        'body',
        'query',
      ],
      censor: '[redacted]',
    },
  });
}
