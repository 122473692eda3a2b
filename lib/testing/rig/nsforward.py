#!/usr/bin/python3
"""Relays TCP connections across a network-namespace boundary through a unix socket.

Unix sockets are files, reachable from every network namespace, so a process in the test's
namespace can listen on the bridge address and hand each connection to a server the test runs
on a unix socket in the host namespace (and the other way round: a unix socket in the host's
file system whose connections are relayed to an address inside the namespace).

Usage: nsforward.py --listen tcp:HOST:PORT --connect unix:PATH
       nsforward.py --listen unix:PATH --connect tcp:HOST:PORT
Prints {"event": "ready"} on stdout once listening (with "port" for a TCP listener; port 0 = a free one).
"""
import argparse
import asyncio
import json
import os
import signal
import sys


def parse(spec):
    kind, _, rest = spec.partition(":")
    if kind == "unix":
        return ("unix", rest)
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        return ("tcp", (host, int(port)))
    raise SystemExit(f"bad endpoint {spec!r} (tcp:HOST:PORT or unix:PATH)")


async def pump(reader, writer):
    try:
        while True:
            data = await reader.read(1 << 16)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass


async def main():
    parser = argparse.ArgumentParser(prog="nsforward")
    parser.add_argument("--listen", required=True)
    parser.add_argument("--connect", required=True)
    args = parser.parse_args()
    listen, target = parse(args.listen), parse(args.connect)

    async def handle(client_reader, client_writer):
        try:
            if target[0] == "unix":
                up_reader, up_writer = await asyncio.open_unix_connection(target[1])
            else:
                up_reader, up_writer = await asyncio.open_connection(*target[1])
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, up_writer), pump(up_reader, client_writer))
        client_writer.close()
        up_writer.close()

    if listen[0] == "unix":
        if os.path.exists(listen[1]):
            os.unlink(listen[1])
        server = await asyncio.start_unix_server(handle, listen[1])
    else:
        server = await asyncio.start_server(handle, *listen[1], reuse_address=True)
    ready = {"event": "ready"}
    if listen[0] == "tcp":
        ready["port"] = server.sockets[0].getsockname()[1]  # the one picked when asked for port 0
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop
    if listen[0] == "unix" and os.path.exists(listen[1]):
        os.unlink(listen[1])


if __name__ == "__main__":
    asyncio.run(main())
