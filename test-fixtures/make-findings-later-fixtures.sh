#!/usr/bin/env bash
# Records two "findings" captures in test-fixtures/, later than those of make-findings-fixtures.sh (the
# resolution of findings by age is tested across the two recordings):
#   findings-ntlmv1.pcap        two SMB clients log on to Samba's smbd with NTLMSSP, one with NTLMv1
#                               (24-byte NT response), one with NTLMv2, for the ntlmv1 finding. Debian 12's
#                               smbclient no longer sends NTLMv1, so the clients are impacket's SMB client
#                               (python3-impacket, `SMB.login_extended` with use_ntlmv2 False / True); smbd
#                               accepts NTLMv1 only with `ntlm auth = ntlmv1-permitted`. Both sessions are
#                               SMB1 (NT LM 0.12: impacket's SMB2 client has no NTLMv1 switch), so the two
#                               differ in the NTLM version only.
#   findings-telnet-again.pcap  the telnet session of make-findings-fixtures.sh again (inetutils telnetd on gw,
#                               same MACs and addresses): the same finding, found again hours later.
# Run as root: sudo bash test-fixtures/make-findings-later-fixtures.sh   (idempotent; about 20 s)
# Run it at least 2 hours after make-findings-fixtures.sh (agent/risk/findings-age.test.ts reads the
# captures in time order with a 2-hour resolution age).
# LATER_ONLY="ntlm" records only those captures; LATER_DEBUG=1 keeps the working directory in /tmp.
#
# Topology (namespaces i17gaps-<name> on a bridge in i17gaps-sw; MACs fixed, OUIs real):
#    srv   f8:bc:12 (Dell)                10.71.0.10  smbd (FILESRV-WARD3, share "images")
#    old   00:1b:21 (Intel)               10.71.0.51  impacket SMB client, NTLMv1
#    ws2   00:1b:21 (Intel)               10.71.0.52  impacket SMB client, NTLMv2
#    gw    44:4b:5d (GE Healthcare)       10.70.0.10  telnetd  } as in make-findings-fixtures.sh
#    ws    00:1b:21 (Intel)               10.70.0.50  telnet   }
# The password is made up for the run; the capture proves auscult stores neither it nor the responses.
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [ethtool]=ethtool [smbd]=samba [smbpasswd]=samba-common-bin
  [/usr/lib/python3/dist-packages/impacket/smb.py]=python3-impacket
  [/usr/sbin/telnetd]=inetutils-telnetd [telnet]=inetutils-telnet)
need_tools

P=i17gaps
HOSTS=(sw srv old ws2 gw ws)
declare -A MAC=([srv]=f8:bc:12:71:00:10 [old]=00:1b:21:71:00:51 [ws2]=00:1b:21:71:00:52 [gw]=44:4b:5d:17:00:10 [ws]=00:1b:21:17:00:50)
declare -A IP=([srv]=10.71.0.10 [old]=10.71.0.51 [ws2]=10.71.0.52 [gw]=10.70.0.10 [ws]=10.70.0.50)
ONLY=${LATER_ONLY:-ntlm telnet}
CAPTURE_NO_DROPS=1
# Debian's interpreter, where python3-impacket is installed (not a python3 earlier on PATH).
PY=/usr/bin/python3
SMB_USER=radiology
SMB_PASSWORD=ward3-ntlm-fixture-only

# xr HOST COMMAND...: in the namespace, with the host's private $T/<host>/run over /run. bgr: in the background.
PRIVATE='mount --bind "$0/run" /run && exec "$@"'
xr() { local h=$1; shift; ip netns exec "$P-$h" sh -c "$PRIVATE" "$T/$h" "$@"; }
bgr() { local h=$1; shift; ip netns exec "$P-$h" sh -c "$PRIVATE" "$T/$h" "$@" & BG+=($!); }

start_run LATER_DEBUG
make_hosts
for h in "${HOSTS[@]}"; do mkdir -p "$T/$h/run"; done
make_bridge mcast_snooping 0
for h in srv old ws2 gw ws; do attach_host "$h"; done

# ---------------------------------------------------------------- ntlm: impacket NTLMv1 and NTLMv2 against smbd
if want ntlm; then

log "findings-ntlmv1.pcap: impacket on old (NTLMv1) and on ws2 (NTLMv2) log on to smbd on srv over SMB1"
d="$T/srv/samba"
mkdir -p "$d/lock" "$d/state" "$d/cache" "$d/private" "$d/pid" "$d/ncalrpc" "$d/log" "$T/srv/run/samba" "$T/srv/share"
printf 'auscult fixture\n' >"$T/srv/share/README.txt"
# The account is the namespace's root, known to clients as "radiology" (username map): no user is added
# to the machine, and the password database is in $T.
printf 'root = %s\n' "$SMB_USER" >"$T/srv/usermap"
{
  printf '[global]\nnetbios name = FILESRV-WARD3\nworkgroup = WARD3\n'
  printf '%s = %s\n' "lock directory" "$d/lock" "state directory" "$d/state" "cache directory" "$d/cache" \
    "private dir" "$d/private" "pid directory" "$d/pid" "ncalrpc dir" "$d/ncalrpc" "log file" "$d/log/log.%m" \
    "log level" 1 "server role" "standalone server" "interfaces" "10.71.0.10/24" "bind interfaces only" yes \
    "smb ports" 445 "server min protocol" NT1 "ntlm auth" "ntlmv1-permitted" \
    "passdb backend" "tdbsam:$d/private/passdb.tdb" "username map" "$T/srv/usermap" "load printers" no \
    "printcap name" /dev/null "disable spoolss" yes
  printf '[images]\npath = %s\nread only = yes\n' "$T/srv/share"
} >"$T/srv/smb.conf"
printf '%s\n%s\n' "$SMB_PASSWORD" "$SMB_PASSWORD" | xr srv smbpasswd -c "$T/srv/smb.conf" -s -a root >"$T/srv/smbpasswd.log" 2>&1 \
  || { cat "$T/srv/smbpasswd.log" >&2; exit 1; }
# In a process group of its own (no --no-process-group): on SIGTERM smbd signals its whole group.
bgr srv smbd --foreground --debug-stdout --configfile="$T/srv/smb.conf" >"$T/srv/smbd.log" 2>&1
wait_port srv 445

# The client: SMB1 session setup with NTLMSSP (NTLMv1 or NTLMv2 responses), list the share, log off.
cat >"$T/client.py" <<'EOF'
import sys
from impacket.smb import SMB
host, user, password, version = sys.argv[1:5]
s = SMB('FILESRV-WARD3', host, sess_port=445)
s.login_extended(user, password, 'WARD3', use_ntlmv2=(version == 'v2'))
for f in s.list_path('images', '*'):
    print(f.get_longname())
s.logoff()
s.close_session()
EOF
fresh_arp
start_capture findings-ntlmv1.pcap
x old "$PY" "$T/client.py" 10.71.0.10 "$SMB_USER" "$SMB_PASSWORD" v1 >"$T/old/smb.txt" 2>&1 || true
x ws2 "$PY" "$T/client.py" 10.71.0.10 "$SMB_USER" "$SMB_PASSWORD" v2 >"$T/ws2/smb.txt" 2>&1 || true
stop_captures
stop_bg
for h in old ws2; do grep -q 'README.txt' "$T/$h/smb.txt" || { cat "$T/$h/smb.txt" "$T/srv/smbd.log" >&2; exit 1; }; done
check findings-ntlmv1.pcap "-V" "NTLMSSP_AUTH" "NT LM 0.12" "NTLMv2 Response" "NTLM Response: "
# The AUTHENTICATE from old carries no NTLMv2 response (its NT response is 24 bytes: checked by the
# test), the one from ws2 does.
check findings-ntlmv1.pcap "-Y ntlmssp.messagetype==3&&!ntlmssp.ntlmv2_response -T fields -e ip.src" 10.71.0.51
check findings-ntlmv1.pcap "-Y ntlmssp.messagetype==3&&ntlmssp.ntlmv2_response -T fields -e ip.src" 10.71.0.52
fi

# ---------------------------------------------------------------- telnet: the session of make-findings-fixtures.sh, again
if want telnet; then
  log "findings-telnet-again.pcap: telnet on ws to inetutils telnetd on gw"
  telnet_capture findings-telnet-again.pcap gw ws
fi

copy_captures "$OUT" 28
