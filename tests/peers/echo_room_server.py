# A room server with one deliberate mistake, for the checker's tests: it
# sends each line back to its sender too.
# Usage: python3 echo_room_server.py HOST PORT
from room_base import main

main(echo=True)
