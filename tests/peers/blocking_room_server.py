# A room server with one deliberate mistake, for the checker's tests: it
# sends to each client in turn and waits until that client has room, so one
# client that never reads stalls the whole room.
# Usage: python3 blocking_room_server.py HOST PORT
from room_base import main

main(blocking=True)
