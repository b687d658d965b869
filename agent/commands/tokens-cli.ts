/**
 * The `auscult token` command group (create, import, list, revoke). Its implementation
 * (agent/commands/tokens.ts, api/token-file.ts) is imported when one of its commands runs, as `demo`
 * imports it.
 */
import { Option, type Command } from 'commander';
import { dbPath } from '../config.js';
import { jsonTextForTerminal, linesForTerminal } from '../output/escape.js';
import { writeAll } from '../output/write.js';
import { TOKEN_SCOPES } from '../store/api-tokens.js';

const dbOption = () => new Option('--db <path>', 'SQLite database (default: $AUSCULT_DB or ./auscult.db)');

export function addTokenCommands(program: Command): void {
  const token = program.command('token').description('API bearer tokens: every API route but /health needs one');

  token
    .command('create')
    .description('create a token and print it, alone, on stdout (shown once: only its hash is stored)')
    .requiredOption('--name <name>', 'who or what uses it (a person, "splunk"...): the audit names it')
    .requiredOption('--scopes <list>', `comma-separated: ${TOKEN_SCOPES.join(', ')} (admin: all)`)
    .option('--expires <lifetime>', 'lifetime: 90d, 12h, 2w, or never', 'never')
    .addOption(dbOption())
    .action(async (o: { name: string; scopes: string; expires: string; db?: string }) => {
      const { createToken, parseExpiry, parseScopes, parseTokenName } = await import('./tokens.js');
      const name = parseTokenName(o.name);
      const nowMs = Date.now();
      const created = createToken(dbPath(o.db), name, parseScopes(o.scopes), parseExpiry(o.expires, nowMs), nowMs);
      await writeAll(process.stderr, linesForTerminal(created.summary) + '\n');
      await writeAll(process.stdout, created.token + '\n');
    });

  token
    .command('import')
    .description('register a token you hold in a file (a secret) by its hash: again with the same file changes nothing, with another file replaces the token of that name')
    .requiredOption('--name <name>', 'who or what uses it: the audit names it')
    .requiredOption('--scopes <list>', `comma-separated: ${TOKEN_SCOPES.join(', ')} (admin: all)`)
    .requiredOption('--from-file <file>', 'the file holding the token (never printed)')
    .addOption(dbOption())
    .action(async (o: { name: string; scopes: string; fromFile: string; db?: string }) => {
      const { ApiTokens } = await import('../store/api-tokens.js');
      const { registerTokenFile } = await import('../../api/token-file.js');
      const tokens = ApiTokens.open(dbPath(o.db));
      try {
        const line = registerTokenFile(tokens, { path: o.fromFile, name: o.name, scopes: o.scopes }, Date.now(), { name: '--name', scopes: '--scopes' });
        await writeAll(process.stderr, linesForTerminal(line) + '\n');
      } finally {
        tokens.close();
      }
    });

  token
    .command('list')
    .description('the tokens: name, scopes, created, expires, last used (never the tokens themselves)')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (o: { db?: string; format: 'table' | 'json' }) => {
      const { formatTokenList, listTokens } = await import('./tokens.js');
      const text = formatTokenList(listTokens(dbPath(o.db)), o.format);
      await writeAll(process.stdout, (o.format === 'json' ? jsonTextForTerminal(text) : linesForTerminal(text)) + '\n');
    });

  token
    .command('revoke')
    .description('delete a token: a running API refuses it from the next request on')
    .argument('<name>', 'the token\'s name')
    .addOption(dbOption())
    .action(async (name: string, o: { db?: string }) => {
      const { revokeToken } = await import('./tokens.js');
      revokeToken(dbPath(o.db), name);
      await writeAll(process.stderr, linesForTerminal(`revoked token ${name}`) + '\n');
    });
}
