/**
 * The deployment files in docker/: the systemd unit's hardening as systemd-analyze rates it, the
 * launcher that finds Node for it, and the compose file's promises. The image and the unit under a
 * real systemd are proven by docker/test-image.sh (run by .ci/run, not by npm test: it builds images).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason, toolMissing } from '../testing/tools.js';

const root = join(import.meta.dirname, '..', '..');
const unitFile = join(root, 'docker', 'auscult.service');
const launcher = join(root, 'docker', 'auscult-launch');
const unit = readFileSync(unitFile, 'utf8');
const directive = (name: string) => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]);

function analyzeUnavailable(): string | undefined {
  const missing = toolMissing('systemd-analyze');
  if (missing) return missing;
  const r = spawnSync('systemd-analyze', ['security', '--help'], { encoding: 'utf8' });
  if (!r.stdout.includes('--offline')) return 'this systemd-analyze has no --offline (systemd < 250)';
  return undefined;
}
const noAnalyze = skipReason('unit exposure test', analyzeUnavailable());

describe('the systemd unit', () => {
  it.skipIf(noAnalyze !== undefined)('is rated an exposure of 4.0 or lower by systemd-analyze security --offline', () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unitFile], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for auscult\.service: ([\d.]+)/.exec(out)?.[1]);
    console.log(`systemd-analyze security --offline: exposure ${score}`);
    expect(score).toBeLessThanOrEqual(4.0);
    // --threshold is the same figure times ten; systemd-analyze exits non-zero above it.
    expect(spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=40', unitFile]).status).toBe(0);
  });

  it('takes its options from the config file, holds CAP_NET_RAW alone, and does not restart on a configuration error', () => {
    expect(directive('ExecStart')).toEqual(['/opt/auscult/docker/auscult-launch run --config /etc/auscult/auscult.yaml']);
    expect(unit).not.toMatch(/\/usr\/bin\/node|--interface|--port/);
    expect(directive('AmbientCapabilities')).toEqual(['CAP_NET_RAW']);
    expect(directive('CapabilityBoundingSet')).toEqual(['CAP_NET_RAW']);
    expect(directive('RestartPreventExitStatus')).toEqual(['2']);
    expect(directive('DynamicUser')).toEqual(['yes']);
  });
});

describe('the launcher (docker/auscult-launch)', () => {
  let work: string;
  const fakeNode = (name: string, version: string) => {
    const path = join(work, name);
    writeFileSync(path, `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; else echo "ran: $*"; fi\n`);
    chmodSync(path, 0o755);
    return path;
  };
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'auscult-launch-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('starts auscult on the first Node >= 20.19, with --v8-pool-size=0 and the arguments', () => {
    for (const [version, ok] of [['v22.3.0', true], ['v20.19.0', true], ['v20.18.3', false], ['v18.19.0', false]] as const) {
      const r = spawnSync(launcher, ['run', '--config', '/etc/auscult/auscult.yaml'], {
        encoding: 'utf8', env: { ...process.env, AUSCULT_NODE: fakeNode(`node-${version}`, version) },
      });
      if (ok) expect(r.stdout, version).toBe(`ran: --v8-pool-size=0 ${root}/dist/agent/cli.js run --config /etc/auscult/auscult.yaml\n`);
      else expect(r.stdout, version).not.toMatch(/--v8-pool-size/);
    }
  });

  // Hiding every Node of this machine needs a private mount namespace: root.
  const noUnshare = skipReason('launcher failure test', process.getuid?.() === 0 ? undefined : 'needs root (a private mount namespace)',
    toolMissing('unshare'));
  it.skipIf(noUnshare !== undefined)('without a usable Node: exit 2 and what it tried, at priority err under systemd', () => {
    const old = fakeNode('node-old', 'v18.19.0');
    const binds = ['/opt/auscult/node/bin/node', '/usr/local/bin/node', '/usr/bin/node']
      .filter((p) => existsSync(p))
      .map((p) => `mount --bind ${old} ${p}`)
      .join(' && ');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `${binds || 'true'} && exec ${launcher} --version`], {
      encoding: 'utf8', env: { ...process.env, AUSCULT_NODE: '', JOURNAL_STREAM: '1:2' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^<3>auscult: no Node\.js >= 20\.19 found \(tried:.*\); install Node 20 LTS for auscult in \/opt\/auscult\/node/);
    if (existsSync('/usr/bin/node')) expect(r.stderr).toMatch(/\/usr\/bin\/node \(v18\.19\.0\)/);
  });
});

describe('the compose file', () => {
  const compose = parse(readFileSync(join(root, 'docker', 'compose.yaml'), 'utf8')) as {
    services: { auscult: Record<string, unknown> & { environment: Record<string, string>; command: string[] } };
  };
  const svc = compose.services.auscult;

  it('host network, CAP_NET_RAW alone, file capabilities usable, the database in a volume', () => {
    expect(svc.network_mode).toBe('host');
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.cap_add).toEqual(['NET_RAW']);
    expect(JSON.stringify(svc.security_opt ?? [])).not.toMatch(/no-new-privileges/);
    expect(svc.volumes).toContain('auscult-data:/data');
  });

  it('binds the API to a management address that must be given, over HTTPS from secrets, with the health check following it', () => {
    expect(svc.command).toEqual(['run', '--host', expect.stringMatching(/^\$\{AUSCULT_API_HOST:\?/),
      '--tls-cert', '/run/secrets/auscult_tls_cert', '--tls-key', '/run/secrets/auscult_tls_key']);
    expect(svc.secrets).toEqual(['auscult_tls_cert', 'auscult_tls_key', 'auscult_api_token']);
    expect(svc.environment.AUSCULT_HEALTH_URL).toBe('https://${AUSCULT_API_HOST}:8080/health');
    expect(svc.environment.NODE_EXTRA_CA_CERTS).toBe('/run/secrets/auscult_tls_cert');
    expect(svc.environment.AUSCULT_CONFIG).toBe('/etc/auscult/auscult.yaml');
  });

  it('takes the API token from a secret, by its file', () => {
    expect(svc.environment.AUSCULT_TOKEN_FILE).toBe('/run/secrets/auscult_api_token');
    expect((compose as unknown as { secrets: Record<string, { file: string }> }).secrets.auscult_api_token).toEqual({ file: './secrets/api-token' });
  });
});
