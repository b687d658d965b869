#!/usr/bin/python3
"""MLLP receiver for make-hl7-fixtures.sh: python-hl7's asyncio MLLP server (hl7.mllp) on the given
ports; each message is parsed by the library and answered with the ACK the library builds
(Message.create_ack): AA for the message types an interface engine here accepts, AR otherwise.
Usage: hl7-receiver.py ADDRESS PORT [PORT...]   (prints "listening" once every port is open)."""
import asyncio
import sys

import hl7
from hl7.mllp import start_hl7_server

ACCEPTED = {("ADT", "A01"), ("ADT", "A08"), ("ORU", "R01")}


async def serve(reader, writer):
    try:
        while not writer.is_closing():
            message = await reader.readmessage()
            kind = (str(message.segment("MSH")(9)(1)(1)), str(message.segment("MSH")(9)(1)(2)))
            code = "AA" if kind in ACCEPTED else "AR"
            writer.writemessage(message.create_ack(ack_code=code, message_id="ACK-" + str(message.segment("MSH")(10))))
            await writer.drain()
            print(f"{kind[0]}^{kind[1]} -> {code}", flush=True)
    except asyncio.IncompleteReadError:
        pass  # the sender closed the connection
    finally:
        writer.close()


async def main():
    address, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
    servers = [await start_hl7_server(serve, address, port) for port in ports]
    print("listening", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main())
