# A small room server written from PROTOCOL.md, for the checker's tests. It
# passes every room check; the *_room_server.py programs next to it each
# switch on one mistake students make, to show the checker catches it.
# Usage: python3 NAME_room_server.py HOST PORT
import re
import selectors
import socket
import sys

MAX_LINE = 1024
NAME = re.compile(r"[A-Za-z0-9_-]{1,16}")


def visible(text):
    # Control characters as ^X (and others as <U+XXXX>), so they cannot act on a terminal.
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\t" or (code >= 0x20 and code != 0x7F and not 0x80 <= code <= 0x9F):
            out.append(ch)
        elif code < 0x20:
            out.append("^" + chr(code + 64))
        elif code == 0x7F:
            out.append("^?")
        else:
            out.append("<U+%04X>" % code)
    return "".join(out)


class Room:
    def __init__(self, echo=False, trust_prefix=False, truncate=False, strict_utf8=False, blocking=False):
        self.echo = echo
        self.trust_prefix = trust_prefix
        self.truncate = truncate
        self.strict_utf8 = strict_utf8
        self.blocking = blocking
        self.sel = selectors.DefaultSelector()
        self.clients = {}  # socket -> {"name", "inbox", "outbox"}
        self.history = []

    def send(self, sock, text):
        client = self.clients.get(sock)
        if client is None:
            return
        if self.blocking:
            # Waits until this one client has room: everyone waits with it.
            sock.setblocking(True)
            try:
                sock.sendall((text + "\n").encode())
            except ConnectionError:
                pass
            sock.setblocking(False)
            return
        client["outbox"] += (text + "\n").encode()
        if len(client["outbox"]) > 1_000_000:  # a reader that stopped: let it go
            self.drop(sock)
            return
        self.sel.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)

    def everyone_but(self, sender, text, include_sender=False):
        for sock, client in list(self.clients.items()):
            if client["name"] and (sock is not sender or include_sender):
                self.send(sock, text)

    def drop(self, sock):
        client = self.clients.pop(sock, None)
        self.sel.unregister(sock)
        sock.close()
        if client and client["name"]:
            self.everyone_but(None, "*** %s left" % client["name"])

    def line(self, sock, raw):
        client = self.clients[sock]
        if len(raw) > MAX_LINE:
            if not self.truncate:
                self.send(sock, "*** Error: Your line was %d bytes; the limit is %d bytes" % (len(raw), MAX_LINE))
                return
            raw = raw[:MAX_LINE]
        text = visible(raw.decode() if self.strict_utf8 else raw.decode(errors="replace"))
        if client["name"] is None:
            taken = {c["name"].lower() for c in self.clients.values() if c["name"]}
            if not NAME.fullmatch(text):
                self.send(sock, "*** Error: a name is 1 to 16 of A-Z a-z 0-9 _ -")
            elif text.lower() in taken:
                self.send(sock, "*** Error: that name is taken; type another")
            else:
                client["name"] = text
                names = sorted(c["name"] for c in self.clients.values() if c["name"])
                self.send(sock, "*** Hello %s! In the room (%d): %s." % (text, len(names), ", ".join(names)))
                if self.history:
                    self.send(sock, "*** Last messages:")
                    for old in self.history:
                        self.send(sock, old)
                    self.send(sock, "*** End of last messages.")
                self.everyone_but(sock, "*** %s joined" % text)
            return
        if text.startswith("/msg "):
            parts = text.split(" ", 2)
            for other, c in self.clients.items():
                if len(parts) == 3 and c["name"] and c["name"].lower() == parts[1].lower():
                    self.send(other, "*%s* %s" % (client["name"], parts[2]))
                    self.send(sock, "-> *%s* %s" % (c["name"], parts[2]))
                    return
            self.send(sock, "*** Error: nobody here is called that")
            return
        if self.trust_prefix and text.startswith("<"):
            relayed = text
        else:
            relayed = "<%s> %s" % (client["name"], text)
        self.history = (self.history + [relayed])[-20:]
        self.everyone_but(sock, relayed, include_sender=self.echo)

    def readable(self, sock):
        try:
            data = sock.recv(4096)
        except ConnectionError:
            data = b""
        if not data:
            self.drop(sock)
            return
        client = self.clients[sock]
        client["inbox"] += data
        while b"\n" in client["inbox"]:
            raw, client["inbox"] = client["inbox"].split(b"\n", 1)
            self.line(sock, raw.rstrip(b"\r"))
            if sock not in self.clients:
                return

    def writable(self, sock):
        client = self.clients[sock]
        try:
            sent = sock.send(client["outbox"])
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionError:
            self.drop(sock)
            return
        client["outbox"] = client["outbox"][sent:]
        if not client["outbox"]:
            self.sel.modify(sock, selectors.EVENT_READ)

    def serve(self, host, port):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        listener.setblocking(False)
        self.sel.register(listener, selectors.EVENT_READ)
        print("Listening on %s:%d" % listener.getsockname(), flush=True)
        while True:
            for key, events in self.sel.select():
                sock = key.fileobj
                if sock is listener:
                    conn, _ = listener.accept()
                    conn.setblocking(False)
                    self.clients[conn] = {"name": None, "inbox": b"", "outbox": b""}
                    self.sel.register(conn, selectors.EVENT_READ)
                    self.send(conn, "*** Welcome! Type your name.")
                    continue
                if events & selectors.EVENT_WRITE and sock in self.clients:
                    self.writable(sock)
                if events & selectors.EVENT_READ and sock in self.clients:
                    self.readable(sock)


def main(**defects):
    Room(**defects).serve(sys.argv[1], int(sys.argv[2]))


if __name__ == "__main__":
    main()
