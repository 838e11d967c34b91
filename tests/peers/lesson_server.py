# The lesson's server, written exactly as ../shared/lesson.md describes it.
# Only the address and port come from the command line, so tests can pick them.
import socket
import sys

serverSock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serverSock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serverSock.bind((sys.argv[1], int(sys.argv[2])))
serverSock.listen(1)
print("Listening on", serverSock.getsockname()[1], flush=True)
client, address = serverSock.accept()

while True:
    message = input()
    client.send(message.encode())
    recvMsg = client.recv(1024)
    print("Received:", recvMsg.decode(), flush=True)
