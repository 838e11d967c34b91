# A take-turns server that frames messages properly, for the checker's tests.
# It passes every take-turns check; never_reads_server.py next to it switches
# on one mistake, to show the checker catches it.
# A message ends at "\n", or (as the lesson's programs send it, without one)
# when the other side has been quiet for 0.25 s.
# Usage: python3 turns_base.py HOST PORT
import select
import socket
import sys

MAX_MESSAGE = 1024
QUIET_SECONDS = 0.25


class Messages:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.closed = False

    def next(self):
        """The next message as bytes, or None once the other side closed."""
        while True:
            if b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                return line.rstrip(b"\r")
            if self.closed:
                message, self.buffer = self.buffer, b""
                return message or None
            ready, _, _ = select.select([self.sock], [], [], QUIET_SECONDS if self.buffer else None)
            if not ready:
                message, self.buffer = self.buffer, b""
                return message
            try:
                data = self.sock.recv(1024)
            except ConnectionError:
                data = b""
            if data:
                self.buffer += data
            else:
                self.closed = True


def show(message):
    if len(message) > MAX_MESSAGE:
        print("(The other side sent %d bytes; the limit is %d, so it was dropped.)" % (len(message), MAX_MESSAGE), flush=True)
    else:
        print("Received:", message.decode(errors="replace"), flush=True)


def main(read_once=False):
    serverSock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    serverSock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serverSock.bind((sys.argv[1], int(sys.argv[2])))
    serverSock.listen(1)
    client, address = serverSock.accept()
    messages = Messages(client)
    first = True
    while True:
        if first or not read_once:
            message = messages.next()
            if message is None:
                print("The other side closed the connection.", flush=True)
                break
            show(message)
            first = False
        line = sys.stdin.readline()
        if not line:
            break
        client.sendall(line.encode())


if __name__ == "__main__":
    main()
