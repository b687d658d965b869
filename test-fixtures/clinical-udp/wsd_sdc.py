#!/usr/bin/env python3
"""IEEE 11073 SDC discovery over WS-Discovery 1.1, for test-fixtures/wsd-sdc.pcap.

No SDC implementation is packaged for Debian, so this small script plays both sides from the
specifications, over real UDP sockets:

  provider  an SDC service provider (a ventilator): multicast Hello on start, answers a Probe with a
            unicast ProbeMatches and a Resolve with ResolveMatches, multicast Bye when told to stop
            (SIGTERM) or after --seconds.
  consumer  an SDC service consumer: multicast Probe for mdpws:MedicalDevice, then a Resolve for the
            endpoint it found; prints what it learnt and exits 1 when nothing answered.

Sources:
- OASIS WS-Discovery 1.1 (OASIS Standard, 1 July 2009): Hello and Bye (section 4), Probe and Probe
  Match (section 5), Resolve and Resolve Match (section 6); namespace
  http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01, port 3702, groups 239.255.255.250 / FF02::C.
- SOAP-over-UDP 1.1 (OASIS) for the To/ReplyTo handling of unicast replies; WS-Addressing 1.0.
- IEEE 11073-20702-2016 (MDPWS): the discovery type {http://standards.ieee.org/downloads/11073/
  11073-20702-2016}MedicalDevice next to dpws:Device.
- IEEE 11073-20701-2018, section 9.4: context scopes (sdc.ctxt.loc, sdc.ctxt.pat, ...); the location
  scope carries the LocationDetail as query parameters fac, bldng, flr, poc, rm, bed (9.4.1.2); key
  purpose scope sdc.mds.pkp:1.2.840.10004.20701.1.1 (SDC service provider, 9.3).

The provider also announces planted patient data (DOE^JANE, MRN-4711-PLANTED, 19450317) in three
scopes auscult must drop at the dissector: a standard patient context scope (real SDC providers may
publish the associated patient's identifier this way), a vendor-specific scope carrying the name and
birth date URL-encoded (DOE%5EJANE%2F19450317), and a patient scope whose scheme lost a dot
(sdc.ctxtpat:, as a fuzzer or a broken encoder would send it).
"""
import argparse
import signal
import socket
import struct
import sys
import time
import uuid

GROUP = '239.255.255.250'
PORT = 3702
WSD = 'http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01'
WSA = 'http://www.w3.org/2005/08/addressing'
S12 = 'http://www.w3.org/2003/05/soap-envelope'
DPWS = 'http://docs.oasis-open.org/ws-dd/ns/dpws/2009/01'
MDPWS = 'http://standards.ieee.org/downloads/11073/11073-20702-2016'
TO_DISCOVERY = 'urn:docs-oasis-open-org:ws-dd:ns:discovery:2009:01'
ANONYMOUS = WSA + '/anonymous'

CONSUMER_PORT = 53702
PROVIDER_EPR = 'urn:uuid:6b1a3b2e-5f4c-4e0a-9d2b-3c9e7a1f0d61'
# Location scope (20701 section 9.4.1): root sdc.ctxt.loc.detail, extension fac/bldng/flr/poc/rm/bed
# (each part percent-encoded), and the LocationDetail as query parameters.
LOCATION_SCOPE = ('sdc.ctxt.loc:/sdc.ctxt.loc.detail/HOSP1%2FBLDG-A%2F3%2FICU3%2FR12%2FBED7'
                  '?fac=HOSP1&bldng=BLDG-A&flr=3&poc=ICU3&rm=R12&bed=BED7')
# Planted patient data: a patient context scope (root = an assigning authority, extension = the
# MRN), a vendor scope whose path names the patient and the birth date, URL-encoded, and a mangled
# patient scope with the name. (The messages must stay under 1472 bytes: three scopes fit.)
PATIENT_SCOPES = (
    'sdc.ctxt.pat:/urn%3Aoid%3A1.2.840.99999.1/MRN-4711-PLANTED',
    'urn:x-acme:bedside-context:detail/DOE%5EJANE%2F19450317',
    'sdc.ctxtpat:/1.2.3/DOE%5EJANE',
)
PROVIDER_SCOPES = ['sdc.mds.pkp:1.2.840.10004.20701.1.1', LOCATION_SCOPE, *PATIENT_SCOPES]
PROVIDER_TYPES = 'dpws:Device mdpws:MedicalDevice'


def esc(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def envelope(header, body):
    """The provider's style: prefixed elements, every namespace declared on the Envelope, no XML
    declaration. Its messages stay under 1472 bytes so that none is cut into IP fragments (which
    auscult does not reassemble) on a 1500-byte MTU."""
    data = (f'<s12:Envelope xmlns:s12="{S12}" xmlns:wsa="{WSA}" xmlns:wsd="{WSD}" '
            f'xmlns:dpws="{DPWS}" xmlns:mdpws="{MDPWS}">'
            f'<s12:Header>{header}</s12:Header><s12:Body>{body}</s12:Body></s12:Envelope>').encode()
    if len(data) > 1472:
        raise ValueError(f'{len(data)}-byte message would be fragmented')
    return data


class Provider:
    def __init__(self, ip, xaddr_port):
        self.ip = ip
        self.xaddrs = f'https://{ip}:{xaddr_port}/sdc/'
        self.instance = int(time.time())
        self.number = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('', PORT))
        mreq = struct.pack('4s4s', socket.inet_aton(GROUP), socket.inet_aton(ip))
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip))
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)

    def header(self, action, to=TO_DISCOVERY, relates_to=None):
        self.number += 1
        relates = f'<wsa:RelatesTo>{relates_to}</wsa:RelatesTo>' if relates_to else ''
        return (f'<wsa:To>{to}</wsa:To><wsa:Action>{WSD}/{action}</wsa:Action>'
                f'<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>{relates}'
                f'<wsd:AppSequence InstanceId="{self.instance}" MessageNumber="{self.number}"/>')

    def description(self):
        scopes = ' '.join(esc(s) for s in PROVIDER_SCOPES)
        return (f'<wsa:EndpointReference><wsa:Address>{PROVIDER_EPR}</wsa:Address></wsa:EndpointReference>'
                f'<wsd:Types>{PROVIDER_TYPES}</wsd:Types><wsd:Scopes>{scopes}</wsd:Scopes>'
                f'<wsd:XAddrs>{self.xaddrs}</wsd:XAddrs><wsd:MetadataVersion>3</wsd:MetadataVersion>')

    def hello(self):
        self.sock.sendto(envelope(self.header('Hello'), f'<wsd:Hello>{self.description()}</wsd:Hello>'), (GROUP, PORT))

    def bye(self):
        body = f'<wsd:Bye><wsa:EndpointReference><wsa:Address>{PROVIDER_EPR}</wsa:Address></wsa:EndpointReference></wsd:Bye>'
        self.sock.sendto(envelope(self.header('Bye'), body), (GROUP, PORT))

    def serve(self, seconds):
        stop = [False]
        signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
        self.hello()
        print('hello sent', flush=True)
        self.sock.settimeout(0.2)
        deadline = time.time() + seconds
        while not stop[0] and time.time() < deadline:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            text = data.decode('utf-8', 'replace')
            message_id = between(text, 'MessageID', ) or ''
            if '/discovery/2009/01/Probe<' in text and 'MedicalDevice' in text:
                body = f'<wsd:ProbeMatches><wsd:ProbeMatch>{self.description()}</wsd:ProbeMatch></wsd:ProbeMatches>'
                self.sock.sendto(envelope(self.header('ProbeMatches', ANONYMOUS, message_id), body), peer)
                print(f'probe from {peer[0]} answered', flush=True)
            elif '/discovery/2009/01/Resolve<' in text and PROVIDER_EPR in text:
                body = f'<wsd:ResolveMatches><wsd:ResolveMatch>{self.description()}</wsd:ResolveMatch></wsd:ResolveMatches>'
                self.sock.sendto(envelope(self.header('ResolveMatches', ANONYMOUS, message_id), body), peer)
                print(f'resolve from {peer[0]} answered', flush=True)
        self.bye()
        print('bye sent', flush=True)


def between(text, local):
    """Text of the first element whose name ends with `local` (any prefix); None when absent."""
    start = text.find(f':{local}>')
    if start < 0:
        start = text.find(f'<{local}>')
        if start < 0:
            return None
        start += len(local) + 2
    else:
        start += len(local) + 2
    end = text.find('</', start)
    return text[start:end] if end >= 0 else None


def consumer(ip, wait):
    """The consumer's style differs on purpose: default namespaces and other prefixes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    # A fixed port of the dynamic range (RFC 6335: 49152-65535) rather than the kernel's pick (32768-60999
    # on Linux): every recording then has the same flows, with the consumer plainly the client.
    sock.bind((ip, CONSUMER_PORT))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    sock.settimeout(wait)
    probe = ('<?xml version="1.0" encoding="utf-8"?>'
             f'<soap:Envelope xmlns:soap="{S12}" xmlns:a="{WSA}">'
             '<soap:Header>'
             f'<a:Action soap:mustUnderstand="1">{WSD}/Probe</a:Action>'
             f'<a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID>'
             f'<a:ReplyTo><a:Address>{ANONYMOUS}</a:Address></a:ReplyTo>'
             f'<a:To soap:mustUnderstand="1">{TO_DISCOVERY}</a:To>'
             '</soap:Header><soap:Body>'
             f'<Probe xmlns="{WSD}"><Types xmlns:m="{MDPWS}">m:MedicalDevice</Types>'
             f'<Scopes MatchBy="{WSD}/rfc3986">sdc.mds.pkp:1.2.840.10004.20701.1.1</Scopes></Probe>'
             '</soap:Body></soap:Envelope>').encode()
    sock.sendto(probe, (GROUP, PORT))
    try:
        data, peer = sock.recvfrom(65535)
    except socket.timeout:
        print('no ProbeMatches', file=sys.stderr)
        return 1
    text = data.decode()
    epr = between(text, 'Address')
    print(f'ProbeMatches from {peer[0]}: {epr} {between(text, "XAddrs")}', flush=True)
    resolve = ('<?xml version="1.0" encoding="utf-8"?>'
               f'<soap:Envelope xmlns:soap="{S12}" xmlns:a="{WSA}" xmlns:d="{WSD}">'
               f'<soap:Header><a:Action>{WSD}/Resolve</a:Action>'
               f'<a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID><a:To>{TO_DISCOVERY}</a:To></soap:Header>'
               f'<soap:Body><d:Resolve><a:EndpointReference><a:Address>{epr}</a:Address></a:EndpointReference>'
               '</d:Resolve></soap:Body></soap:Envelope>').encode()
    sock.sendto(resolve, (GROUP, PORT))
    try:
        data, peer = sock.recvfrom(65535)
    except socket.timeout:
        print('no ResolveMatches', file=sys.stderr)
        return 1
    print(f'ResolveMatches from {peer[0]}: {between(data.decode(), "XAddrs")}', flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('role', choices=['provider', 'consumer'])
    ap.add_argument('--ip', required=True, help='this host\'s address (interface for multicast)')
    ap.add_argument('--seconds', type=float, default=30)
    args = ap.parse_args()
    if args.role == 'provider':
        Provider(args.ip, 6464).serve(args.seconds)
        return 0
    return consumer(args.ip, 3)


if __name__ == '__main__':
    sys.exit(main())
