#!/usr/bin/python3
"""A POCT1-A conversation over a real TCP connection, for make-poct1a-fixtures.sh. No POCT1-A
implementation is packaged in Debian, so both ends are built here from CLSI POCT1-A2 (Device Messaging
Layer: one XML document per message, root element = message type, values in `V` attributes, every
message acknowledged with ACK.R01 carrying ACK.type_cd and ACK.ack_control_id = the HDR.control_id
of the message acknowledged). The messages are the files in poct1a-messages/, `{control_id}` and
`{ack_control_id}` filled in here.

  poct1a-session.py manager ADDRESS PORT   observation reviewer (data manager): prints "listening",
                                           serves one device conversation, then exits
  poct1a-session.py device ADDRESS PORT    the point-of-care device

Conversation (device -> manager unless marked <-):
  HEL.R01, <- ACK; DST.R01 (1 new observation), <- ACK; <- REQ.R01 (ROBS: send observations), ACK;
  OBS.R01 (patient result, planted patient data), <- ACK; EOT.R01 (topic OBS), <- ACK; <- END.R01.
"""
import os
import re
import socket
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "poct1a-messages")
ROOT = re.compile(rb"<([A-Z]{3}\.[A-Z0-9_]{2,16})[\s/>]")
CONTROL_ID = re.compile(rb'<HDR\.control_id\s+V="([^"]*)"')


class Peer:
    def __init__(self, sock, first_control_id):
        self.sock = sock
        self.buf = b""
        self.next_id = first_control_id

    def send(self, name, ack_control_id=""):
        with open(os.path.join(HERE, name + ".xml"), encoding="utf-8") as f:
            text = f.read()
        text = text.replace("{control_id}", str(self.next_id)).replace("{ack_control_id}", ack_control_id)
        self.next_id += 1
        self.sock.sendall(text.encode("utf-8"))

    def receive(self):
        """The next whole message: (type, HDR.control_id)."""
        while True:
            m = ROOT.search(self.buf)
            if m:
                close = b"</" + m.group(1) + b">"
                end = self.buf.find(close, m.end())
                if end >= 0:
                    message, self.buf = self.buf[: end + len(close)], self.buf[end + len(close):]
                    cid = CONTROL_ID.search(message)
                    return m.group(1).decode(), cid.group(1).decode() if cid else ""
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data

    def expect(self, kind):
        got, cid = self.receive()
        if got != kind:
            raise RuntimeError(f"expected {kind}, got {got}")
        print(f"received {got} {cid}", flush=True)
        return cid

    def ack(self, cid):
        self.send("ack.r01", cid)


def manager(address, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((address, port))
    srv.listen(1)
    print("listening", flush=True)
    conn, _ = srv.accept()
    p = Peer(conn, 5001)
    p.ack(p.expect("HEL.R01"))
    p.ack(p.expect("DST.R01"))
    p.send("req.r01")
    p.expect("ACK.R01")
    p.ack(p.expect("OBS.R01"))
    p.ack(p.expect("EOT.R01"))
    p.send("end.r01")
    conn.shutdown(socket.SHUT_WR)
    try:
        p.receive()
    except EOFError:
        pass  # the device closed too
    conn.close()
    srv.close()
    print("done", flush=True)


def device(address, port):
    sock = socket.create_connection((address, port))
    p = Peer(sock, 1)
    for name in ("hel.r01", "dst.r01"):
        p.send(name)
        p.expect("ACK.R01")
    p.ack(p.expect("REQ.R01"))
    for name in ("obs.r01", "eot.r01"):
        p.send(name)
        p.expect("ACK.R01")
    p.expect("END.R01")
    sock.close()
    print("done", flush=True)


if __name__ == "__main__":
    role, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"manager": manager, "device": device}[role](address, port)
