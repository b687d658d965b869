/**
 * API tokens and the audit of their use. A token is 256 random bits shown once to whoever creates it;
 * the database keeps only its SHA-256 (a stolen database file or backup grants nothing). The API looks
 * a token up on every request through its read-only StoreReader (`apiToken`), so a token created,
 * revoked or expired while `serve` runs counts at the next request. This writer is the CLI's (`auscult
 * token`) and, in `serve`, the audit's: its own connection, which writes only the tables of this file.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openDatabase } from './database.js';

/** read: the inventory (devices, observations, events, changes); export; metrics; admin: all of them. */
export const TOKEN_SCOPES = ['read', 'export', 'metrics', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** What every token starts with, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'auscult_';

/** A token as stored: never the token itself. */
export interface ApiTokenRow {
  name: string;
  scopes: TokenScope[];
  createdAtMs: number;
  /** null: never expires. */
  expiresAtMs: number | null;
  /** null: never used (as far as the audit has written). */
  lastUsedAtMs: number | null;
}

/** One audited request (who, when, which route; never the token). */
export interface TokenUse {
  atMs: number;
  /** null: no token, or an unknown, revoked or expired one. */
  tokenName: string | null;
  method: string;
  route: string;
  path: string;
  status: number;
  client: string;
}

export const isTokenScope = (s: string): s is TokenScope => (TOKEN_SCOPES as readonly string[]).includes(s);

/** The stored form of a token: hex SHA-256 (the token has 256 bits of entropy: no salt or slow hash needed). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** A stored row as readers show it (the reader and the writer share it). */
export function tokenRow(r: { name: string; scopes: string; created_at: number; expires_at: number | null; last_used_at: number | null }): ApiTokenRow {
  return {
    name: r.name,
    scopes: r.scopes.split(',').filter(isTokenScope),
    createdAtMs: r.created_at,
    expiresAtMs: r.expires_at,
    lastUsedAtMs: r.last_used_at,
  };
}

export const TOKEN_COLUMNS = 'name, scopes, created_at, expires_at, last_used_at';

/** Write access to the token tables, over a connection of its own. */
export class ApiTokens {
  private readonly s: Record<'insert' | 'list' | 'remove' | 'use' | 'lastUsed' | 'stored' | 'nameOfHash' | 'replace', Database.Statement>;

  /** The database at `path`, created and migrated when needed (a token can exist before the first capture). */
  static open(path: string): ApiTokens {
    return new ApiTokens(openDatabase(path));
  }

  private constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      // One statement, so one write transaction: a read-then-insert transaction would have to upgrade its
      // read lock, and SQLite fails that at once (SQLITE_BUSY, no busy wait) when another writer went first.
      insert: p('INSERT INTO api_tokens (name, token_sha256, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING'),
      list: p(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY name`),
      remove: p('DELETE FROM api_tokens WHERE name = ?'),
      use: p('INSERT INTO api_token_uses (at, token_name, method, route, path, status, client) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      lastUsed: p('UPDATE api_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE name = ?'),
      stored: p('SELECT token_sha256, scopes, expires_at FROM api_tokens WHERE name = ?'),
      nameOfHash: p('SELECT name FROM api_tokens WHERE token_sha256 = ?'),
      replace: p('UPDATE api_tokens SET token_sha256 = ?, scopes = ?, created_at = ?, expires_at = NULL, last_used_at = NULL WHERE name = ?'),
    };
  }

  /** A new token: the value to hand over (shown once), or null when the name is taken. */
  create(name: string, scopes: readonly TokenScope[], expiresAtMs: number | null, nowMs = Date.now()): string | null {
    const token = newToken();
    const inserted = this.s.insert.run(name, tokenHash(token), [...new Set(scopes)].join(','), nowMs, expiresAtMs).changes > 0;
    return inserted ? token : null;
  }

  /**
   * A token a deployment supplies (a secret file): registered under `name` with `scopes`, never
   * expiring, by its hash. Idempotent: the same token and scopes again change nothing; another token or
   * other scopes under that name replace it (a rotated secret: the old token stops working). A token
   * already registered under another name is a conflict (its name is returned).
   */
  ensure(name: string, scopes: readonly TokenScope[], sha256Hex: string, nowMs = Date.now()): 'created' | 'unchanged' | 'replaced' | { conflict: string } {
    const joined = [...new Set(scopes)].join(',');
    // BEGIN IMMEDIATE: this reads before it writes, and a deferred transaction's lock upgrade fails at
    // once when another writer went first (two containers starting on one volume); this one waits.
    const run = this.db.transaction(() => {
      const other = this.s.nameOfHash.get(sha256Hex) as { name: string } | undefined;
      if (other !== undefined && other.name !== name) return { conflict: other.name };
      const row = this.s.stored.get(name) as { token_sha256: string; scopes: string; expires_at: number | null } | undefined;
      if (row === undefined) {
        this.s.insert.run(name, sha256Hex, joined, nowMs, null);
        return 'created' as const;
      }
      if (row.token_sha256 === sha256Hex && row.scopes === joined && row.expires_at === null) return 'unchanged' as const;
      this.s.replace.run(sha256Hex, joined, nowMs, name);
      return 'replaced' as const;
    });
    return run.immediate();
  }

  list(): ApiTokenRow[] {
    return (this.s.list.all() as Parameters<typeof tokenRow>[0][]).map(tokenRow);
  }

  /** Whether there was a token of that name. Its audit rows stay. */
  revoke(name: string): boolean {
    return this.s.remove.run(name).changes > 0;
  }

  /** Audited requests, in one transaction (the API buffers them: one write a second, not one a request). */
  recordUses(uses: readonly TokenUse[]): void {
    if (uses.length === 0) return;
    this.db.transaction(() => {
      for (const u of uses) {
        this.s.use.run(u.atMs, u.tokenName, u.method, u.route, u.path, u.status, u.client);
        if (u.tokenName !== null) this.s.lastUsed.run(u.atMs, u.tokenName);
      }
    })();
  }

  /** The audit, oldest first (tests, a future `auscult token audit`). */
  uses(): TokenUse[] {
    return this.db.prepare(
      'SELECT at AS atMs, token_name AS tokenName, method, route, path, status, client FROM api_token_uses ORDER BY id',
    ).all() as TokenUse[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
