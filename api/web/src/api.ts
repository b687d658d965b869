/**
 * The API client: every screen reads through it, with the token the user signed in with. The token is
 * kept in sessionStorage (this browser tab's session only) and never put in a URL.
 */
const TOKEN_KEY = 'auscult.token';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(t: string): void {
  sessionStorage.setItem(TOKEN_KEY, t);
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

let onUnauthorised: (message: string) => void = () => {};

/** What happens when the API refuses the token (revoked, expired): back to the sign-in screen. */
export function whenUnauthorised(f: (message: string) => void): void {
  onUnauthorised = f;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== null && v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function request(path: string, q: Query = {}, accept = 'application/json'): Promise<Response> {
  const t = token();
  const res = await fetch(`${path}${queryString(q)}`, {
    headers: { accept, ...(t ? { authorization: `Bearer ${t}` } : {}) },
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { message?: string };
      if (body.message) message = body.message;
    } catch {
      // not JSON: keep the status line
    }
    if (res.status === 401) onUnauthorised(message);
    throw new ApiError(res.status, message);
  }
  return res;
}

export async function get<T>(path: string, q: Query = {}): Promise<T> {
  return (await request(path, q)).json() as Promise<T>;
}

export async function getText(path: string, q: Query, accept: string): Promise<Blob> {
  return (await request(path, q, accept)).blob();
}

/** Check a token before keeping it: the device list needs scope `read`. */
export async function verify(t: string): Promise<void> {
  const res = await fetch('/api/v1/summary', { headers: { authorization: `Bearer ${t}` }, credentials: 'omit', cache: 'no-store' });
  if (res.ok) return;
  let message = `${res.status} ${res.statusText}`;
  try {
    message = ((await res.json()) as { message?: string }).message ?? message;
  } catch {
    // keep the status line
  }
  throw new ApiError(res.status, message);
}

// The API's objects, as far as the page reads them.

export interface Signature { id: string; weight: number; value: unknown; matched: { path: string; value: unknown }[] }
export interface FieldResult { value: string | null; confidence: number; score: number; source: string; signatures: Signature[]; alternatives: { value: string; score: number }[] }
export interface Finding { id: string | number; type: string; severity: string; title: string; remediation?: string; status?: string; first_seen?: string; last_seen?: string; reference?: string; evidence?: unknown; ack_reason?: string | null }
export interface Risk { score: number; level: string; factors: { factor?: string; name?: string; points?: number; description?: string; [k: string]: unknown }[] }
export interface Device {
  id: number; mac: string | null; mac_vendor: string | null; kind: string; is_router: boolean;
  ips: { ip: string; version: number; sources: string[]; first_seen: string; last_seen: string; dhcp_lease_seconds: number | null }[];
  vlans: number[]; first_seen: string; last_seen: string; packets: number; bytes: number;
  services: { transport: string; port: number; flows: number; first_seen: string; last_seen: string }[];
  hostnames: { name: string; source: string }[];
  evidence: Record<string, Record<string, unknown[]>>;
  clinical: null | { protocols: { protocol: string; roles: string[]; cleartext: boolean; encrypted: boolean; first_seen: string | null; last_seen: string | null }[]; cleartext: boolean; facts: Record<string, Record<string, unknown[]>> };
  vendor: string | null; model: string | null; category: string; criticality: string | null; os: string | null; firmware: string | null;
  confidence: number; medical: boolean;
  classification: null | (Record<string, FieldResult | unknown> & { explanation?: unknown });
  findings?: Finding[];
  risk?: Risk | null;
  advisories?: { id: string; title?: string; status?: string; cves?: { id: string; cvss?: number }[]; remediation?: string }[];
}
export interface Peer { role: string; local_ip: string; peer_ip: string; peer_device_id: number | null; transport: string; port: number; flows: number; packets_sent: number; bytes_sent: number; packets_received: number; bytes_received: number; tls: boolean; first_seen: string; last_seen: string }
export interface DeviceDetail extends Device { peers: Peer[] }
export interface DeviceList { items: Device[]; next_cursor: string | null; limit: number; high_water?: number; total?: number }
export interface Summary { devices: number; medical: number; by_category: { category: string; devices: number }[] }
export interface AuscultEvent { id: string; seq: number; time: string; type: string; severity: string; device_id: number | null; summary: string; details: unknown }
export interface Health {
  status: string; devices: number;
  last_ingest: null | { source: string; kind: string; status: string; frames: number; kernel_drops: number | null; interface_drops: number | null; malformed: number; last_packet_at: string | null; updated_at: string | null };
}
