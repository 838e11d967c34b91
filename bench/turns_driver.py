#!/usr/bin/env python3
"""Times take-turns mode: types scripted messages into a server and a client
through their stdin and waits for each `Received:` line they print.

Usage: python3 bench/turns_driver.py chatlab|lesson EXCHANGES [SERVER_CORE CLIENT_CORE]

Each exchange: one message to the client and one to the server, then wait
until each has printed `Received: ...` once more. The lesson's programs
both send before they receive, so this is the script both pairs can follow;
nothing is sent before the previous exchange completed, so the lesson's
unterminated messages never merge. Blocking pipes keep the driver's own
share of each exchange small (a few microseconds). Prints one JSON line.
"""
import json
import re
import subprocess
import sys
import threading
import time

DENO = sys.argv[5] if len(sys.argv) > 5 else "deno"
LOOPBACK = "127.0.0.1"
HANG_GUARD_S = 60


def pinned(core, command):
    return ["taskset", "-c", core, *command] if core != "any" else command


def start(command):
    return subprocess.Popen(command, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)


def start_pair(pair, server_core, client_core):
    if pair == "chatlab":
        server = start(pinned(server_core, [
            DENO, "run", "--allow-net", "--allow-env=CHATLAB_PASSWORD",
            "server.ts", "--host", LOOPBACK, "--port", "0"]))
        port = re.search(r":(\d+)$", server.stdout.readline().strip()).group(1)
        client = start(pinned(client_core, [
            DENO, "run", "--allow-net", "client.ts",
            "--host", LOOPBACK, "--port", port]))
    else:
        server = start(pinned(server_core, [
            "python3", "tests/peers/lesson_server.py", LOOPBACK, "0"]))
        port = server.stdout.readline().split()[-1]
        client = start(pinned(client_core, [
            "python3", "tests/peers/lesson_client.py", LOOPBACK, port]))
    return server, client


def wait_for_received(process):
    while True:
        line = process.stdout.readline()
        if line.startswith("Received: "):
            return
        if line == "":
            raise RuntimeError(f"{' '.join(process.args)} ended before replying")


def main():
    pair, exchanges = sys.argv[1], int(sys.argv[2])
    server_core = sys.argv[3] if len(sys.argv) > 3 else "any"
    client_core = sys.argv[4] if len(sys.argv) > 4 else "any"
    server, client = start_pair(pair, server_core, client_core)
    # A hang guard: kill both after a minute, which ends any wait for output.
    guard = threading.Timer(HANG_GUARD_S, lambda: [p.kill() for p in (client, server)])
    guard.start()
    try:
        start_time = None
        # Exchange 0 includes connecting: it is not timed.
        for index in range(exchanges + 1):
            if index == 1:
                start_time = time.perf_counter()
            client.stdin.write(f"client message {index}\n")
            client.stdin.flush()
            server.stdin.write(f"server message {index}\n")
            server.stdin.flush()
            wait_for_received(server)
            wait_for_received(client)
        elapsed = time.perf_counter() - start_time
    finally:
        guard.cancel()
        for process in (client, server):
            process.kill()
            process.wait()
    print(json.dumps({
        "pair": pair,
        "exchanges": exchanges,
        "elapsedMs": elapsed * 1000,
        "exchangesPerSec": exchanges / elapsed,
    }))


if __name__ == "__main__":
    main()
