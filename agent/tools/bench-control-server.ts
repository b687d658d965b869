/**
 * bench:api's control: a plain `node:http` server that answers every request with the same buffer of
 * `bytes` bytes, started like `auscult serve` (own process, pinned the same way) and driven by the same
 * wrk load. Its latency is the floor the machine gives at that moment (the network, Node's HTTP, wrk,
 * other processes on the server's core): a route's p99 near the control's is the machine's, not auscult's.
 * Run as `node bench-control-server.js BYTES [HOST]` (HOST: 127.0.0.1 by default); prints
 * `control at http://HOST:PORT` once it listens.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { benchNodeFlags, type BenchServer } from './bench-db.js';
import { inNet, type BenchNet } from './bench-netns.js';

/**
 * The control server in its own process on `cpus` (in `net`), answering `bytes`-byte bodies, once it
 * listens; with the Node flags `auscult serve` runs with (its executable's `#!` line).
 */
export async function startControlServer(bytes: number, cpus: string | undefined, net?: BenchNet): Promise<BenchServer> {
  const control = [...benchNodeFlags(), fileURLToPath(import.meta.url), String(bytes), net?.host ?? '127.0.0.1'];
  const [command, args] = inNet(net, cpus, process.execPath, control);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      text += s;
      const m = /control at (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`control server exited ${code}: ${text}`)));
  });
  return { url, pid: child.pid ?? 0, stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const body = Buffer.alloc(Number(process.argv[2]), 'a');
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
  });
  const host = process.argv[3] ?? '127.0.0.1';
  server.listen(0, host, () => {
    process.stdout.write(`control at http://${host}:${(server.address() as AddressInfo).port}\n`);
  });
}
