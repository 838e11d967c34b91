# A take-turns server with one deliberate mistake, for the checker's tests:
# it never checks for recv() returning b'', so once the client leaves it
# loops at full speed (100% CPU) instead of ending.
# Usage: python3 spinning_server.py HOST PORT
import socket
import sys

serverSock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serverSock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serverSock.bind((sys.argv[1], int(sys.argv[2])))
serverSock.listen(1)
client, address = serverSock.accept()

while True:
    data = client.recv(1024)
    if data:
        print("Received:", data.decode(errors="replace"), flush=True)
        client.send(input().encode())
