export {
  buildConfig,
  describeConfig,
  envLayer,
  fileLayer,
  overrideLayer,
  FIELDS,
  CONFIG_FILE_ENV,
  LOG_LEVELS,
  type Config,
  type Layer,
  type LogLevel,
  type OperatorToken,
  type LocalStorageConfig,
  type S3StorageConfig,
} from './config.js';
export { loadConfig, readConfigFile, type LoadConfigOptions } from './load.js';
export { ConfigError, formatProblem, type ConfigProblem } from './errors.js';
