#!/usr/bin/env bash
# Records test-fixtures/dicom-relay.pcap: an ultrasound image relayed by an archive back to the scanner
# that made it, with real DICOM software on both hosts (issue 13.6, DICOM role direction).
#   1. us   (Philips MAC): dcmtk storescu C-STOREs a US image (Manufacturer Philips, model EPIQ 7G, a serial
#           and software versions; dicom-inputs/us-image.dump) to Orthanc on orth :4242.
#   2. orth (FUJIFILM Healthcare MAC): Orthanc, asked over its REST API on its own loopback (not captured),
#           C-STOREs the same instance (same SOP Instance UID) to dcmtk storescp on the scanner's host :11112.
# On the wire both senders look alike (dcmtk's implementation UID, storage contexts proposed, no Q/R):
# only the order of the two sightings of one SOP Instance UID, and who answers as a Storage SCP, tell the
# modality from the archive. The image's planted patient data (DOE^JANE, MRN-4711-PLANTED...) must never
# leave the dissector, and its SOP Instance UID is kept only as a salted hash.
# Run as root: sudo bash test-fixtures/make-dicom-relay-fixtures.sh   (idempotent; about ten seconds)
# DICOM_RELAY_DEBUG=1 keeps the working directory in /tmp.
#
# Topology (network namespaces i13dcm-<name>; MACs fixed, OUIs real):
#
#        i13dcm-sw: Linux bridge br0 = the switch; tcpdump on br0 sees every frame
#     +-------------------------------+
#    us                              orth
#    Philips Healthcare PCCI         FUJIFILM Healthcare
#    7c:94:b2:13:06:20               84:11:c2:30:13:06
#    10.41.0.20                      10.41.0.11
#    storescu (the scanner),         Orthanc :4242 (REST on its loopback)
#    storescp :11112 (its store)
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [curl]=curl [python3]=python3 [ethtool]=ethtool
  [storescu]=dcmtk [storescp]=dcmtk [dump2dcm]=dcmtk [dcmdump]=dcmtk [Orthanc]=orthanc)
need_tools

P=i13dcm
HOSTS=(sw us orth)
declare -A MAC=(
  [us]=7c:94:b2:13:06:20     # Philips Healthcare PCCI (IEEE 7C94B2)
  [orth]=84:11:c2:30:13:06   # FUJIFILM Healthcare Corporation (IEEE MA-M 8411C23)
)
declare -A IP=([us]=10.41.0.20 [orth]=10.41.0.11)
ONLY=relay
TCPDUMP_OPTS=(-B 16384)
CAPTURE_NO_DROPS=1

start_run DICOM_RELAY_DEBUG

make_hosts
make_bridge mcast_snooping 1
for h in us orth; do attach_host "$h"; done
DCMD="-d tcp.port==4242,dicom -d tcp.port==11112,dicom"

# ------------------------------------------------------------- the image
python3 -c "
import sys
sys.stdout.buffer.write(bytes(((x * 3 + y * 5) % 256) for y in range(64) for x in range(64)))
" >"$T/us-pixels.raw"
(cd "$T" && dump2dcm -q +te "$OUT/dicom-inputs/us-image.dump" "$T/us.dcm")
grep -q 'EPIQ 7G' <(dcmdump "$T/us.dcm") || { echo "dump2dcm did not make the US image" >&2; exit 1; }
UID_PLANTED=2.25.299792458602214076662607015141592653

# ---------------------------------------------------------------- orthanc
mkdir -p "$T/orth/db"
cat >"$T/orth/orthanc.json" <<JSON
{
  "Name": "radiology-orthanc",
  "StorageDirectory": "$T/orth/db",
  "IndexDirectory": "$T/orth/db",
  "Plugins": [],
  "DicomServerEnabled": true,
  "DicomAet": "ORTHANC_RAD",
  "DicomPort": 4242,
  "DicomCheckCalledAet": true,
  "DicomAlwaysAllowEcho": true,
  "DicomAlwaysAllowStore": true,
  "DicomModalities": { "scanner": [ "EPIQ_STORE", "10.41.0.20", 11112 ] },
  "HttpServerEnabled": true,
  "HttpPort": 8042,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "StableAge": 1,
  "ConcurrentJobs": 1
}
JSON

if want relay; then
log "dicom-relay.pcap: storescu on us -> Orthanc on orth :4242; Orthanc -> storescp on us :11112 (same instance)"
mkdir -p "$T/us/store"
bg us storescp --aetitle EPIQ_STORE -od "$T/us/store" 11112 >"$T/us/storescp.log" 2>&1
bg orth Orthanc --logdir="$T/orth" "$T/orth/orthanc.json"
wait_port us 11112
wait_port orth 4242
wait_port orth 8042
fresh_arp
start_capture dicom-relay.pcap tcp and not host 127.0.0.1
x us storescu -v -aet EPIQ_US2 -aec ORTHANC_RAD 10.41.0.11 4242 "$T/us.dcm" >"$T/us/storescu.log" 2>&1
sleep 1
# The archive forwards the instance it received: Orthanc's REST API on its loopback (not on the wire).
x orth curl -sf http://127.0.0.1:8042/instances >"$T/orth/instances.json"
ID=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[0])" "$T/orth/instances.json")
x orth curl -sf -X POST -d "$ID" http://127.0.0.1:8042/modalities/scanner/store >"$T/orth/store.json"
stop_captures
stop_bg
grep -q 'Received Store Response (Success)' "$T/us/storescu.log" || { cat "$T/us/storescu.log" >&2; exit 1; }
grep -q "$UID_PLANTED" <(dcmdump "$T"/us/store/*) || { echo "storescp on us stored nothing" >&2; cat "$T/orth/store.json" >&2; exit 1; }
check dicom-relay.pcap "$DCMD -V" "EPIQ_US2" "ORTHANC_RAD" "EPIQ_STORE" "C-STORE-RQ" "C-STORE-RSP" "1.2.840.10008.5.1.4.1.1.6.1"
# The same instance on the wire: the scanner's C-STORE-RQ (and Orthanc's response), then Orthanc's.
senders=$(tshark -n -r "$T/cap/dicom-relay.pcap" -Y "frame contains \"$UID_PLANTED\"" -T fields -e eth.src | tr '\n' ' ')
[[ $senders == "${MAC[us]} ${MAC[orth]} ${MAC[orth]} ${MAC[us]} " ]] || { echo "unexpected senders of the instance: $senders" >&2; exit 1; }
fi

copy_captures "$OUT" 22
