# A room server with one deliberate mistake, for the checker's tests: it
# cuts a line over 1024 bytes to its first 1024 bytes and relays that.
# Usage: python3 truncating_room_server.py HOST PORT
from room_base import main

main(truncate=True)
