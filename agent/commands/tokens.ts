/**
 * `auscult token create|list|revoke`: the API's bearer tokens (agent/store/api-tokens.ts keeps only
 * their hashes). A token is shown once, at creation, alone on stdout so `TOKEN=$(auscult token
 * create ...)` captures it; what it is (scopes, expiry) goes to stderr.
 */
import { UserFacingError } from '../errors.js';
import { ApiTokens, TOKEN_SCOPES, isTokenScope, type ApiTokenRow, type TokenScope } from '../store/api-tokens.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };
/** Ten years: beyond, a typo rather than an intent. */
const MAX_LIFETIME_MS = 3650 * DAY_MS;

export function parseTokenName(name: string, flag = '--name'): string {
  if (!NAME.test(name)) {
    throw new UserFacingError(`${flag} ${JSON.stringify(name)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return name;
}

export function parseScopes(list: string, flag = '--scopes'): TokenScope[] {
  const scopes = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = scopes.filter((s) => !isTokenScope(s));
  if (scopes.length === 0 || bad.length > 0) {
    throw new UserFacingError(`${flag} ${JSON.stringify(list)}: ${bad.length > 0 ? `unknown scope ${JSON.stringify(bad[0])}` : 'no scope given'} (valid: ${TOKEN_SCOPES.join(', ')}, comma-separated)`);
  }
  return [...new Set(scopes as TokenScope[])];
}

/** `90d`, `12h`, `2w` → the expiry time in ms; `never` → null. */
export function parseExpiry(text: string, nowMs = Date.now()): number | null {
  if (text === 'never') return null;
  const m = /^(\d{1,5})([hdw])$/.exec(text);
  const ms = m === null ? NaN : Number(m[1]) * UNIT_MS[m[2]];
  if (!(ms > 0 && ms <= MAX_LIFETIME_MS)) {
    throw new UserFacingError(`--expires ${JSON.stringify(text)}: give a lifetime such as 90d, 12h or 2w (at most 3650d), or never`);
  }
  return nowMs + ms;
}

export interface CreatedToken {
  token: string;
  /** What the token is, for the person who created it (stderr). */
  summary: string;
}

export function createToken(db: string, name: string, scopes: TokenScope[], expiresAtMs: number | null, nowMs = Date.now()): CreatedToken {
  const tokens = ApiTokens.open(db);
  try {
    const token = tokens.create(name, scopes, expiresAtMs, nowMs);
    if (token === null) throw new UserFacingError(`a token named ${name} exists already: choose another name, or revoke it first (auscult token revoke ${name})`);
    const expiry = expiresAtMs === null ? 'never expires' : `expires ${new Date(expiresAtMs).toISOString()}`;
    return { token, summary: `token ${name} created (scopes ${scopes.join(', ')}; ${expiry}). It is shown once, below: store it now.` };
  } finally {
    tokens.close();
  }
}

export function listTokens(db: string): ApiTokenRow[] {
  const tokens = ApiTokens.open(db);
  try {
    return tokens.list();
  } finally {
    tokens.close();
  }
}

export function revokeToken(db: string, name: string): void {
  const tokens = ApiTokens.open(db);
  try {
    if (!tokens.revoke(name)) throw new UserFacingError(`no token named ${name} (auscult token list shows them)`, 1);
  } finally {
    tokens.close();
  }
}

const iso = (ms: number | null, none: string): string => (ms === null ? none : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function formatTokenList(rows: readonly ApiTokenRow[], format: 'table' | 'json', nowMs = Date.now()): string {
  if (format === 'json') {
    return JSON.stringify(rows.map((r) => ({
      name: r.name, scopes: r.scopes, created_at: iso(r.createdAtMs, ''), expires_at: r.expiresAtMs === null ? null : iso(r.expiresAtMs, ''),
      expired: r.expiresAtMs !== null && r.expiresAtMs <= nowMs, last_used_at: r.lastUsedAtMs === null ? null : iso(r.lastUsedAtMs, ''),
    })), null, 2);
  }
  if (rows.length === 0) return 'no API tokens: create one with auscult token create --name NAME --scopes read';
  const table = [['NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED']];
  for (const r of rows) {
    const expired = r.expiresAtMs !== null && r.expiresAtMs <= nowMs ? ' (expired)' : '';
    table.push([r.name, r.scopes.join(','), iso(r.createdAtMs, ''), iso(r.expiresAtMs, 'never') + expired, iso(r.lastUsedAtMs, 'never')]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
