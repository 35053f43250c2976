#!/usr/bin/env python3
"""A TCP proxy that impairs one link: adds latency to every chunk and, with a given probability,
stalls a chunk as a lost packet would (a retransmission timeout), without breaking the byte stream.
Used by the multi-host test bed where the kernel has no netem.

usage: delay_proxy.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS LOSS STALL_MS
"""
import asyncio
import random
import sys


async def pipe(reader, writer, delay, loss, stall):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            wait = delay + (stall if random.random() < loss else 0.0)
            await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    host, port, target_host, target_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    delay, loss, stall = float(sys.argv[5]) / 1000, float(sys.argv[6]), float(sys.argv[7]) / 1000

    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, upstream_writer, delay, loss, stall),
                             pipe(upstream_reader, client_writer, delay, loss, stall))

    server = await asyncio.start_server(handle, host, port)
    print("proxy ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
