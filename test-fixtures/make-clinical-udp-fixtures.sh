#!/usr/bin/env bash
# Records the clinical UDP discovery captures in test-fixtures/:
#   wsd-wsdd.pcap           WS-Discovery (2005 Microsoft namespace) from wsdd, a real implementation:
#                           a wsdd host announcing itself, a wsdd client discovering it, Bye on exit
#   wsd-sdc.pcap            IEEE 11073 SDC discovery (WS-Discovery 1.1, 2009 namespace), spec-built by
#                           clinical-udp/wsd_sdc.py: Hello, Probe/ProbeMatches, Resolve/ResolveMatches, Bye
#   intellivue-connect.pcap Philips IntelliVue Data Export Connect Indication broadcasts, spec-built by
#                           clinical-udp/intellivue_connect.py
#   bacnet-ip.pcap          BACnet/IP Who-Is/I-Am/Who-Has/I-Have, routed and BBMD-forwarded I-Am,
#                           spec-built by clinical-udp/bacnet_ip.py
# Every message crosses a real veth and Linux bridge between network namespaces (ausc-cu-<host>) and
# is recorded by tcpdump on the bridge; the specifications each script follows are cited in it.
# Run as root: sudo bash test-fixtures/make-clinical-udp-fixtures.sh   (idempotent; about 40 s)
# CLINICAL_UDP_ONLY="wsdd sdc" records only those captures (names as in the section headers below);
# CLINICAL_UDP_DEBUG=1 keeps the working directory (logs, captures) in /tmp.
#
# Topology (network namespaces ausc-cu-<name>, MACs fixed, OUIs real), IPv6 off:
#
#            ausc-cu-sw: Linux bridge br0 (no multicast snooping); tcpdump on br0
#     +-----------+-----------+-----------+-----------+-----------+
#    pacs        ws          vent        mon         bms         rtr
#    GE Health.  Intel       Draeger     Philips     Siemens BT  Johnson Controls
#    10.40.0.10  10.40.0.50  10.40.0.61  10.40.0.31  10.40.0.70  10.40.0.71
#    wsdd        wsdd -D,    SDC         IntelliVue  BACnet      BACnet router
#    (host)      SDC probe,  provider    Connect     device      and BBMD
#                BACnet                  Indication
#                client
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [python3]=python3 [wsdd]=wsdd [ethtool]=ethtool)
need_tools

TOOLS=$OUT/clinical-udp
P=ausc-cu
HOSTS=(sw pacs ws vent mon bms rtr)
declare -A MAC=(
  [pacs]=44:4b:5d:2e:00:10   # GE Healthcare
  [ws]=00:1b:21:2e:00:50     # Intel Corporate
  [vent]=00:30:e6:2e:00:61   # Draeger Medical Systems, Inc.
  [mon]=00:09:fb:2e:00:31    # Philips Patient Monitoring
  [bms]=00:05:19:2e:00:70    # Siemens Building Technologies AG
  [rtr]=00:10:8d:2e:00:71    # Johnson Controls, Inc.
)
declare -A IP=([pacs]=10.40.0.10 [ws]=10.40.0.50 [vent]=10.40.0.61 [mon]=10.40.0.31 [bms]=10.40.0.70 [rtr]=10.40.0.71)
BCAST=10.40.0.255
PY=$(command -v /usr/bin/python3 || command -v python3)
ONLY=${CLINICAL_UDP_ONLY:-wsdd sdc intellivue bacnet}

start_run CLINICAL_UDP_DEBUG

# ---------------------------------------------------------------- topology
make_hosts
# No multicast snooping: the bridge floods the WS-Discovery group like a switch without IGMP snooping.
make_bridge mcast_snooping 0
for h in pacs ws vent mon bms rtr; do
  # No offloads, as on a real wire: the kernel fills in every UDP checksum itself.
  attach_host "$h"
  x "$h" ip route add 224.0.0.0/4 dev eth0   # no default route: multicast leaves by eth0
done

# check_text FILE EXPECTED-SUBSTRING...: each string is in the UDP payloads (tshark 4.0 has no
# WS-Discovery dissector and shows them as data).
check_text() {
  local f=$1 out; shift
  out=$(tshark -n -r "$T/cap/$f" -T fields -e data.data 2>/dev/null \
    | "$PY" -c 'import sys; print("\n".join(bytes.fromhex(l.strip()).decode("utf-8", "replace") for l in sys.stdin if l.strip()))')
  for s in "$@"; do
    grep -qF -- "$s" <<<"$out" || { echo "$f: '$s' not found in its UDP payloads" >&2; exit 1; }
  done
}

# ------------------------------------------------------------------ wsdd
if want wsdd; then
log "wsd-wsdd.pcap: wsdd on pacs announces itself; wsdd --discovery on ws finds it; Bye when pacs's wsdd stops"
start_capture wsd-wsdd.pcap udp port 3702
# wsdd is run by Debian's python3 (a python3 earlier in PATH may not suit it).
# -t: no HTTP metadata service (its TCP exchange is not WS-Discovery); fixed UUID and names.
WSDD=("$PY" "$(command -v wsdd)")
bg pacs "${WSDD[@]}" -4 -t -i eth0 -U 0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b -n PACS-WARD3 -w WARD3 -v >"$T/pacs/wsdd.log" 2>&1
wait_for "$T/pacs/wsdd.log" 'Hello|scheduling'
sleep 1
# Discovery mode without host mode: ws only searches (Probe), as a Windows Explorer would.
bg ws "${WSDD[@]}" -4 -o -D -i eth0 -v >"$T/ws/wsdd.log" 2>&1
sleep 1
sleep 3
PACS_PID=${BG[0]}
kill -INT "$PACS_PID"; wait "$PACS_PID" 2>/dev/null || true   # wsdd sends Bye on shutdown
sleep 1
stop_captures
stop_bg
check_text wsd-wsdd.pcap "http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello" \
  "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe" "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches" \
  "http://schemas.xmlsoap.org/ws/2005/04/discovery/Bye" "urn:uuid:0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b" "pub:Computer"
fi

# ------------------------------------------------------------------- sdc
if want sdc; then
log "wsd-sdc.pcap: SDC provider on vent (Hello, ProbeMatches, ResolveMatches, Bye), consumer on ws (Probe, Resolve)"
start_capture wsd-sdc.pcap udp port 3702
bg vent "$PY" "$TOOLS/wsd_sdc.py" provider --ip "${IP[vent]}" --seconds 20 >"$T/vent/sdc.log" 2>&1
VENT_PID=${BG[0]}
wait_for "$T/vent/sdc.log" 'hello sent'
sleep 0.5
x ws "$PY" "$TOOLS/wsd_sdc.py" consumer --ip "${IP[ws]}" >"$T/ws/sdc.log" 2>&1 || { cat "$T/ws/sdc.log" "$T/vent/sdc.log" >&2; exit 1; }
kill -TERM "$VENT_PID"
wait_for "$T/vent/sdc.log" 'bye sent'
stop_captures
stop_bg
grep -q "ResolveMatches from 10.40.0.61: https://10.40.0.61:6464/sdc/" "$T/ws/sdc.log" || { cat "$T/ws/sdc.log" >&2; exit 1; }
check_text wsd-sdc.pcap "docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Hello" "2009/01/ProbeMatches" \
  "2009/01/ResolveMatches" "2009/01/Bye" "mdpws:MedicalDevice" "sdc.ctxt.loc:/sdc.ctxt.loc.detail/" \
  "urn:x-acme:bedside-context:detail/DOE%5EJANE%2F19450317" "sdc.ctxtpat:/1.2.3/DOE%5EJANE"
fi

# ------------------------------------------------------------ intellivue
if want intellivue; then
log "intellivue-connect.pcap: Connect Indication broadcasts from mon (the last one with planted patient attributes)"
start_capture intellivue-connect.pcap udp port 24005
x mon "$PY" "$TOOLS/intellivue_connect.py" --ip "${IP[mon]}" --mac "${MAC[mon]}" --count 2 --planted >"$T/mon/ci.log" 2>&1
stop_captures
check intellivue-connect.pcap "-T fields -e ip.src -e ip.dst -e udp.srcport -e udp.dstport" "10.40.0.31	10.40.0.255	24005	24005"
check intellivue-connect.pcap "-x" "Philips" "M8007A"
fi

# ---------------------------------------------------------------- bacnet
if want bacnet; then
log "bacnet-ip.pcap: Who-Is/I-Am, Who-Has/I-Have between ws and bms; routed and forwarded I-Am from rtr"
start_capture bacnet-ip.pcap udp port 47808
bg bms "$PY" "$TOOLS/bacnet_ip.py" device --ip "${IP[bms]}" --broadcast $BCAST --instance 4120 --vendor 7 --seconds 20 >"$T/bms/bacnet.log" 2>&1
sleep 1
x rtr "$PY" "$TOOLS/bacnet_ip.py" router --ip "${IP[rtr]}" --broadcast $BCAST >"$T/rtr/bacnet.log" 2>&1
sleep 0.5
x ws "$PY" "$TOOLS/bacnet_ip.py" client --ip "${IP[ws]}" --broadcast $BCAST --target "${IP[bms]}" >"$T/ws/bacnet.log" 2>&1 \
  || { cat "$T/ws/bacnet.log" "$T/bms/bacnet.log" >&2; exit 1; }
stop_captures
stop_bg
grep -q 'who-has from 10.40.0.50 answered' "$T/bms/bacnet.log" || { cat "$T/bms/bacnet.log" >&2; exit 1; }
# tshark's BACnet dissectors (bvlc, bacnet, bacapp) are an independent decoder of the same bytes.
check bacnet-ip.pcap "-V" "Function: Original-Broadcast-NPDU" "Function: Forwarded-NPDU" \
  "Function: Original-Unicast-NPDU" "i-Am" "who-Is" "who-Has" "i-Have" "device, 4120" "device, 5017" \
  "device, 241005" "Siemens" "Johnson Controls" "Automated Logic" "AHU-3 Supply Air Temp" "Source Network Address: 5" "10.41.0.5"
fi

# ------------------------------------------------------------------ done
copy_captures "$OUT" 24
