#!/usr/bin/env python3
"""The obvious next step after the lesson, in Python: an asyncio server for
many clients that relays every line to everyone else. A benchmark baseline:
written the way a tutorial would, neither slowed down nor tuned (asyncio sets
TCP_NODELAY itself; `drain()` makes a slow reader hold up its sender).

Usage: python3 bench/baseline_python.py [PORT]   (0 picks a free port)
"""
import asyncio
import sys

clients = set()


async def broadcast(data, sender):
    """Sends `data` to every client except `sender`."""
    for writer in list(clients):
        if writer is not sender:
            writer.write(data)
            try:
                await writer.drain()
            except ConnectionError:
                clients.discard(writer)


async def handle(reader, writer):
    # The first line is the client's name.
    name = (await reader.readline()).decode().strip()
    clients.add(writer)
    writer.write(f"*** Hello {name}!\n".encode())
    await broadcast(f"*** {name} joined\n".encode(), writer)
    prefix = f"<{name}> ".encode()
    try:
        while line := await reader.readline():
            await broadcast(prefix + line, writer)
    except ConnectionError:
        pass
    finally:
        clients.discard(writer)
        writer.close()
        await broadcast(f"*** {name} left\n".encode(), writer)


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5555
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print(f"Listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
