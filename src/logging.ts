// The service's log: JSON lines (pino, through fastify) for log collectors, or pino-pretty's coloured,
// one-event-a-line text when a person watches a terminal. LOG_FORMAT chooses; by default a terminal
// (stdout is a TTY) gets text and anything else (a file, a pipe, a container's log) gets JSON.
import { createRequire } from 'node:module'
import type { Config } from './config.js'

// pino resolves a transport's name from the file that made the logger, which is fastify's, not ours:
// the path is resolved here, from this package's own dependencies.
const PINO_PRETTY = createRequire(import.meta.url).resolve('pino-pretty')

/** fastify's `logger` option for this configuration. */
export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>, stdoutIsTty: boolean): object {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && stdoutIsTty)
  return {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-slack-signature"]', 'req.headers.cookie'],
      censor: '[redacted]',
    },
    // pino-pretty runs in pino's transport worker thread, off the event loop that answers requests
    // (https://github.com/pinojs/pino-pretty#usage-with-pino-transports).
    ...(pretty ? { transport: { target: PINO_PRETTY, options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } } } : {}),
  }
}
