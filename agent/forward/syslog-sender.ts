/**
 * Syslog over TCP (octet counting, RFC 6587), TLS (RFC 5425: the receiver's certificate verified
 * against a CA and its name) and UDP (RFC 5426, one message per datagram, best effort).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { octetCounted, udpDatagram } from '../export/syslog.js';
import type { Confirmation, Sender } from './sender.js';

export interface StreamTarget {
  host: string;
  port: number;
  /** TLS: PEM CA certificate(s) the receiver's certificate must chain to (default: the system's). */
  ca?: string | Buffer;
  tls?: boolean;
  connectTimeoutMs?: number;
}

/** TCP or TLS with octet-counted framing. Confirms only that the bytes were handed to the kernel. */
export class StreamSender implements Sender {
  readonly confirms: Confirmation = 'written';
  private socket: Socket | null = null;
  private failure: Error | null = null;

  constructor(private readonly target: StreamTarget) {}

  async connect(): Promise<void> {
    this.destroy();
    this.failure = null;
    const t = this.target;
    const socket = t.tls
      ? tlsConnect({ host: t.host, port: t.port, ca: t.ca, servername: isIpLiteral(t.host) ? undefined : t.host, rejectUnauthorized: true })
      : tcpConnect({ host: t.host, port: t.port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`connect to ${t.host}:${t.port} timed out`)), t.connectTimeoutMs ?? 5000);
      const ok = (): void => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve();
      };
      function fail(err: Error): void {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      }
      socket.once(t.tls ? 'secureConnect' : 'connect', ok);
      socket.once('error', fail);
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    // The receiver never sends: anything, or its end, means the connection is going away.
    socket.on('data', () => undefined);
    // Events of a connection given up earlier must not fail the current one.
    socket.on('error', (err) => {
      if (this.socket === socket) this.failure ??= err;
    });
    socket.on('close', () => {
      if (this.socket === socket) this.failure ??= new Error('connection closed by the receiver');
    });
    this.socket = socket;
  }

  async send(messages: readonly string[]): Promise<void> {
    const socket = this.socket;
    if (socket === null || this.failure !== null) throw this.failure ?? new Error('not connected');
    const frame = Buffer.concat(messages.map(octetCounted));
    await new Promise<void>((resolve, reject) => socket.write(frame, (err) => (err ? reject(err) : resolve())));
    if (this.failure !== null) throw this.failure;
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null || socket.destroyed) return;
    await new Promise<void>((resolve) => socket.end(resolve));
    socket.destroy();
  }

  destroy(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

const isIpLiteral = (host: string): boolean => /^[\d.]+$/.test(host) || host.includes(':');

/** UDP: one datagram per message; nothing confirms anything (README says so). */
export class UdpSender implements Sender {
  readonly confirms: Confirmation = 'none';
  private socket: UdpSocket | null = null;
  /** Messages cut to fit a datagram (RFC 5426 §3.2). */
  truncated = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async connect(): Promise<void> {
    this.destroy();
    const socket = createSocket(this.target.host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.target.port, this.target.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    this.socket = socket;
  }

  async send(messages: readonly string[]): Promise<void> {
    const socket = this.socket;
    if (socket === null) throw new Error('not connected');
    for (const m of messages) {
      const { datagram, truncated } = udpDatagram(m);
      if (truncated) this.truncated++;
      await new Promise<void>((resolve, reject) => socket.send(datagram, (err) => (err ? reject(err) : resolve())));
    }
  }

  async close(): Promise<void> {
    this.destroy();
  }

  destroy(): void {
    this.socket?.close();
    this.socket = null;
  }
}
