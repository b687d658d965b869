#!/usr/bin/env python3
"""BACnet/IP discovery (Who-Is / I-Am, Who-Has / I-Have), for test-fixtures/bacnet-ip.pcap.

Debian 12 packages no BACnet stack (`apt-cache search bacnet` finds nothing), so this script speaks
the few messages from ANSI/ASHRAE Standard 135 over real UDP sockets on port 47808 (0xBAC0):

- Annex J.2 (BACnet Virtual Link Layer): BVLC type 0x81, function 0x0A Original-Unicast-NPDU,
  0x0B Original-Broadcast-NPDU, 0x04 Forwarded-NPDU (followed by the 6-octet B/IP address of the
  original sender), then the 2-octet length of the whole BVLL message.
- Clause 6.2 (NPDU): version 1, control octet (bit 7 network message, bit 5 DNET present, bit 3
  SNET present, bit 2 expecting reply, bits 1-0 priority), DNET/DLEN/DADR, SNET/SLEN/SADR, hop count.
- Clause 20.1.3 (BACnet-Unconfirmed-Request-PDU): 0x10, service choice (0 i-Am, 1 i-Have, 7 who-Has,
  8 who-Is); clause 20.2 tag encoding (application tags 2 Unsigned, 7 CharacterString,
  9 Enumerated, 12 BACnetObjectIdentifier; context tags for the optional Who-Is and Who-Has fields).
- Clause 16.10 (Who-Is, I-Am) and 16.9 (Who-Has, I-Have); clause 21 for their ASN.1.

Roles:
  device   a building controller: I-Am broadcast at start, answers Who-Is (in range) with I-Am and
           Who-Has (by name) with I-Have, until SIGTERM.
  router   a BACnet router and BBMD: broadcasts an I-Am that it routes from an MS/TP device (NPDU with
           SNET/SADR) and forwards an I-Am of a device on another IP subnet (Forwarded-NPDU).
  client   an operator workstation: global Who-Is, a ranged unicast Who-Is, a Who-Has by name.
"""
import argparse
import signal
import socket
import struct
import sys
import time

PORT = 47808
I_AM, I_HAVE, WHO_HAS, WHO_IS = 0, 1, 7, 8
OBJECT_DEVICE, OBJECT_ANALOG_INPUT = 8, 0
SEGMENTED_BOTH, NO_SEGMENTATION = 0, 3


def bvlc(function, npdu, forwarded_from=None):
    extra = b''
    if forwarded_from is not None:
        ip, port = forwarded_from
        extra = socket.inet_aton(ip) + struct.pack('>H', port)
    return struct.pack('>BBH', 0x81, function, 4 + len(extra) + len(npdu)) + extra + npdu


def npdu(apdu, global_broadcast=False, snet=None, sadr=b''):
    control = 0
    head = b''
    if global_broadcast:
        control |= 0x20
        head += struct.pack('>HB', 0xFFFF, 0)
    if snet is not None:
        control |= 0x08
        head += struct.pack('>HB', snet, len(sadr)) + sadr
    if global_broadcast:
        head += b'\xff'  # hop count
    return bytes([0x01, control]) + head + apdu


def app_unsigned(value):
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), 'big')
    return bytes([0x20 | len(raw)]) + raw


def ctx_unsigned(tag, value):
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), 'big')
    return bytes([(tag << 4) | 0x08 | len(raw)]) + raw


def object_id(obj_type, instance, tag=None):
    raw = struct.pack('>I', (obj_type << 22) | instance)
    return bytes([0xC4 if tag is None else (tag << 4) | 0x0C]) + raw


def char_string(text, tag=None):
    raw = b'\x00' + text.encode('utf-8')  # character set 0: ISO 10646 (UTF-8)
    first = 0x75 if tag is None else (tag << 4) | 0x0D
    return bytes([first, len(raw)]) + raw


def i_am(instance, max_apdu, segmentation, vendor):
    return (bytes([0x10, I_AM]) + object_id(OBJECT_DEVICE, instance) + app_unsigned(max_apdu)
            + bytes([0x91, segmentation]) + app_unsigned(vendor))


def who_is(low=None, high=None):
    body = b'' if low is None else ctx_unsigned(0, low) + ctx_unsigned(1, high)
    return bytes([0x10, WHO_IS]) + body


def who_has_name(name):
    return bytes([0x10, WHO_HAS]) + char_string(name, tag=3)


def i_have(device, obj_type, instance, name):
    return (bytes([0x10, I_HAVE]) + object_id(OBJECT_DEVICE, device) + object_id(obj_type, instance)
            + char_string(name))


def udp_socket(ip):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind(('', PORT))  # wildcard: receives broadcasts too; replies leave from `ip` (the only address)
    return s


def parse_unconfirmed(data):
    """(service choice, service data) of a BVLL/NPDU/unconfirmed request we sent ourselves; None else."""
    if len(data) < 6 or data[0] != 0x81:
        return None
    p = 4 + (6 if data[1] == 0x04 else 0)
    control = data[p + 1]
    p += 2
    if control & 0x20:
        p += 3 + data[p + 2]
    if control & 0x08:
        p += 3 + data[p + 2]
    if control & 0x20:
        p += 1
    if data[p] != 0x10:
        return None
    return data[p + 1], data[p + 2:]


def device(ip, broadcast, instance, vendor, seconds):
    s = udp_socket(ip)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    s.sendto(bvlc(0x0B, npdu(i_am(instance, 1476, SEGMENTED_BOTH, vendor))), (broadcast, PORT))
    s.settimeout(0.2)
    deadline = time.time() + seconds
    while not stop[0] and time.time() < deadline:
        try:
            data, peer = s.recvfrom(1500)
        except socket.timeout:
            continue
        if peer[0] == ip:
            continue
        got = parse_unconfirmed(data)
        if got is None:
            continue
        service, body = got
        if service == WHO_IS:
            if body:
                low = int.from_bytes(body[1:1 + (body[0] & 7)], 'big')
                rest = body[1 + (body[0] & 7):]
                high = int.from_bytes(rest[1:1 + (rest[0] & 7)], 'big')
                if not low <= instance <= high:
                    continue
            # I-Am replies are normally broadcast; the ranged unicast Who-Is gets a unicast one here.
            dest = peer if body else (broadcast, PORT)
            s.sendto(bvlc(0x0A if body else 0x0B, npdu(i_am(instance, 1476, SEGMENTED_BOTH, vendor))), dest)
            print(f'who-is from {peer[0]} answered', flush=True)
        elif service == WHO_HAS and b'AHU-3' in body:
            s.sendto(bvlc(0x0B, npdu(i_have(instance, OBJECT_ANALOG_INPUT, 3, 'AHU-3 Supply Air Temp'))), (broadcast, PORT))
            print(f'who-has from {peer[0]} answered', flush=True)


def router(ip, broadcast):
    s = udp_socket(ip)
    # An MS/TP device (network 5, MAC 0x17) behind this router: Johnson Controls (vendor 5).
    s.sendto(bvlc(0x0B, npdu(i_am(5017, 480, NO_SEGMENTATION, 5), snet=5, sadr=b'\x17')), (broadcast, PORT))
    time.sleep(0.2)
    # A device on another IP subnet, its broadcast forwarded by this BBMD: Automated Logic (vendor 24).
    s.sendto(bvlc(0x04, npdu(i_am(241005, 1476, SEGMENTED_BOTH, 24)), forwarded_from=('10.41.0.5', PORT)),
             (broadcast, PORT))


def client(ip, broadcast, target):
    s = udp_socket(ip)
    s.settimeout(1.0)
    s.sendto(bvlc(0x0B, npdu(who_is(), global_broadcast=True)), (broadcast, PORT))
    answers = 0
    try:
        while True:
            data, peer = s.recvfrom(1500)
            if peer[0] != ip and (parse_unconfirmed(data) or (None,))[0] == I_AM:
                answers += 1
    except socket.timeout:
        pass
    s.sendto(bvlc(0x0A, npdu(who_is(4000, 4200))), (target, PORT))
    time.sleep(0.5)
    s.sendto(bvlc(0x0B, npdu(who_has_name('AHU-3 Supply Air Temp'))), (broadcast, PORT))
    time.sleep(0.5)
    print(f'{answers} I-Am answers to the global Who-Is', flush=True)
    return 0 if answers else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('role', choices=['device', 'router', 'client'])
    ap.add_argument('--ip', required=True)
    ap.add_argument('--broadcast', required=True)
    ap.add_argument('--target', help='client: address of the device for the unicast Who-Is')
    ap.add_argument('--instance', type=int, default=4120)
    ap.add_argument('--vendor', type=int, default=7)
    ap.add_argument('--seconds', type=float, default=30)
    args = ap.parse_args()
    if args.role == 'device':
        device(args.ip, args.broadcast, args.instance, args.vendor, args.seconds)
        return 0
    if args.role == 'router':
        router(args.ip, args.broadcast)
        return 0
    return client(args.ip, args.broadcast, args.target)


if __name__ == '__main__':
    sys.exit(main())
