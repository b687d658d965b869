#!/usr/bin/env bash
# Records the DICOM captures in test-fixtures/ (dicom-*.pcap): real DICOM upper layer (PS3.8)
# implementations talking to each other, each program in its own network namespace.
#   dicom-echo.pcap      dcmtk echoscu -> dcmtk storescp (C-ECHO on port 104)
#   dicom-store.pcap     dcmtk storescu -> dcmtk storescp on :11112, a CT image with planted patient data,
#                        maximum PDU 4096 (the data set spans several P-DATA-TF PDUs), implicit VR only.
#                        storescu proposes every storage SOP class it knows (128 presentation contexts):
#                        its A-ASSOCIATE-RQ is 9.6 KB, seven TCP segments, here and in the reject capture.
#   dicom-reject.pcap    two refused associations: dcmtk storescp --refuse (A-ASSOCIATE-RJ, no reason),
#                        and Orthanc checking the called AE title (called-AE-title-not-recognized)
#   dicom-orthanc.pcap   dcmtk storescu -> Orthanc :4242 (C-STORE, explicit VR), then Orthanc as SCU
#                        (C-ECHO to storescp, asked for over Orthanc's REST API on its loopback)
#   dicom-pixelmed.pcap  PixelMed (Java, no dcmtk on either side): StorageSOPClassSCU -> StorageSOPClassSCPDispatcher
#                        (C-STORE of the same CT image), VerificationSOPClassSCU -> the same SCP (C-ECHO), and once with a wrong
#                        called AE title, which PixelMed refuses. Orthanc networks through dcmtk (same
#                        implementation class UID): PixelMed is the independent implementation.
#   dicom-escaped.pcap   dcmtk storescu -> dcmtk storescp on :11112, a CT image in ISO 2022 code extensions (Specific
#                        Character Set \ISO 2022 IR 87): the patient's name planted in PS3.5 Annex H's three component
#                        groups (JIS X 0208 escape sequences) and in other person-name attributes, the Institution
#                        Name in JIS X 0208 (dicom-inputs/ct-image-iso2022.dump)
#   dicom-tls.pcap       DICOM over TLS (dcmtk built with OpenSSL, a throwaway self-signed certificate): ct -> pacs C-ECHO
#                        in clear on :104 (so they are known DICOM peers), then storescu +tls -> storescp +tls on :11114 (TLS
#                        between known DICOM peers on a non-standard port) and ws -> pacs echoscu +tls on :2762 (dicom-tls)
# Run as root: sudo bash test-fixtures/make-dicom-fixtures.sh   (idempotent; about half a minute)
# DICOM_ONLY="echo store" records only those captures; DICOM_DEBUG=1 keeps the working directory in /tmp.
#
# The CT image is made here from the text dump dicom-inputs/ct-image.dump (dump2dcm) and a pixel file
# the script writes: nothing is downloaded. Its patient name DOE^JANE, ID MRN-4711-PLANTED and birth
# date 19450317 are planted: the tests assert that they never leave the dissector.
#
# Topology (network namespaces ausc-dcm-<name>; MACs fixed, OUIs real):
#
#              ausc-dcm-sw: Linux bridge br0 = the switch; tcpdump on br0 sees every frame
#     +--------------+--------------+--------------+
#    ct             pacs           orth           ws
#    GE Healthcare  Carestream     Super Micro    Intel
#    10.40.0.20     10.40.0.10     10.40.0.11     10.40.0.50
#    storescu,      storescp :104  Orthanc :4242  echoscu,
#    PixelMed SCU   :105 :11112,   (REST on its   PixelMed
#                   PixelMed SCP   loopback)      VerificationSOPClassSCU
#                   :11113
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [curl]=curl [python3]=python3 [ethtool]=ethtool
  [storescu]=dcmtk [storescp]=dcmtk [echoscu]=dcmtk [dump2dcm]=dcmtk [dcmdump]=dcmtk [Orthanc]=orthanc
  [java]=default-jre-headless [/usr/share/java/pixelmed.jar]=libpixelmed-java)
need_tools

P=ausc-dcm
HOSTS=(sw ct pacs orth ws)
declare -A MAC=(
  [ct]=44:4b:5d:1e:40:20     # GE Healthcare
  [pacs]=00:1d:4a:1e:40:10   # Carestream Health
  [orth]=00:25:90:1e:40:11   # Super Micro Computer
  [ws]=00:1b:21:1e:40:50     # Intel Corporate
)
declare -A IP=([ct]=10.40.0.20 [pacs]=10.40.0.10 [orth]=10.40.0.11 [ws]=10.40.0.50)
ONLY=${DICOM_ONLY:-echo store escaped reject orthanc pixelmed tls}
PIXELMED=(java -Djava.util.prefs.userRoot=/tmp -cp /usr/share/java/pixelmed.jar)
# A bigger tcpdump buffer, and a capture in which tcpdump lost packets fails the run.
TCPDUMP_OPTS=(-B 16384)
CAPTURE_NO_DROPS=1

start_run DICOM_DEBUG

# ---------------------------------------------------------------- topology
make_hosts
make_bridge mcast_snooping 1   # the kernel's default
# No offloads, as on a real wire: the kernel fills every checksum and cuts TCP into MSS-sized
# segments itself, so a 4 KiB PDU really spans several segments in the capture.
for h in ct pacs orth ws; do attach_host "$h"; done

# tshark looks for DICOM on port 104 only unless told: these ports too.
DCMD="-d tcp.port==105,dicom -d tcp.port==4242,dicom -d tcp.port==11112,dicom -d tcp.port==11113,dicom"

# ------------------------------------------------------------- the image
# 64 x 64 pixels, 16 bits, a gradient; then the CT image from the committed dump, explicit VR.
python3 -c "
import struct, sys
sys.stdout.buffer.write(b''.join(struct.pack('<H', (x * 37 + y * 11) % 4096) for y in range(64) for x in range(64)))
" >"$T/ct-pixels.raw"
(cd "$T" && dump2dcm -q +te "$OUT/dicom-inputs/ct-image.dump" "$T/ct.dcm")
grep -q 'MRN-4711-PLANTED' <(dcmdump "$T/ct.dcm") || { echo "dump2dcm did not make the CT image" >&2; exit 1; }
# The same kind of image in ISO 2022 code extensions, its names in JIS X 0208 escape sequences.
(cd "$T" && dump2dcm -q +te "$OUT/dicom-inputs/ct-image-iso2022.dump" "$T/ct-iso2022.dcm")
grep -q 'ISO 2022 IR 87' <(dcmdump "$T/ct-iso2022.dcm") || { echo "dump2dcm did not make the ISO 2022 image" >&2; exit 1; }

# ------------------------------------------------------------------ echo
if want echo; then
log "dicom-echo.pcap: echoscu on ws -> storescp on pacs :104 (C-ECHO)"
mkdir -p "$T/pacs/echo"
bg pacs storescp --aetitle PACSARCH -od "$T/pacs/echo" 104 >"$T/pacs/storescp-104.log" 2>&1
wait_port pacs 104
fresh_arp
start_capture dicom-echo.pcap tcp
x ws echoscu -v -aet WS3VIEW -aec PACSARCH 10.40.0.10 104 >"$T/ws/echoscu.log" 2>&1
stop_captures
stop_bg
grep -q 'Received Echo Response (Success)' "$T/ws/echoscu.log" || { cat "$T/ws/echoscu.log" >&2; exit 1; }
check dicom-echo.pcap "$DCMD -V" "A-ASSOCIATE request" "A-ASSOCIATE accept" "WS3VIEW" "PACSARCH" "C-ECHO-RQ" \
  "C-ECHO-RSP" "A-RELEASE request" "OFFIS_DCMTK"
fi

# ----------------------------------------------------------------- store
if want store; then
log "dicom-store.pcap: storescu on ct -> storescp on pacs :11112 (C-STORE, max PDU 4096, implicit VR only)"
mkdir -p "$T/pacs/store"
# +xi: accept Implicit VR Little Endian only, so storescu converts the explicit-VR file as it sends it.
bg pacs storescp --aetitle PACSARCH --max-pdu 4096 +xi -od "$T/pacs/store" 11112 >"$T/pacs/storescp-11112.log" 2>&1
wait_port pacs 11112
fresh_arp
start_capture dicom-store.pcap tcp
x ct storescu -v -aet CT_ROOM3 -aec PACSARCH --max-pdu 4096 --max-send-pdu 4096 10.40.0.10 11112 "$T/ct.dcm" \
  >"$T/ct/storescu.log" 2>&1
stop_captures
stop_bg
grep -q 'Received Store Response (Success)' "$T/ct/storescu.log" || { cat "$T/ct/storescu.log" >&2; exit 1; }
grep -q 'CT99-0042-SN' <(dcmdump "$T"/pacs/store/CT*) || { echo "storescp stored nothing" >&2; exit 1; }
check dicom-store.pcap "$DCMD -V" "CT_ROOM3" "PACSARCH" "C-STORE-RQ" "C-STORE-RSP" "1.2.840.10008.5.1.4.1.1.2" \
  "Max PDU Length: 4096"
fi

# --------------------------------------------------------------- escaped
if want escaped; then
log "dicom-escaped.pcap: storescu on ct -> storescp on pacs :11112 (C-STORE of the ISO 2022 IR 87 image)"
mkdir -p "$T/pacs/escaped"
bg pacs storescp --aetitle PACSARCH -od "$T/pacs/escaped" 11112 >"$T/pacs/storescp-escaped.log" 2>&1
wait_port pacs 11112
fresh_arp
start_capture dicom-escaped.pcap tcp
x ct storescu -v -aet CT_ROOM4 -aec PACSARCH 10.40.0.10 11112 "$T/ct-iso2022.dcm" >"$T/ct/storescu-escaped.log" 2>&1
stop_captures
stop_bg
grep -q 'Received Store Response (Success)' "$T/ct/storescu-escaped.log" || { cat "$T/ct/storescu-escaped.log" >&2; exit 1; }
grep -q 'CT99-0043-SN' <(dcmdump "$T"/pacs/escaped/CT*) || { echo "storescp stored nothing" >&2; exit 1; }
grep -qaF $'\x1b$B;3ED' "$T/cap/dicom-escaped.pcap" || { echo "dicom-escaped.pcap: no JIS X 0208 name on the wire" >&2; exit 1; }
check dicom-escaped.pcap "$DCMD -V" "CT_ROOM4" "PACSARCH" "C-STORE-RQ" "C-STORE-RSP" "1.2.840.10008.5.1.4.1.1.2"
fi

# ---------------------------------------------------------------- orthanc
orthanc_config() {  # dir check-called-aet(true|false)
  mkdir -p "$1/db"
  cat >"$1/orthanc.json" <<EOF
{
  "Name": "ward3-orthanc",
  "StorageDirectory": "$1/db",
  "IndexDirectory": "$1/db",
  "Plugins": [],
  "DicomServerEnabled": true,
  "DicomAet": "ORTHANC_WARD3",
  "DicomPort": 4242,
  "DicomCheckCalledAet": $2,
  "DicomAlwaysAllowEcho": true,
  "DicomAlwaysAllowStore": true,
  "DicomModalities": { "pacs": [ "PACSARCH", "10.40.0.10", 104 ] },
  "HttpServerEnabled": true,
  "HttpPort": 8042,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "StableAge": 1,
  "ConcurrentJobs": 1
}
EOF
}
start_orthanc() {
  bg orth Orthanc --logdir="$T/orth" "$T/orth/orthanc.json"
  wait_port orth 4242
  wait_port orth 8042
}

# ----------------------------------------------------------------- reject
if want reject; then
log "dicom-reject.pcap: storescp --refuse on pacs :105; Orthanc on orth :4242 refusing a wrong called AE title"
bg pacs storescp --aetitle PACSARCH --refuse 105 >"$T/pacs/storescp-105.log" 2>&1
wait_port pacs 105
rm -rf "$T/orth"; mkdir -p "$T/orth"
orthanc_config "$T/orth" true
start_orthanc
fresh_arp
start_capture dicom-reject.pcap tcp
x ct storescu -v -aet CT_ROOM3 -aec PACSARCH 10.40.0.10 105 "$T/ct.dcm" >"$T/ct/refused.log" 2>&1 || true
x ws echoscu -v -aet WS3VIEW -aec NOT_ORTHANC 10.40.0.11 4242 >"$T/ws/wrong-aet.log" 2>&1 || true
stop_captures
stop_bg
grep -q 'Association Rejected' "$T/ct/refused.log" && grep -q 'Association Rejected' "$T/ws/wrong-aet.log" \
  || { cat "$T/ct/refused.log" "$T/ws/wrong-aet.log" >&2; exit 1; }
check dicom-reject.pcap "$DCMD -V" "A-ASSOCIATE reject" "NOT_ORTHANC" "CT_ROOM3" "Called AE title not recognized" "No reason given"
fi

# ---------------------------------------------------------------- orthanc
if want orthanc; then
log "dicom-orthanc.pcap: storescu on ct -> Orthanc on orth :4242 (C-STORE); Orthanc -> storescp on pacs :104 (C-ECHO)"
mkdir -p "$T/pacs/echo"
bg pacs storescp --aetitle PACSARCH -od "$T/pacs/echo" 104 >"$T/pacs/storescp-104b.log" 2>&1
wait_port pacs 104
rm -rf "$T/orth"; mkdir -p "$T/orth"
orthanc_config "$T/orth" true
start_orthanc
fresh_arp
start_capture dicom-orthanc.pcap tcp and not host 127.0.0.1
x ct storescu -v -aet CT_ROOM3 -aec ORTHANC_WARD3 10.40.0.11 4242 "$T/ct.dcm" >"$T/ct/orthanc-store.log" 2>&1
# Orthanc as the SCU: its REST API (on its own loopback, not captured) asks it to C-ECHO the PACS.
x orth curl -sf -X POST -d '{}' http://127.0.0.1:8042/modalities/pacs/echo >"$T/orth/echo.json" 2>&1
stop_captures
x orth curl -sf http://127.0.0.1:8042/instances >"$T/orth/instances.json"
stop_bg
grep -q 'Received Store Response (Success)' "$T/ct/orthanc-store.log" && grep -q '"' "$T/orth/instances.json" \
  || { cat "$T/ct/orthanc-store.log" "$T/orth/instances.json" >&2; exit 1; }
check dicom-orthanc.pcap "$DCMD -V" "ORTHANC_WARD3" "CT_ROOM3" "C-STORE-RQ" "C-STORE-RSP" "C-ECHO-RQ" "PACSARCH"
fi

# --------------------------------------------------------------- pixelmed
if want pixelmed; then
log "dicom-pixelmed.pcap: PixelMed StorageSOPClassSCU on ct and VerificationSOPClassSCU on ws -> PixelMed SCP on pacs :11113"
mkdir -p "$T/pacs/pixelmed"
# port, AE title, max PDU, receive and send buffer sizes, folder, no TLS.
bg pacs env -C "$T/pacs" "${PIXELMED[@]}" com.pixelmed.network.StorageSOPClassSCPDispatcher \
  11113 PIXELMED_SCP 16384 65536 65536 "$T/pacs/pixelmed" NONSECURE >"$T/pacs/pixelmed-scp.log" 2>&1
wait_port pacs 11113
fresh_arp
start_capture dicom-pixelmed.pcap tcp
# host, port, called AE, calling AE, file, compression level (0: none).
x ct "${PIXELMED[@]}" com.pixelmed.network.StorageSOPClassSCU 10.40.0.10 11113 PIXELMED_SCP CT_PIXELMED "$T/ct.dcm" 0 \
  >"$T/ct/pixelmed-scu.log" 2>&1
# host, port, called AE, calling AE (the order its usage text gives is the other way round).
x ws "${PIXELMED[@]}" com.pixelmed.network.VerificationSOPClassSCU 10.40.0.10 11113 PIXELMED_SCP WS3VIEW_PM NONSECURE \
  >"$T/ws/pixelmed-echo.log" 2>&1
# And a wrong called AE title, which PixelMed refuses (A-ASSOCIATE-RJ, called-AE-title-not-recognized).
x ws "${PIXELMED[@]}" com.pixelmed.network.VerificationSOPClassSCU 10.40.0.10 11113 NOT_PIXELMED WS3VIEW_PM NONSECURE \
  >"$T/ws/pixelmed-wrong-aet.log" 2>&1 || true
stop_captures
stop_bg
ls "$T/pacs/pixelmed"/* >/dev/null 2>&1 && ! grep -q 'not successful' "$T/ws/pixelmed-echo.log" \
  && grep -q 'called AE Title not recognized' "$T/ws/pixelmed-wrong-aet.log" \
  || { cat "$T/ct/pixelmed-scu.log" "$T/ws"/pixelmed-*.log "$T/pacs/pixelmed-scp.log" >&2; exit 1; }
check dicom-pixelmed.pcap "$DCMD -V" "PIXELMED_SCP" "CT_PIXELMED" "WS3VIEW_PM" "C-STORE-RQ" "C-ECHO-RQ" "C-ECHO-RSP" \
  "Called AE title not recognized"
fi

# ------------------------------------------------------------------- tls
if want tls; then
log "dicom-tls.pcap: ct -> pacs C-ECHO in clear on :104, then C-STORE over TLS on :11114 and ws -> pacs C-ECHO over TLS on :2762"
# A throwaway self-signed certificate, made here and never committed (dcmtk needs one on each side).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pacs.ward3.example" \
  -keyout "$T/tls-key.pem" -out "$T/tls-cert.pem" >/dev/null 2>&1
mkdir -p "$T/pacs/tls"
bg pacs storescp --aetitle PACSARCH -od "$T/pacs/tls" 104 >"$T/pacs/storescp-tls-104.log" 2>&1
bg pacs storescp --aetitle PACSARCH +tls "$T/tls-key.pem" "$T/tls-cert.pem" -ic -od "$T/pacs/tls" 11114 \
  >"$T/pacs/storescp-tls-11114.log" 2>&1
bg pacs storescp --aetitle PACSARCH +tls "$T/tls-key.pem" "$T/tls-cert.pem" -ic -od "$T/pacs/tls" 2762 \
  >"$T/pacs/storescp-tls-2762.log" 2>&1
wait_port pacs 104
wait_port pacs 11114
wait_port pacs 2762
fresh_arp
start_capture dicom-tls.pcap tcp
x ct echoscu -v -aet CT_ROOM3 -aec PACSARCH 10.40.0.10 104 >"$T/ct/echoscu-clear.log" 2>&1
x ct storescu -v -aet CT_ROOM3 -aec PACSARCH +tls "$T/tls-key.pem" "$T/tls-cert.pem" -ic 10.40.0.10 11114 "$T/ct.dcm" \
  >"$T/ct/storescu-tls.log" 2>&1
x ws echoscu -v -aet WS3VIEW -aec PACSARCH +tls "$T/tls-key.pem" "$T/tls-cert.pem" -ic 10.40.0.10 2762 \
  >"$T/ws/echoscu-tls.log" 2>&1
stop_captures
stop_bg
grep -q 'Received Echo Response (Success)' "$T/ct/echoscu-clear.log" \
  && grep -q 'Received Store Response (Success)' "$T/ct/storescu-tls.log" \
  && grep -q 'Received Echo Response (Success)' "$T/ws/echoscu-tls.log" \
  || { cat "$T/ct/echoscu-clear.log" "$T/ct/storescu-tls.log" "$T/ws/echoscu-tls.log" "$T"/pacs/storescp-tls-*.log >&2; exit 1; }
# The TLS sessions carry no readable DICOM: the planted patient data must not be in the clear.
if grep -qaF 'MRN-4711-PLANTED' "$T/cap/dicom-tls.pcap"; then echo "dicom-tls.pcap: patient data in clear" >&2; exit 1; fi
check dicom-tls.pcap "-d tcp.port==11114,tls -d tcp.port==2762,tls" "Client Hello" "Server Hello" "C-ECHO"
fi

# ------------------------------------------------------------------ done
copy_captures "$OUT" 22
