# The lesson's client, written exactly as ../shared/lesson.md describes it.
# Only the address and port come from the command line, so tests can pick them.
import socket
import sys

clientSock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
clientSock.connect((sys.argv[1], int(sys.argv[2])))

while True:
    message = input()
    clientSock.send(message.encode())
    recvMsg = clientSock.recv(1024)
    print("Received:", recvMsg.decode(), flush=True)
