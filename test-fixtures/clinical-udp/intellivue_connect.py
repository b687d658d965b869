#!/usr/bin/env python3
"""Philips IntelliVue Data Export "Connect Indication", for test-fixtures/intellivue-connect.pcap.

No implementation of the monitor side exists outside the monitors, so this script builds the
message from the layout in Philips' "Data Export Interface Programming Guide, IntelliVue Patient
Monitor X2, MP Series, MX Series" (4535 642 59271), and broadcasts it the way a monitor does:
from and to UDP port 24005 on the subnet's broadcast address.

Guide sections (table of contents, revision G.0): "Protocol Concept > Protocol Dialog > Connect
Indication"; "Definition of the Transport Protocols > UDP/IP > UDP Port Number"; "Protocol Commands >
Device Discovery Messages > CONNECT INDICATION EVENT"; "Attribute Data Types and Constants Used"
(AttributeList, VariableLabel, SystemModel, ProductionSpec, IpAddressInfo, ProtoSupport,
SystemLocal). The body text of the guide was not readable through our search; the layout and the
attribute set below were checked against three independent open-source implementations that cite
it (MD PnP OpenICE's ConnectIndicationImpl and its listener bound to port 24005, a Python/scapy
implementation quoting guide pages 53 and 279, and the DICES MP70 driver's header that transcribes
the guide's type definitions) and against a Connect Indication captured from a real MP70 that one of
them embeds (same structures, same attribute identifiers, in the same order).

Message (all big-endian):
  Nomenclature (u32) | ROapdus {ro_type=ROIV_APDU 1, length} | ROIVapdu {invoke_id, command_type=
  CMD_EVENT_REPORT 0, length} | EventReportArgument {managed_object {m_obj_class=
  NOM_MOC_MDS_COMPOS_SINGLE_BED 0x23, context_id 0, handle 0}, event_time (RelativeTime),
  event_type=NOM_NOTI_MDS_CONNECT_INDIC 0x0D17, length} | ConnectIndInfo = AttributeList {count,
  length, AVA {attribute_id, length, value}...}

`--planted` sends a second Connect Indication that also carries patient attributes (family and
given name, patient id, date of birth). No monitor sends those in this message; they are planted so
that a test proves the dissector keeps only the attributes it knows.
"""
import argparse
import socket
import struct
import time

PORT = 24005

NOM_ATTR_SYS_TYPE = 0x0986
NOM_ATTR_PCOL_SUPPORT = 0xF101
NOM_ATTR_LOCALIZN = 0x0937
NOM_ATTR_NET_ADDR_INFO = 0xF100
NOM_ATTR_ID_MODEL = 0x0928
NOM_ATTR_ID_PROD_SPECN = 0x092D
NOM_ATTR_SYS_ID = 0x0984
NOM_ATTR_PT_NAME_FAMILY = 0x095C
NOM_ATTR_PT_NAME_GIVEN = 0x095D
NOM_ATTR_PT_ID = 0x095A
NOM_ATTR_PT_DOB = 0x0958
NOM_PART_OBJ = 1
NOM_DEV_MON_PHYSIO_MULTI_PARAM_MDS = 4429
NOM_MOC_MDS_COMPOS_SINGLE_BED = 0x23
NOM_NOTI_MDS_CONNECT_INDIC = 0x0D17
ROIV_APDU = 1
CMD_EVENT_REPORT = 0
AP_ID_ACSE = 1
AP_ID_DATA_OUT = 5
TP_ID_UDP = 1
ENGLISH = 1
STRFMT_UNICODE_NT = 11
ID_COMP_PRODUCT = 0x08
ID_COMP_APPL_SW = 0x58
SERIAL_NUMBER, PART_NUMBER, HW_REVISION, SW_REVISION = 1, 2, 3, 4


def label(text):
    """VariableLabel: u16 length, 8-bit characters; the length is always even (pad with NUL)."""
    raw = text if isinstance(text, bytes) else text.encode('ascii')
    if len(raw) % 2:
        raw += b'\0'
    return struct.pack('>H', len(raw)) + raw


def ava(attribute_id, value):
    return struct.pack('>HH', attribute_id, len(value)) + value


def attribute_list(avas):
    body = b''.join(avas)
    return struct.pack('>HH', len(avas), len(body)) + body


def connect_indication(mac, ip, mask, planted):
    prod = [(SERIAL_NUMBER, ID_COMP_PRODUCT, 'DE12345678'), (PART_NUMBER, ID_COMP_PRODUCT, 'M8007A'),
            (HW_REVISION, ID_COMP_PRODUCT, ' B.00.05'), (PART_NUMBER, ID_COMP_APPL_SW, 'S-M4046-1701A '),
            (SW_REVISION, ID_COMP_APPL_SW, 'M.00.03 ')]
    prod_body = b''.join(struct.pack('>HH', t, c) + label(s) for t, c, s in prod)
    avas = [
        ava(NOM_ATTR_SYS_TYPE, struct.pack('>HH', NOM_PART_OBJ, NOM_DEV_MON_PHYSIO_MULTI_PARAM_MDS)),
        ava(NOM_ATTR_LOCALIZN, struct.pack('>IHH', 0x06080608, ENGLISH, STRFMT_UNICODE_NT)),
        ava(NOM_ATTR_NET_ADDR_INFO, mac + socket.inet_aton(ip) + socket.inet_aton(mask)),
        ava(NOM_ATTR_PCOL_SUPPORT, struct.pack('>HH', 2, 16)
            + struct.pack('>HHHH', AP_ID_ACSE, TP_ID_UDP, 24105, 0)
            + struct.pack('>HHHH', AP_ID_DATA_OUT, TP_ID_UDP, 24105, 0)),
        ava(NOM_ATTR_ID_PROD_SPECN, struct.pack('>HH', len(prod), len(prod_body)) + prod_body),
        ava(NOM_ATTR_ID_MODEL, label('Philips') + label('M8007A')),
    ]
    if planted:
        avas += [
            ava(NOM_ATTR_SYS_ID, label(mac)),
            ava(NOM_ATTR_PT_NAME_FAMILY, label('DOE')), ava(NOM_ATTR_PT_NAME_GIVEN, label('JANE')),
            ava(NOM_ATTR_PT_ID, label('MRN-4711-PLANTED')),
            ava(NOM_ATTR_PT_DOB, bytes([0x19, 0x45, 0x03, 0x17, 0, 0, 0, 0])),  # AbsoluteTime, BCD
        ]
    info = attribute_list(avas)
    event = struct.pack('>HHHIHH', NOM_MOC_MDS_COMPOS_SINGLE_BED, 0, 0, int(time.monotonic() * 8000) & 0xFFFFFFFF,
                        NOM_NOTI_MDS_CONNECT_INDIC, len(info)) + info
    roiv = struct.pack('>HHH', 0, CMD_EVENT_REPORT, len(event)) + event
    ro = struct.pack('>HH', ROIV_APDU, len(roiv)) + roiv
    return struct.pack('>I', 0x00000100) + ro  # Nomenclature as the captured MP70 sends it


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ip', required=True)
    ap.add_argument('--mask', default='255.255.255.0')
    ap.add_argument('--mac', required=True, help='aa:bb:cc:dd:ee:ff of the interface')
    ap.add_argument('--count', type=int, default=2)
    ap.add_argument('--planted', action='store_true')
    args = ap.parse_args()
    mac = bytes.fromhex(args.mac.replace(':', ''))
    ip = struct.unpack('>I', socket.inet_aton(args.ip))[0]
    mask = struct.unpack('>I', socket.inet_aton(args.mask))[0]
    broadcast = socket.inet_ntoa(struct.pack('>I', ip | (~mask & 0xFFFFFFFF)))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.bind((args.ip, PORT))
    for i in range(args.count):
        sock.sendto(connect_indication(mac, args.ip, args.mask, False), (broadcast, PORT))
        time.sleep(0.5)
    if args.planted:
        sock.sendto(connect_indication(mac, args.ip, args.mask, True), (broadcast, PORT))
    print(f'sent to {broadcast}:{PORT}')


if __name__ == '__main__':
    main()
