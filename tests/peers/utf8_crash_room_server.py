# A room server with one deliberate mistake, for the checker's tests: it
# crashes on bytes that are not UTF-8 (strict .decode()).
# Usage: python3 utf8_crash_room_server.py HOST PORT
from room_base import main

main(strict_utf8=True)
