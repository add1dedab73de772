// Structured JSON logs (pino). Rules never hand out credential values, so nothing here should
// ever see one; the redact list is a second line of defence for fields that could carry
// object content if someone logs a request by mistake.

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; destination?: number } = {}): Logger {
  return pino(
    {
      name: 'extguard',
      level: opts.level ?? process.env['EXTGUARD_LOG_LEVEL'] ?? 'info',
      base: undefined,
      redact: { paths: ['object', 'oldObject', '*.object', '*.oldObject', '*.value', 'env', '*.env', 'password', '*.password', 'token', '*.token'], censor: '[redacted]' },
    },
    pino.destination({ dest: opts.destination ?? 1, sync: false }),
  );
}

/** For tests and the CLI's non-serve commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
