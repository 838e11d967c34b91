# A room server with one deliberate mistake, for the checker's tests: it
# lets a client set its own name prefix (a line starting with < is relayed as it is).
# Usage: python3 prefix_room_server.py HOST PORT
from room_base import main

main(trust_prefix=True)
