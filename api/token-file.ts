/**
 * An API token a deployment supplies from a file (a compose or Kubernetes secret, a file only root
 * reads): `--token-file`, `api.token_file` or `$AUSCULT_TOKEN_FILE`. At each start its hash is
 * registered under a name and scopes (idempotent; a changed file replaces the token of that name), so
 * a deployment knows its token without running `auscult token create` inside the container. The token
 * itself is never stored, logged or put in a message: only its name, scopes and the file's path.
 */
import { readFileSync } from 'node:fs';
import { UserFacingError } from '../agent/errors.js';
import { parseScopes, parseTokenName } from '../agent/commands/tokens.js';
import { tokenHash, type ApiTokens } from '../agent/store/api-tokens.js';

/** Visible ASCII without spaces (what a Bearer header carries), long enough to be unguessable. */
const TOKEN_TEXT = /^[\x21-\x7e]{32,512}$/;

export interface TokenFileSpec {
  path: string;
  /** The token's name (the audit's): --token-name, api.token_name; default `deployment`. */
  name?: string;
  /** A comma-separated list (flag) or an array (file); default `read`. */
  scopes?: string | string[];
}

export const DEFAULT_TOKEN_FILE_NAME = 'deployment';
export const DEFAULT_TOKEN_FILE_SCOPES = 'read';

/** The token in `path`, without the surrounding whitespace (a trailing newline). Errors never quote it. */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserFacingError(`cannot read the API token file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (!TOKEN_TEXT.test(token)) {
    throw new UserFacingError(`the API token file ${path} must hold one token of 32 to 512 visible ASCII characters, no spaces ` +
      `(e.g. printf 'auscult_%s\\n' "$(openssl rand -hex 32)" > ${path}); it holds ${token === '' ? 'nothing' : 'something else'}`);
  }
  return token;
}

/** How the name and scopes were given, for messages. */
const SERVE_FLAGS = { name: '--token-name (api.token_name)', scopes: '--token-scopes (api.token_scopes)' };

/** Registers the file's token; returns the line to log (no secret in it). */
export function registerTokenFile(tokens: ApiTokens, spec: TokenFileSpec, nowMs = Date.now(), flags = SERVE_FLAGS): string {
  const name = parseTokenName(spec.name ?? DEFAULT_TOKEN_FILE_NAME, flags.name);
  const scopes = parseScopes([spec.scopes ?? DEFAULT_TOKEN_FILE_SCOPES].flat().join(','), flags.scopes);
  const outcome = tokens.ensure(name, scopes, tokenHash(readTokenFile(spec.path)), nowMs);
  if (typeof outcome === 'object') {
    throw new UserFacingError(`the API token in ${spec.path} is registered already as token ${outcome.conflict}: ` +
      `revoke that one (auscult token revoke ${outcome.conflict}) or give the file's token the name ${outcome.conflict}`);
  }
  const what = { created: 'registered', unchanged: 'already registered', replaced: 'replaced (the file changed)' }[outcome];
  return `API token ${name} from ${spec.path} ${what}, scopes ${scopes.join(', ')}`;
}
