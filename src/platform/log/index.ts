export { createLogger, REDACT_PATHS, REDACTED, type CreateLoggerOptions, type Logger } from './logger.js';
