/**
 * What `server.ts --help` and `client.ts --help` print, built from the
 * defaults themselves so the two can never disagree.
 *
 * @module
 */

import { ROOM_DEFAULTS } from "../room/defaults.ts";
import { DEFAULT_HOST, DEFAULT_PORT } from "./option_values.ts";

const D = ROOM_DEFAULTS;

/** `server.ts --help`. */
export const SERVER_HELP =
  `Usage: server.ts [--host HOST] [--port PORT] [--mode turns|chat|room]

Waits for a client and chats with it (the lesson's server).

Options:
  --host HOST        address to listen on (default ${DEFAULT_HOST}: this computer
                     only; use 0.0.0.0 so other computers can connect)
  --port PORT        port to listen on, 0-65535 (default ${DEFAULT_PORT}; 0 picks a free one)
  --mode MODE        turns: take turns, client speaks first (default)
                     chat:  both sides send whenever they want
                     room:  many clients in one room (same as --room)
  --room             same as --mode room
  --name NAME        your name in the room (default "${D.hostName}")
  --max-line-bytes N longest message in bytes (default ${D.maxLineBytes})
  --wire             show every read and write on stderr ("the wire view");
                     --wire=hex adds a hex column
  --timestamps       show the local time before each incoming line (chat, room)
  -h, --help         show this help

Room limits (each reached one gives that client a one-line reason):
  --max-unterminated-bytes N  bytes without a line end before dropping (default ${D.maxUnterminatedBytes})
  --max-queue-bytes N         bytes waiting for a slow reader before the room waits for it, or drops it if it stopped reading (default ${D.maxQueuedBytes})
  --max-clients N             clients at once (default ${D.maxClients})
  --max-per-address N         clients from one address at once (default ${D.maxClientsPerAddress})
  --rate-limit LINES,PER_SEC  lines at once, then lines per second (default ${D.rateLimit.burstLines},${D.rateLimit.linesPerSecond}; "off" to disable)
  --name-timeout SECONDS      time to choose a name (default ${
    D.nameTimeoutMs / 1000
  })
  --idle-timeout SECONDS      silence before a client is dropped (default ${
    D.idleTimeoutMs / 1000
  }; 0 = never)

Security:
  --tls-cert FILE    serve TLS with this certificate (PEM; needs --allow-read)
  --tls-key FILE     ... and this private key (PEM)
  --password TEXT    a room passphrase (visible in ps: prefer the environment
                     variable CHATLAB_PASSWORD, read with --allow-env=CHATLAB_PASSWORD)
  --password-file FILE  the passphrase is the first line of FILE (needs --allow-read)
  --op-password TEXT the moderator passphrase for /op (prefer the environment
                     variable CHATLAB_OP_PASSWORD)

In a browser:
  --web PORT         also serve the chat page and a WebSocket on PORT (same
                     room, same rules); open http://HOST:PORT/
  --web-origin URL   another page origin allowed to open the WebSocket
                     (repeatable; the page's own origin always is)

History:
  --db FILE          keep the room's history in this SQLite file, so it
                     survives a restart (needs --allow-read and --allow-write)
  --keep N[d]        how much the file keeps: N days (30d, the default) or the
                     last N messages (5000)`;

/** `client.ts --help`. */
export const CLIENT_HELP =
  `Usage: client.ts [--host HOST] [--port PORT] [--mode turns|chat] [--name NAME]
       client.ts HOST PORT

Connects to a chat server (the lesson's client).

Options:
  --host HOST        server address or name (default ${DEFAULT_HOST})
  --port PORT        server port, 1-65535 (default ${DEFAULT_PORT})
  --mode MODE        turns: take turns, you speak first (default)
                     chat:  send whenever you want
  --name NAME        join a room with this name (implies a room chat)
  --max-line-bytes N longest message in bytes (default ${D.maxLineBytes})
  --tls              connect with TLS
  --ca FILE          trust this certificate (PEM), e.g. a self-signed server's
  --password TEXT    the room's passphrase (visible in ps: prefer the
                     environment variable CHATLAB_PASSWORD)
  --wire             show every read and write on stderr ("the wire view");
                     --wire=hex adds a hex column
  --timestamps       show the local time before each incoming line (chat, room)
  -h, --help         show this help`;
