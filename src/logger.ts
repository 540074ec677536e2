/** The process logger: pino JSON lines on stdout, level from LAKEGATE_LOG_LEVEL (default info). */
import { pino } from 'pino';

export const logger = pino({
  name: 'lakegate',
  level: process.env.LAKEGATE_LOG_LEVEL ?? 'info',
  base: undefined,
});
