# A take-turns server with one deliberate mistake, for the checker's tests:
# it reads the first message, then only sends and never reads again.
# Usage: python3 never_reads_server.py HOST PORT
from turns_base import main

main(read_once=True)
