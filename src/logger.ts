/** The process logger: pino JSON lines on stdout, level from LAKEGATE_LOG_LEVEL (default info). */
import { pino } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const requestedLevel = process.env.LAKEGATE_LOG_LEVEL || 'info';
// pino throws on a level it does not know, which killed the process before it could say why.
const knownLevel = LEVELS.includes(requestedLevel);

export const logger = pino({
  name: 'lakegate',
  level: knownLevel ? requestedLevel : 'info',
  base: undefined,
});

if (!knownLevel) {
  logger.warn({ LAKEGATE_LOG_LEVEL: requestedLevel, levels: LEVELS }, 'unknown log level; logging at info');
}
