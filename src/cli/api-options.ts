/**
 * Where the service is and who we are, for the commands that talk to a running
 * `openastro serve` (node, mission): `--server` / OPENASTRO_URL and `--token` /
 * OPENASTRO_TOKEN. These commands never open the database themselves, because the
 * embedded PGlite belongs to the one server process that has it open.
 */
import type { Command } from 'commander';
import { createApiClient, type ApiClient } from '../platform/api/client.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8080';

export interface ApiFlags {
  server?: string;
  token?: string;
}

export function addApiOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', `service URL (default: $OPENASTRO_URL or ${DEFAULT_SERVER_URL})`)
    .option('--token <token>', 'operator or node token (default: $OPENASTRO_TOKEN)');
}

export function apiClientFrom(flags: ApiFlags, env: NodeJS.ProcessEnv = process.env): ApiClient {
  return createApiClient({
    baseUrl: flags.server ?? env.OPENASTRO_URL ?? DEFAULT_SERVER_URL,
    token: flags.token ?? env.OPENASTRO_TOKEN,
  });
}
