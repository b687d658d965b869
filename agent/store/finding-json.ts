/**
 * A finding and a device's risk block as users see them (CLI `--format json`, the API, the device
 * object's `findings[]` and `risk`). One TypeBox schema types the code and serialises API responses.
 */
import { Type, type Static } from 'typebox';

const Iso = (description: string) => Type.String({ format: 'date-time', description });
const NullableIso = (description: string) => Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });

export const FindingObservation = Type.Object({
  source: Type.String({ description: 'dissector of the observation' }),
  fields: Type.Record(Type.String(), Type.Unknown(), { description: 'the fields the finding rests on (never secrets: flags only)' }),
  first_seen: Iso('first packet carrying these facts'),
  last_seen: Iso('last packet carrying these facts'),
  count: Type.Integer(),
});

export const FindingPeer = Type.Object({
  role: Type.Union([Type.Literal('client'), Type.Literal('server')], { description: 'this device\'s role in the conversation' }),
  local_ip: Type.String(),
  peer_ip: Type.String(),
  peer_device_id: Type.Union([Type.Integer(), Type.Null()]),
  transport: Type.String(),
  port: Type.Integer({ description: 'server port' }),
  bytes_sent: Type.Integer({ description: 'bytes this device sent to the peer' }),
  bytes_received: Type.Integer(),
  tls: Type.Boolean({ description: 'a TLS handshake was seen on this conversation' }),
  first_seen: Iso('first packet'),
  last_seen: Iso('last packet'),
});

export const FindingEvidence = Type.Object({
  observations: Type.Array(FindingObservation, { description: 'observations of the device the finding rests on' }),
  peers: Type.Array(FindingPeer, { description: 'conversations involved: the other ends, ports and bytes' }),
  facts: Type.Array(Type.Object({ path: Type.String(), value: Type.Unknown() }), { description: 'device facts the conditions used (services, category...)' }),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'type-specific: the advisory match, the indicator, the end of support...' })),
});
export type FindingEvidence = Static<typeof FindingEvidence>;

export const FindingStatus = Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')], {
  description: 'open: counts in the risk score; acknowledged: an analyst accepted it (shown, not counted); resolved: its evidence no longer holds',
});
export type FindingStatus = Static<typeof FindingStatus>;

export const Finding = Type.Object({
  id: Type.Integer({ description: 'stable finding id' }),
  type: Type.String({ description: 'finding type id (fingerprints/findings/types.yaml)' }),
  key: Type.String({ description: 'what tells findings of one type apart on one device (advisory id, indicator); empty otherwise' }),
  title: Type.String(),
  severity: Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low'), Type.Literal('info')]),
  status: FindingStatus,
  points: Type.Number({ description: 'likelihood points while open' }),
  device_id: Type.Integer(),
  first_seen: Iso('capture time of its earliest evidence'),
  last_seen: Iso('capture time of its latest evidence'),
  evidence: FindingEvidence,
  remediation: Type.String(),
  references: Type.Array(Type.String()),
  ack_reason: Type.Union([Type.String(), Type.Null()], { description: 'why it was acknowledged (accepted risk)' }),
  acknowledged_at: NullableIso('when it was acknowledged (wall clock)'),
  resolved_at: NullableIso('when its evidence stopped supporting it (wall clock)'),
});
export type Finding = Static<typeof Finding>;

export const RiskFactor = Type.Object({
  kind: Type.Union([Type.Literal('likelihood'), Type.Literal('impact')]),
  factor: Type.String({ description: 'finding type (likelihood) or impact entry id (fingerprints/findings/risk.yaml)' }),
  points: Type.Number(),
  detail: Type.String({ description: 'why, in words' }),
  finding_id: Type.Optional(Type.Integer()),
});
export type RiskFactor = Static<typeof RiskFactor>;

export const Risk = Type.Object({
  score: Type.Integer({ minimum: 0, maximum: 100, description: 'round(likelihood x impact)' }),
  level: Type.String({ description: 'none, low, medium, high, critical (fingerprints/findings/risk.yaml)' }),
  likelihood: Type.Number({ minimum: 0, maximum: 10, description: 'sum of the open findings\' points, capped at 10' }),
  impact: Type.Number({ minimum: 0, maximum: 10, description: 'criticality base plus bonuses, capped at 10' }),
  factors: Type.Array(RiskFactor, { description: 'every factor with its points, largest first within each kind' }),
}, { description: 'README: Risk score' });
export type Risk = Static<typeof Risk>;

/** A device's risk before its findings were computed. */
export const NO_RISK: Risk = { score: 0, level: 'none', likelihood: 0, impact: 0, factors: [] };
