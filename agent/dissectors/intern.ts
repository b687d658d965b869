/**
 * Equal facts share one fields object: the evidence stage serialises a fields object once and counts
 * its repeats cheaply (ObservationAggregator), so a client that sends the same User-Agent or the same
 * TLS hello a thousand times costs one serialisation, not a thousand.
 */
export class FieldsInterner<F extends object = object> {
  private readonly byKey = new Map<string, F>();

  constructor(private readonly max = 4096) {}

  /** The shared object equal to `fields` (which must not be changed afterwards). */
  intern<T extends F>(fields: T): T {
    let key = '';
    for (const k in fields) {
      const v: unknown = fields[k];
      if (v === undefined) continue;
      key += `${k}\u0001${Array.isArray(v) ? v.join('\u0002') : String(v)}\u0003`;
    }
    const known = this.byKey.get(key);
    if (known !== undefined) return known as T;
    if (this.byKey.size >= this.max) this.byKey.clear();
    this.byKey.set(key, fields);
    return fields;
  }
}

/** `fields` without its undefined entries (optional fields the message did not carry). */
export function definedFields<T extends object>(fields: T): T {
  const out = {} as T;
  for (const k in fields) if (fields[k] !== undefined) out[k] = fields[k];
  return out;
}
