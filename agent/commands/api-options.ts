/**
 * The API's flags, shared by `serve`, `run` and `demo` (each also a configuration key: README,
 * Configuration file), and what they become for startServer (api/server.ts).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';

export interface ApiFlags {
  tlsCert?: string;
  tlsKey?: string;
  allowPlainHttp?: boolean;
  /** A comma-separated list on the command line, an array from the configuration file. */
  allowedHosts?: string | string[];
  rateLimit?: number;
  corsOrigins?: string | string[];
  idleTimeout?: number;
  headerTimeout?: number;
  webIdleTimeout?: number;
  responseCacheMib?: number;
  tokenFile?: string;
  tokenName?: string;
  /** A comma-separated list on the command line, an array from the configuration file. */
  tokenScopes?: string | string[];
}

function int(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== '');

export function addApiOptions(cmd: Command): Command {
  return cmd
    .option('--tls-cert <file>', 'PEM certificate chain: serve HTTPS')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--allow-plain-http', 'serve plain HTTP on a non-loopback address (warned about at each start)')
    .option('--allowed-hosts <names>', 'comma-separated names the Host header may carry besides localhost, the loopback addresses and --host')
    .option('--rate-limit <per-minute>', 'requests a minute per token, 0: no limit (default 1200)', int('--rate-limit', 0, 10_000_000))
    .option('--cors-origins <origins>', 'comma-separated origins a browser may call the API from (default: none, CORS off)')
    .option('--idle-timeout <seconds>', 'close a connection idle this long (default 60)', int('--idle-timeout', 1, 3600))
    .option('--header-timeout <seconds>', 'a client must send its request headers within this (default 10)', int('--header-timeout', 1, 300))
    .option('--web-idle-timeout <minutes>', 'the web page signs out after this long without activity, 0: never (default 15)', int('--web-idle-timeout', 0, 1440))
    .option('--response-cache-mib <MiB>', 'memory for whole device answers kept while the database is unchanged, 0: none (default 64)', int('--response-cache-mib', 0, 4096))
    .addOption(new Option('--token-file <file>', 'a file holding an API token (a secret): its hash is registered at start under --token-name with --token-scopes').env('AUSCULT_TOKEN_FILE'))
    .option('--token-name <name>', 'the name of the --token-file token (default deployment)')
    .option('--token-scopes <list>', 'comma-separated scopes of the --token-file token (default read)');
}

/** The flags as startServer options. */
export function apiServerOptions(o: ApiFlags) {
  return {
    tlsCertPath: o.tlsCert,
    tlsKeyPath: o.tlsKey,
    allowPlainHttp: o.allowPlainHttp === true,
    idleTimeoutSeconds: o.idleTimeout,
    headerTimeoutSeconds: o.headerTimeout,
    webIdleTimeoutMinutes: o.webIdleTimeout,
    responseCacheBytes: o.responseCacheMib === undefined ? undefined : o.responseCacheMib * 1024 * 1024,
    hardening: { allowedHosts: list(o.allowedHosts), rateLimitPerMinute: o.rateLimit, corsOrigins: list(o.corsOrigins) },
    tokenFile: o.tokenFile === undefined || o.tokenFile === '' ? undefined : { path: o.tokenFile, name: o.tokenName, scopes: o.tokenScopes },
  };
}
