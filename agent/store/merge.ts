/**
 * Folding one device into another: every row of `from` (addresses, VLANs, services, evidence, host
 * names, conversations, traffic) is added to `into`, then `from` is deleted, leaving a tombstone that
 * names `into` for the change feed (change-log.ts). Used when a routed device turns out to be the
 * router's own address (see Store.reclaimRoutedAddress).
 */
import type Database from 'better-sqlite3';

/**
 * One statement per table; `@from` and `@into` are device ids, `@seq` the tombstone's sequence value and
 * `@removedAt` the wall-clock time. SELECT ... WHERE true: SQLite's
 * upsert-from-select needs a WHERE. A new table that names devices must be added here (merge.test.ts).
 */
export const MERGE_SQL: readonly string[] = [
  `UPDATE devices SET
     packets_sent = packets_sent + (SELECT packets_sent FROM devices WHERE id = @from),
     bytes_sent = bytes_sent + (SELECT bytes_sent FROM devices WHERE id = @from),
     packets_received = packets_received + (SELECT packets_received FROM devices WHERE id = @from),
     bytes_received = bytes_received + (SELECT bytes_received FROM devices WHERE id = @from),
     first_seen = min(first_seen, (SELECT first_seen FROM devices WHERE id = @from)),
     last_seen = max(last_seen, (SELECT last_seen FROM devices WHERE id = @from))
   WHERE id = @into`,
  `INSERT INTO device_ips (device_id, ip, version, seen_arp, seen_ndp, seen_dhcp, seen_dhcpv6, seen_lldp, seen_cdp, seen_traffic,
     dhcp_lease_seconds, first_seen, last_seen, packets_sent, bytes_sent, packets_received, bytes_received)
   SELECT @into, ip, version, seen_arp, seen_ndp, seen_dhcp, seen_dhcpv6, seen_lldp, seen_cdp, seen_traffic,
     dhcp_lease_seconds, first_seen, last_seen, packets_sent, bytes_sent, packets_received, bytes_received
   FROM device_ips WHERE device_id = @from AND true
   ON CONFLICT (device_id, ip) DO UPDATE SET
     seen_arp = max(seen_arp, excluded.seen_arp), seen_ndp = max(seen_ndp, excluded.seen_ndp),
     seen_dhcp = max(seen_dhcp, excluded.seen_dhcp), seen_dhcpv6 = max(seen_dhcpv6, excluded.seen_dhcpv6), seen_lldp = max(seen_lldp, excluded.seen_lldp),
     seen_cdp = max(seen_cdp, excluded.seen_cdp),
     seen_traffic = max(seen_traffic, excluded.seen_traffic),
     dhcp_lease_seconds = coalesce(dhcp_lease_seconds, excluded.dhcp_lease_seconds),
     first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
     packets_sent = packets_sent + excluded.packets_sent, bytes_sent = bytes_sent + excluded.bytes_sent,
     packets_received = packets_received + excluded.packets_received, bytes_received = bytes_received + excluded.bytes_received`,
  `DELETE FROM device_ips WHERE device_id = @from`,
  `INSERT INTO device_vlans (device_id, vlan, first_seen, last_seen)
   SELECT @into, vlan, first_seen, last_seen FROM device_vlans WHERE device_id = @from AND true
   ON CONFLICT (device_id, vlan) DO UPDATE SET
     first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
  `DELETE FROM device_vlans WHERE device_id = @from`,
  `INSERT INTO services (device_id, transport, port, flows, first_seen, last_seen)
   SELECT @into, transport, port, flows, first_seen, last_seen FROM services WHERE device_id = @from AND true
   ON CONFLICT (device_id, transport, port) DO UPDATE SET flows = flows + excluded.flows,
     first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
  `DELETE FROM services WHERE device_id = @from`,
  `INSERT INTO observations (device_id, source, fields_hash, fields, first_seen, last_seen, count)
   SELECT @into, source, fields_hash, fields, first_seen, last_seen, count FROM observations WHERE device_id = @from AND true
   ON CONFLICT (device_id, source, fields_hash) DO UPDATE SET count = count + excluded.count,
     first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
  `DELETE FROM observations WHERE device_id = @from`,
  `INSERT INTO device_hostnames (device_id, name)
   SELECT @into, name FROM device_hostnames WHERE device_id = @from AND true ORDER BY id
   ON CONFLICT (device_id, name) DO NOTHING`,
  `DELETE FROM device_hostnames WHERE device_id = @from`,
  // Conversations: as client, then as server (a conversation with itself is moved by both).
  ...(['client', 'server'] as const).flatMap((side) => {
    const other = side === 'client' ? 'server' : 'client';
    return [
      `INSERT INTO edges (${side}_device_id, ${other}_device_id, client_ip, server_ip, transport, port, flows,
         packets_to_server, bytes_to_server, packets_to_client, bytes_to_client, first_seen, last_seen, tls)
       SELECT @into, ${other}_device_id, client_ip, server_ip, transport, port, flows,
         packets_to_server, bytes_to_server, packets_to_client, bytes_to_client, first_seen, last_seen, tls
       FROM edges WHERE ${side}_device_id = @from AND true
       ON CONFLICT (client_device_id, server_device_id, client_ip, server_ip, transport, port) DO UPDATE SET
         flows = flows + excluded.flows,
         packets_to_server = packets_to_server + excluded.packets_to_server, bytes_to_server = bytes_to_server + excluded.bytes_to_server,
         packets_to_client = packets_to_client + excluded.packets_to_client, bytes_to_client = bytes_to_client + excluded.bytes_to_client,
         first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen), tls = max(tls, excluded.tls)`,
      `DELETE FROM edges WHERE ${side}_device_id = @from`,
    ];
  }),
  // Events stay history; those about `from` now name the device it became.
  `UPDATE events SET device_id = @into WHERE device_id = @from`,
  ...(['sender', 'receiver'] as const).flatMap((side) => {
    const other = side === 'sender' ? 'receiver' : 'sender';
    return [
      `INSERT INTO instance_sightings (instance_key, ${side}_device_id, ${other}_device_id, first_seen)
       SELECT instance_key, @into, ${other}_device_id, first_seen FROM instance_sightings WHERE ${side}_device_id = @from AND true
       ON CONFLICT (instance_key, sender_device_id, receiver_device_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`,
      `DELETE FROM instance_sightings WHERE ${side}_device_id = @from`,
    ];
  }),
  // Devices derived from `from`'s messages now come from `into`'s.
  `UPDATE devices SET derived_from_device_id = @into WHERE derived_from_device_id = @from`,
  // Classified again with the merged evidence (the caller marks `into` changed).
  `DELETE FROM classifications WHERE device_id = @from`,
  // Findings keep their status (an acknowledgement holds for the merged device); its risk is computed again.
  `UPDATE OR IGNORE findings SET device_id = @into WHERE device_id = @from`,
  `DELETE FROM findings WHERE device_id = @from`,
  `DELETE FROM device_risk WHERE device_id = @from`,
  // Its stored text (device-texts.ts) goes with it.
  `DELETE FROM device_texts WHERE device_id = @from`,
  `DELETE FROM devices WHERE id = @from`,
  `INSERT INTO device_tombstones (seq, device_id, merged_into, removed_at) VALUES (@seq, @from, @into, @removedAt)`,
];

/**
 * Prepared once per connection: fold device `from` into device `into` (call inside a transaction);
 * `seq` is the tombstone's sequence value.
 */
export function deviceMerger(db: Database.Database): (from: number, into: number, seq: number) => void {
  const statements = MERGE_SQL.map((sql) => db.prepare(sql));
  return (from, into, seq) => {
    const all: Record<string, number> = { from, into, seq, removedAt: Date.now() };
    for (const st of statements) {
      // Each statement names only the parameters it uses.
      const params: Record<string, number> = {};
      for (const name of Object.keys(all)) if (st.source.includes(`@${name}`)) params[name] = all[name];
      st.run(params);
    }
  };
}
