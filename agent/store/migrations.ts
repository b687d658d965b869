/**
 * Versioned schema. `PRAGMA user_version` holds the version applied; each migration runs once, in a
 * transaction, in order. Never edit a released migration: add the next one.
 *
 * Times are integer milliseconds since the Unix epoch (capture time, not wall-clock time).
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'devices, addresses over time, VLANs, services, communication edges, ingest runs',
    sql: `
      CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        mac TEXT UNIQUE,                          -- set for devices seen at layer 2 (aa:bb:cc:dd:ee:ff)
        routed_ip TEXT UNIQUE,                    -- set for devices known only by IP (behind a router)
        mac_vendor TEXT,                          -- IEEE registry organisation, or "(locally administered)"
        mac_locally_administered INTEGER NOT NULL DEFAULT 0,
        is_router INTEGER NOT NULL DEFAULT 0,     -- the MAC sources many IPs: it forwards traffic
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        packets_sent INTEGER NOT NULL DEFAULT 0,
        bytes_sent INTEGER NOT NULL DEFAULT 0,
        packets_received INTEGER NOT NULL DEFAULT 0,
        bytes_received INTEGER NOT NULL DEFAULT 0,
        CHECK (mac IS NOT NULL OR routed_ip IS NOT NULL)
      );
      CREATE INDEX devices_last_seen ON devices(last_seen);
      CREATE INDEX devices_vendor ON devices(mac_vendor);

      CREATE TABLE device_ips (
        device_id INTEGER NOT NULL REFERENCES devices(id),
        ip TEXT NOT NULL,
        version INTEGER NOT NULL,
        seen_arp INTEGER NOT NULL DEFAULT 0,      -- bound by an ARP packet (sender MAC and IP)
        seen_dhcp INTEGER NOT NULL DEFAULT 0,     -- assigned by a DHCP ACK to this client MAC
        seen_traffic INTEGER NOT NULL DEFAULT 0,  -- sourced IP traffic with this MAC
        dhcp_lease_seconds INTEGER,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        packets_sent INTEGER NOT NULL DEFAULT 0,
        bytes_sent INTEGER NOT NULL DEFAULT 0,
        packets_received INTEGER NOT NULL DEFAULT 0,
        bytes_received INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (device_id, ip)
      ) WITHOUT ROWID;
      CREATE INDEX device_ips_ip ON device_ips(ip, last_seen);

      CREATE TABLE device_vlans (
        device_id INTEGER NOT NULL REFERENCES devices(id),
        vlan INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (device_id, vlan)
      ) WITHOUT ROWID;

      CREATE TABLE services (
        device_id INTEGER NOT NULL REFERENCES devices(id),
        transport TEXT NOT NULL,                  -- tcp (answered a SYN) or udp (replied)
        port INTEGER NOT NULL,
        flows INTEGER NOT NULL DEFAULT 0,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (device_id, transport, port)
      ) WITHOUT ROWID;

      CREATE TABLE edges (
        client_device_id INTEGER NOT NULL,        -- 0 when the client is not a known device
        server_device_id INTEGER NOT NULL,        -- 0 when the server never answered
        client_ip TEXT NOT NULL,
        server_ip TEXT NOT NULL,
        transport TEXT NOT NULL,                  -- tcp, udp, icmp, icmpv6 or ip-N
        port INTEGER NOT NULL,                    -- server port (0 without ports)
        flows INTEGER NOT NULL DEFAULT 0,
        packets_to_server INTEGER NOT NULL DEFAULT 0,
        bytes_to_server INTEGER NOT NULL DEFAULT 0,
        packets_to_client INTEGER NOT NULL DEFAULT 0,
        bytes_to_client INTEGER NOT NULL DEFAULT 0,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (client_device_id, server_device_id, client_ip, server_ip, transport, port)
      ) WITHOUT ROWID;
      CREATE INDEX edges_server ON edges(server_device_id);

      CREATE TABLE ingests (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,                       -- file or live
        source TEXT NOT NULL,                     -- file name or interface
        started_at TEXT NOT NULL,                 -- wall clock, ISO 8601
        finished_at TEXT,
        status TEXT NOT NULL,                     -- running, complete, truncated, interrupted, failed
        frames INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        malformed INTEGER NOT NULL DEFAULT 0,
        unsupported INTEGER NOT NULL DEFAULT 0,
        flows INTEGER NOT NULL DEFAULT 0,
        kernel_drops INTEGER,
        interface_drops INTEGER,
        details TEXT                              -- JSON: malformed by reason, warnings
      );
    `,
  },
  {
    version: 2,
    description: 'observations: the evidence dissectors extract, deduplicated per device',
    sql: `
      CREATE TABLE observations (
        device_id INTEGER NOT NULL REFERENCES devices(id),
        source TEXT NOT NULL,                     -- dissector: dhcp, mdns, lldp, tls...
        fields_hash TEXT NOT NULL,                -- sha1 of fields, to deduplicate repeats
        fields TEXT NOT NULL,                     -- JSON object, keys sorted
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,         -- packets or messages that carried exactly these facts
        PRIMARY KEY (device_id, source, fields_hash)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    description: 'classifications: what the identification engine concluded about each device, and why',
    sql: `
      CREATE TABLE classifications (
        device_id INTEGER PRIMARY KEY REFERENCES devices(id),
        vendor TEXT,
        model TEXT,
        category TEXT NOT NULL,                   -- id from fingerprints/categories.yaml
        criticality TEXT,                         -- life-sustaining, diagnostic, supporting; null if not clinical
        os TEXT,
        firmware TEXT,
        medical INTEGER NOT NULL,
        confidence INTEGER NOT NULL,              -- 0..100
        result TEXT NOT NULL,                     -- JSON: the engine's Classification (fields, signatures, evidence)
        library_version TEXT NOT NULL,
        classified_at INTEGER NOT NULL            -- wall-clock ms
      );
      CREATE INDEX classifications_category ON classifications (category);
      CREATE INDEX classifications_medical ON classifications (medical);
    `,
  },
  {
    version: 4,
    description: 'edges: whether the conversation carried TLS (encrypted DICOM between known DICOM peers)',
    sql: `
      ALTER TABLE edges ADD COLUMN tls INTEGER NOT NULL DEFAULT 0;   -- a TLS handshake was seen on it
      CREATE INDEX edges_ips ON edges (client_ip, server_ip, port);
    `,
  },
  {
    version: 5,
    description: 'advisories: CSAF 2.0 security advisories (latest revision of each) and the network indicators they name',
    sql: `
      CREATE TABLE advisories (
        id TEXT PRIMARY KEY,                      -- document.tracking.id, e.g. ICSMA-20-254-01
        revision TEXT NOT NULL,                   -- document.tracking.version of the stored revision
        current_release_ms INTEGER NOT NULL,      -- document.tracking.current_release_date
        initial_release_ms INTEGER,
        title TEXT NOT NULL,
        publisher TEXT,
        vendors TEXT NOT NULL,                    -- JSON array: vendor names as the advisory spells them
        products TEXT NOT NULL,                   -- JSON array: distinct product names
        cve_count INTEGER NOT NULL,
        max_cvss REAL,                            -- highest CVSS base score, null when none
        source TEXT NOT NULL,                     -- file name it was imported from
        sha256 TEXT NOT NULL,                     -- of that file
        format INTEGER NOT NULL,                  -- shape of the advisory JSON (agent/risk/csaf.ts ADVISORY_FORMAT)
        advisory TEXT NOT NULL,                   -- JSON: the normalised advisory (agent/risk/csaf.ts Advisory)
        imported_at_ms INTEGER NOT NULL           -- wall clock
      );
      CREATE TABLE advisory_indicators (
        advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
        indicator TEXT NOT NULL,                  -- address or CIDR range the advisory tells to block
        ip_version INTEGER NOT NULL,
        prefix_length INTEGER NOT NULL,
        source TEXT NOT NULL,                     -- remediation (category), vulnerability note, document note
        cve TEXT,
        context TEXT NOT NULL,                    -- the sentence naming it
        PRIMARY KEY (advisory_id, indicator)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    description: 'ingests: why a run is incomplete, file fingerprints, the writing process and its progress while it runs',
    sql: `
      ALTER TABLE ingests ADD COLUMN reason TEXT;          -- why it is not complete (incomplete, interrupted, failed)
      ALTER TABLE ingests ADD COLUMN fingerprint TEXT;     -- regular files: size and SHA-256 of the first MiB
      ALTER TABLE ingests ADD COLUMN owner TEXT;           -- the writing process: boot id, pid namespace, pid, start time
      ALTER TABLE ingests ADD COLUMN heartbeat_at TEXT;    -- wall clock of its last progress write, ISO 8601
      ALTER TABLE ingests ADD COLUMN last_packet_at INTEGER; -- capture time of the newest packet read, ms
      UPDATE ingests SET status = 'incomplete', reason = 'the file is truncated' WHERE status = 'truncated';
      CREATE INDEX ingests_fingerprint ON ingests (fingerprint) WHERE fingerprint IS NOT NULL;
    `,
  },
  {
    version: 7,
    description: 'events: what changed on the network, in the order it was written (own sequence), deduplicated by what it says',
    sql: `
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,    -- strictly increasing, assigned by the writing transaction, never reused
        id TEXT NOT NULL UNIQUE,                  -- content hash of type, subject and facts (agent/events/event-id.ts)
        time_ms INTEGER NOT NULL,                 -- capture time of what it reports
        type TEXT NOT NULL,                       -- agent/export/event.ts EVENT_TYPES
        severity INTEGER NOT NULL,                -- index in SEVERITIES: 0 info .. 4 critical
        device_id INTEGER,                        -- the device it is about; null for sensor-wide events
        summary TEXT NOT NULL,
        details TEXT NOT NULL                     -- JSON: EventDetails[type]
      );
      CREATE INDEX events_type ON events (type, seq);
      CREATE INDEX events_device ON events (device_id, seq) WHERE device_id IS NOT NULL;
    `,
  },
  {
    version: 8,
    description: 'instance sightings: which device sent a DICOM object to which, and when (a keyed hash of its UID, never the UID)',
    sql: `
      -- One secret per database: instance keys are HMAC-SHA-256(salt, SHA-256(UID)), so neither this file
      -- nor a copy of it can be matched against a list of UIDs without the salt beside them.
      CREATE TABLE instance_salt (salt BLOB NOT NULL);
      INSERT INTO instance_salt (salt) VALUES (randomblob(32));
      CREATE TABLE instance_sightings (
        instance_key BLOB NOT NULL,               -- 16 bytes of the keyed hash of the object's UID
        sender_device_id INTEGER NOT NULL REFERENCES devices(id),
        receiver_device_id INTEGER NOT NULL REFERENCES devices(id),
        first_seen INTEGER NOT NULL,              -- capture time of the earliest such sending, ms
        PRIMARY KEY (instance_key, sender_device_id, receiver_device_id)
      ) WITHOUT ROWID;
      CREATE INDEX instance_sightings_sender ON instance_sightings (sender_device_id);
      CREATE INDEX instance_sightings_receiver ON instance_sightings (receiver_device_id);
      CREATE INDEX instance_sightings_first_seen ON instance_sightings (first_seen);
    `,
  },
  {
    version: 9,
    description: 'API tokens (only a hash of each) and the audit of their use',
    sql: `
      CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,                -- chosen by whoever created it; what the audit names
        token_sha256 TEXT NOT NULL UNIQUE,        -- hex SHA-256 of the token: the token itself is never stored
        scopes TEXT NOT NULL,                     -- comma-separated: read, export, metrics, admin
        created_at INTEGER NOT NULL,              -- wall-clock ms
        expires_at INTEGER,                       -- wall-clock ms; null: never
        last_used_at INTEGER                      -- wall-clock ms of the newest audited use
      );
      CREATE TABLE api_token_uses (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,                      -- wall-clock ms
        token_name TEXT,                          -- null: no token, or one that is unknown, revoked or expired
        method TEXT NOT NULL,
        route TEXT NOT NULL,                      -- the route's pattern, e.g. /api/v1/devices/:id
        path TEXT NOT NULL,                       -- the path requested, without its query string
        status INTEGER NOT NULL,                  -- HTTP status answered (401, 403 for refusals)
        client TEXT NOT NULL                      -- remote address
      );
      CREATE INDEX api_token_uses_at ON api_token_uses (at);
    `,
  },
  {
    version: 10,
    description: 'capture_counters: a capture\'s counters as of its last flush, for /metrics and /health of a separate serve',
    sql: `
      CREATE TABLE capture_counters (
        ingest_id INTEGER PRIMARY KEY REFERENCES ingests(id),
        written_at_ms INTEGER NOT NULL,           -- wall clock of the flush that wrote them
        counters TEXT NOT NULL                    -- JSON: agent/store/capture-counters.ts CaptureCounters
      );
    `,
  },
  {
    version: 11,
    description: 'forward_positions: what each forwarding destination has accepted (the outbox position)',
    sql: `
      CREATE TABLE forward_positions (
        destination TEXT PRIMARY KEY,             -- e.g. syslog+relp://siem:2514 cef, splunk-hec https://splunk:8088 (never a token)
        delivered_seq INTEGER NOT NULL,           -- highest event seq the receiver accepted
        dropped INTEGER NOT NULL DEFAULT 0,       -- events retention removed before this destination had them
        snapshot_at_ms INTEGER,                   -- wall clock of the last full inventory snapshot sent
        updated_at_ms INTEGER NOT NULL            -- wall clock of the last change
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 12,
    description: 'change feed: one sequence per database stamping every device change, tombstones of devices removed or merged; host names indexed for substring search; VLAN index',
    sql: `
      -- The one sequence of the database: its last value handed out, and the highest tombstone
      -- sequence pruned (a feed client behind it must resync).
      CREATE TABLE change_sequence (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        value INTEGER NOT NULL,
        pruned_through INTEGER NOT NULL DEFAULT 0
      );
      ALTER TABLE devices ADD COLUMN change_seq INTEGER;   -- sequence value of the device's last change
      UPDATE devices SET change_seq = id;
      INSERT INTO change_sequence (id, value) VALUES (1, (SELECT coalesce(max(id), 0) FROM devices));
      CREATE UNIQUE INDEX devices_change_seq ON devices (change_seq);
      CREATE INDEX devices_first_seen ON devices (first_seen);

      CREATE TABLE device_tombstones (
        seq INTEGER PRIMARY KEY,                  -- sequence value of the removal
        device_id INTEGER NOT NULL,               -- the device removed (no longer in devices)
        merged_into INTEGER,                      -- the device it was folded into, null when simply removed
        removed_at INTEGER NOT NULL               -- wall-clock ms, for retention
      );

      -- Host names (an observation's convention field hostname), one row per device and name, with a
      -- trigram full-text index for case-insensitive substring search.
      CREATE TABLE device_hostnames (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL REFERENCES devices(id),
        name TEXT NOT NULL,
        UNIQUE (device_id, name)
      );
      CREATE VIRTUAL TABLE hostname_search USING fts5 (name, content = 'device_hostnames', content_rowid = 'id', tokenize = 'trigram');
      CREATE TRIGGER device_hostnames_insert AFTER INSERT ON device_hostnames BEGIN
        INSERT INTO hostname_search (rowid, name) VALUES (new.id, new.name);
      END;
      CREATE TRIGGER device_hostnames_delete AFTER DELETE ON device_hostnames BEGIN
        INSERT INTO hostname_search (hostname_search, rowid, name) VALUES ('delete', old.id, old.name);
      END;
      INSERT OR IGNORE INTO device_hostnames (device_id, name)
        SELECT device_id, fields ->> '$.hostname' FROM observations
        WHERE json_type(fields, '$.hostname') = 'text' AND fields ->> '$.hostname' <> '' ORDER BY device_id;

      CREATE INDEX device_vlans_vlan ON device_vlans (vlan, device_id);
    `,
  },
  {
    version: 13,
    description: 'addresses bound by DHCPv6 and NDP, reported by LLDP/CDP; devices derived from another device\'s message',
    sql: `
      ALTER TABLE device_ips ADD COLUMN seen_dhcpv6 INTEGER NOT NULL DEFAULT 0; -- given by a DHCPv6 REPLY to this client MAC
      ALTER TABLE device_ips ADD COLUMN seen_lldp INTEGER NOT NULL DEFAULT 0;   -- LLDP management address of this MAC (reported)
      ALTER TABLE device_ips ADD COLUMN seen_cdp INTEGER NOT NULL DEFAULT 0;    -- CDP address of this MAC (reported)
      ALTER TABLE device_ips ADD COLUMN seen_ndp INTEGER NOT NULL DEFAULT 0;    -- IPv6 neighbor advertisement (target, override flag)
      ALTER TABLE devices ADD COLUMN derived_from_device_id INTEGER;          -- known from this device's message (HL7 OBX-18)
      ALTER TABLE devices ADD COLUMN derived_protocol TEXT;                   -- protocol of that message: hl7
      ALTER TABLE devices ADD COLUMN derived_field TEXT;                      -- field the MAC was read from: OBX-18
      ALTER TABLE devices ADD COLUMN derived_message_type TEXT;               -- message type: ORU^R01
    `,
  },
  {
    version: 14,
    description: 'findings: security facts about devices with their evidence and status; device_risk: the risk score each device has',
    sql: `
      CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        type TEXT NOT NULL,                        -- finding type id (fingerprints/findings/types.yaml)
        key TEXT NOT NULL DEFAULT '',              -- what tells two findings of one type apart (advisory id, indicator)
        severity TEXT NOT NULL,                    -- critical, high, medium, low, info
        title TEXT NOT NULL,                       -- the type's title when last computed
        remediation TEXT NOT NULL,
        refs TEXT NOT NULL,                        -- JSON array: the type's references
        points REAL NOT NULL,                      -- likelihood points it adds while it counts
        evidence TEXT NOT NULL,                    -- JSON: observations, peers, facts it rests on (agent/risk/findings-json.ts)
        first_seen INTEGER NOT NULL,               -- capture time of its earliest evidence, ms
        last_seen INTEGER NOT NULL,                -- capture time of its latest evidence, ms
        status TEXT NOT NULL DEFAULT 'open',       -- open, acknowledged, resolved
        ack_reason TEXT,                           -- why an analyst acknowledged it (accepted risk)
        ack_at INTEGER,                            -- wall clock of the acknowledgement, ms
        resolved_at INTEGER,                       -- wall clock when its evidence stopped supporting it, ms
        UNIQUE (device_id, type, key)
      );
      CREATE INDEX findings_type ON findings (type, severity);
      CREATE TABLE device_risk (
        device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
        score INTEGER NOT NULL,                    -- 0..100 = likelihood x impact
        level TEXT NOT NULL,                       -- none, low, medium, high, critical
        likelihood REAL NOT NULL,                  -- 0..10
        impact REAL NOT NULL,                      -- 0..10
        factors TEXT NOT NULL                      -- JSON: the factors and their points
      ) WITHOUT ROWID;
      CREATE INDEX device_risk_score ON device_risk (score DESC, device_id);
    `,
  },
  {
    version: 16,
    description: 'events retention: when each event was stored; forwarding counters per destination (for /metrics)',
    sql: `
      -- Wall clock (ms) when the event was stored: retention counts from it, not from capture time (an
      -- old capture read today is today's news). Events stored before this migration count from now.
      ALTER TABLE events ADD COLUMN recorded_at_ms INTEGER;
      UPDATE events SET recorded_at_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);
      CREATE INDEX events_recorded ON events (recorded_at_ms);
      ALTER TABLE forward_positions ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;        -- events the receiver accepted, resends included
      ALTER TABLE forward_positions ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;      -- of which sent again after a reconnect (the resend window)
      ALTER TABLE forward_positions ADD COLUMN reconnects INTEGER NOT NULL DEFAULT 0;   -- connections opened again after a failure
    `,
  },
  {
    version: 17,
    description: 'vendor names: every vendor name devices have (MAC and identified), for the case-insensitive substring vendor filter; identified vendors indexed',
    sql: `
      -- The vendor filter matches its substring against these few names (hundreds, not 100 k devices),
      -- then reads the devices of the names matched through devices_vendor and classifications_vendor
      -- (agent/store/vendor-filter.ts). A superset is fine: a name no device has any more matches none,
      -- so only inserts and vendor changes add names, by trigger, in the transaction that writes them.
      CREATE TABLE vendor_names (name TEXT PRIMARY KEY) WITHOUT ROWID;
      INSERT OR IGNORE INTO vendor_names (name) SELECT DISTINCT mac_vendor FROM devices WHERE mac_vendor IS NOT NULL;
      INSERT OR IGNORE INTO vendor_names (name) SELECT DISTINCT vendor FROM classifications WHERE vendor IS NOT NULL;
      CREATE INDEX classifications_vendor ON classifications (vendor);
      CREATE TRIGGER devices_vendor_name AFTER INSERT ON devices WHEN new.mac_vendor IS NOT NULL BEGIN
        INSERT INTO vendor_names (name) SELECT new.mac_vendor WHERE NOT EXISTS (SELECT 1 FROM vendor_names WHERE name = new.mac_vendor);
      END;
      CREATE TRIGGER devices_vendor_name_update AFTER UPDATE OF mac_vendor ON devices WHEN new.mac_vendor IS NOT NULL BEGIN
        INSERT INTO vendor_names (name) SELECT new.mac_vendor WHERE NOT EXISTS (SELECT 1 FROM vendor_names WHERE name = new.mac_vendor);
      END;
      CREATE TRIGGER classifications_vendor_name AFTER INSERT ON classifications WHEN new.vendor IS NOT NULL BEGIN
        INSERT INTO vendor_names (name) SELECT new.vendor WHERE NOT EXISTS (SELECT 1 FROM vendor_names WHERE name = new.vendor);
      END;
      CREATE TRIGGER classifications_vendor_name_update AFTER UPDATE OF vendor ON classifications
        WHEN new.vendor IS NOT NULL AND new.vendor IS NOT old.vendor BEGIN
        INSERT INTO vendor_names (name) SELECT new.vendor WHERE NOT EXISTS (SELECT 1 FROM vendor_names WHERE name = new.vendor);
      END;
    `,
  },
  {
    version: 18,
    description: 'device texts: each device\'s JSON text as the API writes it, built when the device is written',
    sql: `
      -- The device object's JSON text (agent/store/device-texts.ts), as UTF-8, built in the transaction
      -- that stamps the device (change-log.ts) at its new change_seq (seq). A reader uses it only while
      -- seq equals devices.change_seq, else builds the text as before. The classification explanation
      -- (half a device's bytes) is not copied: it sits between before and after, spliced from
      -- classifications.result when read. Devices of a database migrated from 17 have none until a
      -- writer opens it (Store backfills them).
      CREATE TABLE device_texts (
        device_id INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL,
        before BLOB NOT NULL,                      -- '{"id":...' through '"classification":'
        after BLOB NOT NULL                        -- ',"findings":...' through the closing brace
      );
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
