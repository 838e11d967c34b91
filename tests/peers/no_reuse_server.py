# The lesson's server without SO_REUSEADDR, for the checker's tests: started
# again right after it stopped, bind() fails with "Address already in use".
# Usage: python3 no_reuse_server.py HOST PORT
import socket
import sys

serverSock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serverSock.bind((sys.argv[1], int(sys.argv[2])))
serverSock.listen(1)
client, address = serverSock.accept()

while True:
    message = input()
    client.send(message.encode())
    recvMsg = client.recv(1024)
    print("Received:", recvMsg.decode(), flush=True)
