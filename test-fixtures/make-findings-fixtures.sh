#!/usr/bin/env bash
# Records the "findings" captures in test-fixtures/: real insecure services and their real clients, one
# capture per weakness, for the finding types of fingerprints/findings/types.yaml: inetutils telnetd and
# telnet, vsftpd and ftp, tftpd-hpa and tftp, a Basic-auth HTTP server (python3 http.server) and curl -u,
# net-snmp's snmpd with the community "public" and snmpget v1/v2c, openssl s_server at TLS 1.0, TLS 1.1
# and with a NULL suite (@SECLEVEL=0) presenting a self-signed, expired, 1024-bit certificate, x11vnc
# (on Xvfb) with xtightvncviewer, xrdp with xfreerdp, and a medical device talking to a public address
# and to an address an advisory tells to block (test-fixtures/advisories/network-indicators.json).
# Run as root: sudo bash test-fixtures/make-findings-fixtures.sh   (idempotent; about a minute)
# FINDINGS_ONLY="telnet ftp" records only those captures; FINDINGS_DEBUG=1 keeps the working directory.
#
# Topology (namespaces i17rk-<name> on a bridge in i17rk-sw; MACs fixed, OUIs real):
#    gw   44:4b:5d (GE Healthcare)           10.70.0.10  telnetd, vsftpd, tftpd, http (Basic), snmpd, s_server
#    mon   00:09:fb (Philips Patient Monitoring) 10.70.0.31 x11vnc, xrdp; the client of the two Internet hosts
#    ws    00:1b:21 (Intel)                    10.70.0.50  every client
#    inet  02:00:5e (locally administered)     93.184.216.34   a public web server (on-link route)
#    ioc   02:00:5f (locally administered)     203.0.113.119   the address the test advisory names
# Passwords are made up for the run; the captures prove auscult stores none of them (findings tests).
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netns-lib.sh
. "$OUT/netns-lib.sh"
need_root
declare -A PKG=([ip]=iproute2 [tcpdump]=tcpdump [tshark]=tshark [curl]=curl [python3]=python3 [openssl]=openssl
  [/usr/sbin/telnetd]=inetutils-telnetd [telnet]=inetutils-telnet [vsftpd]=vsftpd [ftp]=ftp [in.tftpd]=tftpd-hpa [tftp]=tftp-hpa
  [snmpd]=snmpd [snmpget]=snmp [x11vnc]=x11vnc [Xvfb]=xvfb [xtightvncviewer]=xtightvncviewer [xrdp]=xrdp [xfreerdp]=freerdp2-x11
  [ethtool]=ethtool)
need_tools

P=i17rk
HOSTS=(sw gw mon ws inet ioc)
declare -A MAC=([gw]=44:4b:5d:17:00:10 [mon]=00:09:fb:17:00:31 [ws]=00:1b:21:17:00:50 [inet]=02:00:5e:17:00:01 [ioc]=02:00:5f:17:00:01)
declare -A IP=([gw]=10.70.0.10 [mon]=10.70.0.31 [ws]=10.70.0.50 [inet]=93.184.216.34 [ioc]=203.0.113.119)
PY=$(command -v /usr/bin/python3 || command -v python3)
ONLY=${FINDINGS_ONLY:-telnet ftp tftp http snmp tls vnc rdp internet}

start_run FINDINGS_DEBUG
make_hosts
make_bridge
for h in "${HOSTS[@]}"; do [[ $h == sw ]] || attach_host "$h"; done
# The two outside hosts are on-link (no router in the picture): each side gets a route to the other.
for h in inet ioc; do
  x mon ip route add "${IP[$h]}/32" dev eth0
  x "$h" ip route add 10.70.0.0/24 dev eth0
done

# ---------------------------------------------------------------- telnet: inetutils telnetd, one connection
if want telnet; then
  log telnet
  telnet_capture findings-telnet.pcap gw ws
fi

# ---------------------------------------------------------------- ftp: vsftpd, a login and a listing with ftp
if want ftp; then
  log ftp
  mkdir -p "$T/gw/ftp/pub" "$T/gw/empty"
  echo "calibration report" >"$T/gw/ftp/pub/report.txt"
  cat >"$T/gw/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
anonymous_enable=YES
anon_root=$T/gw/ftp
no_anon_password=YES
local_enable=NO
secure_chroot_dir=$T/gw/empty
pasv_enable=YES
ftpd_banner=GE Healthcare service FTP
run_as_launching_user=YES
seccomp_sandbox=NO
EOF
  bg gw vsftpd "$T/gw/vsftpd.conf"
  wait_port gw 21
  fresh_arp
  start_capture findings-ftp.pcap
  printf 'user anonymous service@example.org\nls pub\nquit\n' | x ws timeout 10 ftp -inpv 10.70.0.10 >"$T/ws/ftp.txt" 2>&1 || true
  stop_captures
  stop_bg
  check findings-ftp.pcap "-V" "220 GE Healthcare service FTP" "USER anonymous"
fi

# ---------------------------------------------------------------- tftp: tftpd-hpa, one read
if want tftp; then
  log tftp
  mkdir -p "$T/gw/tftp"
  echo "config" >"$T/gw/tftp/device.cfg"
  bg gw in.tftpd -L -u root -s "$T/gw/tftp" -a 10.70.0.10:69
  sleep 0.5
  fresh_arp
  start_capture findings-tftp.pcap
  (cd "$T/ws" && x ws timeout 10 tftp 10.70.0.10 -m octet -c get device.cfg) >"$T/ws/tftp.txt" 2>&1 || true
  stop_captures
  stop_bg
  check findings-tftp.pcap "-V" "Read Request" "device.cfg"
fi

# ---------------------------------------------------------------- http: Basic authentication in clear
if want http; then
  log http
  cat >"$T/gw/basic.py" <<'EOF'
import base64, http.server
class H(http.server.BaseHTTPRequestHandler):
    server_version = 'DeviceWeb/1.0'
    def do_GET(self):
        want = 'Basic ' + base64.b64encode(b'service:Pump-Admin-2024').decode()
        if self.headers.get('Authorization') != want:
            self.send_response(401); self.send_header('WWW-Authenticate', 'Basic realm="device"'); self.send_header('Content-Length', '0'); self.end_headers(); return
        body = b'ok\n'
        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.HTTPServer(('0.0.0.0', 80), H).serve_forever()
EOF
  bg gw "$PY" "$T/gw/basic.py"
  wait_port gw 80
  fresh_arp
  start_capture findings-http-basic.pcap
  x ws curl -s -o /dev/null http://10.70.0.10/config
  x ws curl -s -o /dev/null -u service:Pump-Admin-2024 http://10.70.0.10/config
  stop_captures
  stop_bg
  check findings-http-basic.pcap "-V" "WWW-Authenticate: Basic" "Authorization: Basic"
fi

# ---------------------------------------------------------------- snmp: community public, v1 and v2c
if want snmp; then
  log snmp
  mkdir -p "$T/gw/snmp"
  printf 'agentAddress udp:10.70.0.10:161\nrocommunity public\nsysName infusion-gw\nsysDescr GE Healthcare gateway\n' >"$T/gw/snmpd.conf"
  SNMPENV=(env SNMP_PERSISTENT_DIR="$T/gw/snmp" SNMPCONFPATH="$T/gw/snmp" MIBS=)
  bg gw "${SNMPENV[@]}" snmpd -f -C -c "$T/gw/snmpd.conf" -Lf "$T/gw/snmpd.log" -p "$T/gw/snmpd.pid"
  sleep 1
  fresh_arp
  start_capture findings-snmp.pcap
  x ws env SNMPCONFPATH="$T/ws" MIBS= snmpget -v1 -c public -On 10.70.0.10 1.3.6.1.2.1.1.5.0 >"$T/ws/snmp.txt" 2>&1
  x ws env SNMPCONFPATH="$T/ws" MIBS= snmpget -v2c -c public -On 10.70.0.10 1.3.6.1.2.1.1.1.0 >>"$T/ws/snmp.txt" 2>&1
  stop_captures
  stop_bg
  check findings-snmp.pcap "-V" "community: public" "version-1" "v2c"
fi

# ---------------------------------------------------------------- tls: TLS 1.0, TLS 1.1, a NULL suite; a weak certificate
if want tls; then
  log tls
  # Self-signed, RSA 1024 bits, valid 2020-01-01 .. 2021-01-01 (openssl ca sets the dates).
  printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' \
    "$T/gw" "$T/gw" "$T/gw" >"$T/gw/ca.cnf"
  : >"$T/gw/index.txt"; echo 01 >"$T/gw/serial"
  openssl req -new -newkey rsa:1024 -nodes -keyout "$T/gw/key.pem" -out "$T/gw/req.csr" -subj "/CN=infusion-gw.local" 2>/dev/null
  openssl ca -batch -selfsign -config "$T/gw/ca.cnf" -keyfile "$T/gw/key.pem" -in "$T/gw/req.csr" -out "$T/gw/cert.pem" \
    -startdate 20200101000000Z -enddate 20210101000000Z -notext 2>/dev/null
  WEAK=(-cert "$T/gw/cert.pem" -key "$T/gw/key.pem" -cipher 'ALL:NULL@SECLEVEL=0' -www -quiet)
  bg gw openssl s_server -accept 4431 -tls1 "${WEAK[@]}"
  bg gw openssl s_server -accept 4432 -tls1_1 "${WEAK[@]}"
  bg gw openssl s_server -accept 4433 -tls1_2 -cert "$T/gw/cert.pem" -key "$T/gw/key.pem" -cipher 'NULL-SHA256@SECLEVEL=0' -www -quiet
  wait_port gw 4431; wait_port gw 4432; wait_port gw 4433
  fresh_arp
  start_capture findings-tls-weak.pcap
  x ws openssl s_client -connect 10.70.0.10:4431 -tls1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null >"$T/ws/tls10.txt" 2>&1 || true
  x ws openssl s_client -connect 10.70.0.10:4432 -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null >"$T/ws/tls11.txt" 2>&1 || true
  x ws openssl s_client -connect 10.70.0.10:4433 -tls1_2 -cipher 'NULL-SHA256@SECLEVEL=0' </dev/null >"$T/ws/tlsnull.txt" 2>&1 || true
  stop_captures
  stop_bg
  check findings-tls-weak.pcap "-V" "Version: TLS 1.0" "Version: TLS 1.1" "TLS_RSA_WITH_NULL_SHA256"
fi

# ---------------------------------------------------------------- vnc: x11vnc on Xvfb, xtightvncviewer
if want vnc; then
  log vnc
  bg mon Xvfb :71 -screen 0 320x200x16 -nolisten tcp
  sleep 1
  bg mon env DISPLAY=:71 x11vnc -rfbport 5900 -nopw -forever -quiet -noipv6 -o "$T/mon/x11vnc.log"
  wait_port mon 5900
  bg ws Xvfb :72 -screen 0 320x200x16 -nolisten tcp
  sleep 1
  fresh_arp
  start_capture findings-vnc.pcap
  x ws env DISPLAY=:72 timeout 2 xtightvncviewer -viewonly 10.70.0.31::5900 >"$T/ws/vnc.txt" 2>&1 || true
  stop_captures
  stop_bg
  check findings-vnc.pcap "" "Server protocol version: 003.008" "Security types supported"
fi

# ---------------------------------------------------------------- rdp: xrdp, xfreerdp
if want rdp; then
  log rdp
  bg mon xrdp --nodaemon --port 3389
  wait_port mon 3389
  bg ws Xvfb :73 -screen 0 640x480x16 -nolisten tcp
  sleep 1
  fresh_arp
  start_capture findings-rdp.pcap
  x ws env DISPLAY=:73 timeout 6 xfreerdp /v:10.70.0.31 /u:service /p:not-the-password /cert:ignore /sec:tls >"$T/ws/rdp.txt" 2>&1 || true
  stop_captures
  stop_bg
  check findings-rdp.pcap "" "Negotiate Request" "Negotiate Response"
fi

# ---------------------------------------------------------------- internet: the monitor talks to a public host and to the IOC address
if want internet; then
  log internet
  bg inet "$PY" -m http.server -b 93.184.216.34 80 -d "$T/inet"
  bg ioc "$PY" -m http.server -b 203.0.113.119 443 -d "$T/ioc"
  wait_port inet 80; wait_port ioc 443
  fresh_arp
  start_capture findings-internet.pcap
  x mon curl -s -o /dev/null http://93.184.216.34/
  x mon curl -s -o /dev/null http://203.0.113.119:443/
  stop_captures
  stop_bg
  check findings-internet.pcap "-T fields -e ip.dst" "93.184.216.34" "203.0.113.119"
fi

copy_captures "$OUT" 24
