// npm postinstall: apply patches/ (patch-package) and rebuild the optional `pcap` binding with them.
// Plain CommonJS because it runs before the TypeScript build. Never fails the install: without
// libpcap-dev the binding is absent, and files and the API still work.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..', '..');
const say = (msg) => process.stderr.write(`auscult postinstall: ${msg}\n`);
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' }).status === 0;

if (!existsSync(join(root, 'node_modules', 'pcap', 'package.json'))) {
  say('the optional pcap binding is not installed (is libpcap-dev missing?). Reading captures and the API work;');
  say('for live capture: apt-get install libpcap-dev, then run npm ci again.');
} else if (!existsSync(join(root, 'node_modules', 'patch-package'))) {
  say('patch-package is not installed (production install?): pcap is left as published, and may keep a stopped capture alive.');
} else if (!run(process.execPath, [join(root, 'node_modules', 'patch-package', 'index.js')]) || !run('npm', ['rebuild', 'pcap'])) {
  say('patching or rebuilding pcap failed: live capture may be unavailable; run npm ci again after fixing the error above.');
}
