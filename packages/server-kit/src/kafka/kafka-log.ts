import { type logCreator, logLevel } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * The broker's answer for a partition of a deleted topic, as kafkajs' connection logs it (the
 * protocol error's text: kafkajs gives no type there). Every fetch and metadata retry of every
 * consumer on such a topic logs it; the consumer adapter stops those consumers and logs once.
 */
const UNKNOWN_TOPIC_TEXT = 'This server does not host this topic-partition';

/** kafkajs log lines into the process's pino stream, component-tagged. */
export function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      switch (level) {
        case logLevel.ERROR:
          // kafkajs logs every retried request as an error (e.g. "coordinator is loading");
          // retries that end in failure surface again as the caller's error.
          if ((extra as { error?: unknown }).error === UNKNOWN_TOPIC_TEXT)
            child.debug(extra, message);
          else child.warn(extra, message);
          break;
        case logLevel.WARN:
          child.warn(extra, message);
          break;
        case logLevel.INFO:
          child.debug(extra, message);
          break;
        default:
          child.trace(extra, message);
      }
    };
}

export function kafkajsLevel(level: string): logLevel {
  if (level === 'debug' || level === 'trace') return logLevel.INFO;
  if (level === 'silent' || level === 'fatal') return logLevel.NOTHING;
  return logLevel.WARN;
}
