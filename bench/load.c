/*
 * The load generator of `deno task bench`, in C so that it is never the
 * limit: one thread, one epoll loop, nonblocking sockets, one reused read
 * buffer, and about twenty nanoseconds of checking per line. The runner
 * builds it (`gcc -O2`, see bench/generator.ts) and pins it to its own core.
 *
 * It opens N clients to a chat room server on 127.0.0.1, lets S of them send
 * M lines of 64 bytes each, has every client read everything, and prints one
 * JSON object with what it measured (the fields of bench/results.ts).
 *
 * Every line carries its sender, a sequence number, the time it was sent and
 * a check digit, at a fixed place: the last 64 bytes before the `\n`. So any
 * server's prefix (`<name> `, `<user5> `) is skipped without parsing it, and
 * each line is checked per sender and per receiver. Each fault is counted as
 * exactly one kind:
 *   corrupted      a whole payload line whose fields, filler or check digit
 *                  are wrong (every single-digit change moves the check digit)
 *   split          a line that is neither a payload, a notice nor the sync
 *                  line: a piece of a line a relay cut in two (or garbage)
 *   merged         a line holding more than one payload: a relay dropped a
 *                  `\n` (neither payload counts as delivered)
 *   echoed         a sender's own line sent back to it
 *   duplicated     a line a receiver already had
 *   reordered      a line that arrived after a later one of the same sender
 *   misattributed  a prefix that does not name the real sender
 *   lost           counted at the end, on its own, from each receiver's
 *                  record of which (sender, sequence) it got whole
 *
 * With --ws-port and --ws-clients, some of the clients speak WebSocket
 * instead (RFC 6455, the protocol of chatlab's page, PROTOCOL.md): an HTTP
 * upgrade to /ws with the page's own Origin (its accept key checked), masked
 * client frames of one JSON object each (`{"type":"line","text":...,"seq":N}`,
 * numbered from 1 as the page does), unmasked server frames. Each event frame
 * (`{"type":"event","kind":"say","from":F,"text":T}`) is checked as the line
 * `<F> T` would be, so every fault above counts the same; `ack` frames are
 * counted, pings answered. Deliveries and latency are also kept apart by the
 * receiver's kind (`byKind`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD_BYTES 64
#define SENDER_DIGITS 5
#define SEQ_DIGITS 8
#define TIME_DIGITS 12
#define SENDER_AT 2
#define SEQ_AT (SENDER_AT + SENDER_DIGITS + 1)
#define TIME_AT (SEQ_AT + SEQ_DIGITS + 1)
#define FILLER_AT (TIME_AT + TIME_DIGITS + 1)
#define FILLER "abcdefghijklmnopqrstuvwxyzABCDEF"
#define FILLER_LEN 32
#define CHECK_AT (FILLER_AT + FILLER_LEN)
#define READ_BYTES (256 * 1024)
/* A line without `\n` longer than this is garbage: count it and drop it. */
#define MAX_TAIL_BYTES (1 << 20)
/* Latency histogram: exact below 2048 us, then 1/1024 relative precision. */
#define LINEAR_BUCKETS 2048
#define SUB_BUCKETS 1024
#define HISTOGRAM_SIZE (LINEAR_BUCKETS + 22 * SUB_BUCKETS)
#define TICK_US 25000
#define MAX_ERRORS 5
/* Receivers' kinds, for the figures kept apart (0 is everyone). */
#define ALL 0
#define TCP 1
#define WS 2
/* A WebSocket message longer than this is garbage (chatlab's member lists
 * are the longest: about 40 bytes a member). */
#define MAX_MESSAGE_BYTES (4 << 20)

typedef struct {
  const char *name;
  bool sends_name;   /* the client's first line is its name */
  const char *ready; /* the greeting that says it has joined */
  bool names;        /* the server prefixes `<name> ` (else `<userN> `) */
} Adapter;

static const Adapter ADAPTERS[] = {
    {"chatlab", true, "*** Hello", true},
    {"node", true, "*** Hello", true},
    {"python", true, "*** Hello", true},
    /* ncat --chat names clients itself, at the start of each chunk. */
    {"ncat", false, "<announce> already connected:", false},
};

typedef struct {
  int fd;
  int id;
  char name[16];
  char prefix[24];
  int prefix_len;
  bool stalls, connected, ready, sync_seen, closed, polled;
  bool ws;       /* speaks WebSocket */
  bool upgraded; /* its upgrade was accepted: frames from here on */
  char ws_key[32], ws_accept[32];
  char *tail;
  size_t tail_len, tail_cap;
  /* A WebSocket message in fragments (FIN not yet seen). */
  char *message;
  size_t message_len, message_cap;
  bool in_message;
  uint64_t acks;
  uint8_t *seen;    /* one bit per (sender, seq) received whole */
  int32_t *max_seq; /* per sender, the highest seq so far (-1: none) */
  /* Sending. */
  uint32_t sent;
  char *out;
  size_t out_len, out_off;
  bool blocked; /* waiting for EPOLLOUT */
  uint64_t due_us;
} Client;

/* Options. */
static const Adapter *adapter;
static int port, client_count = 2, sender_count = 1, line_count = 1000;
static double rate;
static int batch_lines = 10, stall_count, connect_concurrency = 100;
/* Unacknowledged lines a WebSocket sender may have (0: any number). The
 * server's ack is its "I took it", as a TCP socket's room to write is. */
static int ws_window;
static int quiet_ms = 3000, time_limit_ms = 60000, settle_ms = 1000;
static bool stall_pause = true;
static const char *server_pid;
static int ws_port, ws_client_count;

static Client *clients;
static int epfd;
static char *read_buffer;
static uint64_t started_us;
static bool measuring;
static bool recording; /* each receiver's record of lines is allocated */
static uint64_t last_delivery_us;
static uint64_t last_bytes_us; /* when any client last read anything */
/* By receiver kind: ALL, TCP, WS. */
static uint32_t histogram[3][HISTOGRAM_SIZE];
static uint64_t max_latency_us[3], delivered_by[3], last_delivery_by[3];
static int disconnected;
static char errors[MAX_ERRORS][200];
static int error_count;
static struct {
  uint64_t delivered, duplicated, reordered, corrupted, split, merged,
      misattributed, echoed, notices, reads, acks, pings;
} counts;

static void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("error: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

static void note(const char *format, ...) {
  if (error_count < MAX_ERRORS) {
    va_list args;
    va_start(args, format);
    vsnprintf(errors[error_count], sizeof errors[0], format, args);
    va_end(args);
  }
  error_count++;
}

/* Microseconds since the generator started (fits the 12-digit time field). */
static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u -
         started_us;
}

static long whole(const char *flag, const char *text, long lowest) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *text == '\0' || *end != '\0' || value < lowest)
    fail("Invalid --%s \"%s\": use a whole number, %ld or more", flag, text,
         lowest);
  return value;
}

static const char USAGE[] =
    "Usage: bench/build/load --port PORT [options]\n"
    "  --target T               chatlab | node | python | ncat (default chatlab)\n"
    "  --clients N              clients in the room (default 2)\n"
    "  --senders S              how many of them send (default 1)\n"
    "  --lines M                lines each sender sends; 0 = join, idle, measure RSS\n"
    "  --rate R                 lines/s per sender; 0 = as fast as possible (default)\n"
    "  --batch B                lines per write when flooding (default 10)\n"
    "  --stall K                the last K clients never read (default 0)\n"
    "  --stall-mode pause|read  pause: they never read; read: they read but are\n"
    "                           not counted (a control for the same room)\n"
    "  --server-pid PID         read the server's CPU time and RSS from /proc\n"
    "  --connect-concurrency C  joins in flight at once (default 100)\n"
    "  --quiet-ms MS            stop after this long without a delivery (default 3000)\n"
    "  --time-limit-ms MS       stop after this long in any case (default 60000)\n"
    "  --settle-ms MS           idle runs: once no client has read anything for\n"
    "                           1 s, wait this long before reading RSS (default 1000)\n"
    "  --ws-port PORT           the server's WebSocket (ws://127.0.0.1:PORT/ws)\n"
    "  --ws-clients K           K of the clients, spread evenly (senders too),\n"
    "                           speak WebSocket there (default 0)\n"
    "  --ws-window N            a WebSocket sender keeps at most N lines\n"
    "                           unacknowledged, as the page does (default 0: no limit)\n";

static void parse_args(int argc, char **argv) {
  const char *target = "chatlab";
  bool have_port = false;
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i];
    if (strcmp(flag, "-h") == 0 || strcmp(flag, "--help") == 0) {
      fputs(USAGE, stdout);
      exit(0);
    }
    if (strncmp(flag, "--", 2) != 0 || i + 1 >= argc) {
      fputs(USAGE, stderr);
      exit(2);
    }
    const char *name = flag + 2, *value = argv[++i];
    if (strcmp(name, "port") == 0) port = whole(name, value, 1), have_port = true;
    else if (strcmp(name, "target") == 0) target = value;
    else if (strcmp(name, "clients") == 0) client_count = whole(name, value, 1);
    else if (strcmp(name, "senders") == 0) sender_count = whole(name, value, 0);
    else if (strcmp(name, "lines") == 0) line_count = whole(name, value, 0);
    else if (strcmp(name, "rate") == 0) {
      char *end;
      rate = strtod(value, &end);
      if (*end != '\0' || rate < 0) fail("Invalid --rate \"%s\"", value);
    } else if (strcmp(name, "batch") == 0) batch_lines = whole(name, value, 1);
    else if (strcmp(name, "stall") == 0) stall_count = whole(name, value, 0);
    else if (strcmp(name, "stall-mode") == 0) {
      if (strcmp(value, "pause") == 0) stall_pause = true;
      else if (strcmp(value, "read") == 0) stall_pause = false;
      else fail("Invalid --stall-mode \"%s\": use pause or read", value);
    } else if (strcmp(name, "server-pid") == 0) server_pid = value;
    else if (strcmp(name, "connect-concurrency") == 0)
      connect_concurrency = whole(name, value, 1);
    else if (strcmp(name, "quiet-ms") == 0) quiet_ms = whole(name, value, 1);
    else if (strcmp(name, "time-limit-ms") == 0)
      time_limit_ms = whole(name, value, 1);
    else if (strcmp(name, "settle-ms") == 0) settle_ms = whole(name, value, 0);
    else if (strcmp(name, "ws-port") == 0) ws_port = whole(name, value, 1);
    else if (strcmp(name, "ws-window") == 0) ws_window = whole(name, value, 0);
    else if (strcmp(name, "ws-clients") == 0)
      ws_client_count = whole(name, value, 0);
    else fail("Unknown option \"%s\"", flag);
  }
  if (!have_port) {
    fputs(USAGE, stderr);
    exit(2);
  }
  for (size_t i = 0; i < sizeof ADAPTERS / sizeof ADAPTERS[0]; i++)
    if (strcmp(ADAPTERS[i].name, target) == 0) adapter = &ADAPTERS[i];
  if (adapter == NULL) fail("Unknown --target \"%s\"", target);
  if (sender_count + stall_count > client_count)
    fail("--senders plus --stall must not exceed --clients");
  if (line_count >= 100000000 || client_count >= 100000)
    fail("Too many lines or clients for the payload's fields");
  if (ws_client_count > client_count)
    fail("--ws-clients must not exceed --clients");
  if (ws_client_count > 0 && ws_port == 0)
    fail("--ws-clients needs --ws-port");
}

/* ---- /proc ---------------------------------------------------------- */

typedef struct {
  long ticks, rss_kib, hwm_kib; /* -1: unknown */
} ServerStatus;

static ServerStatus server_status(void) {
  ServerStatus status = {-1, -1, -1};
  if (server_pid == NULL) return status;
  char path[64], text[4096];
  snprintf(path, sizeof path, "/proc/%s/stat", server_pid);
  FILE *file = fopen(path, "r");
  if (file == NULL) return status;
  size_t n = fread(text, 1, sizeof text - 1, file);
  fclose(file);
  text[n] = '\0';
  char *after = strrchr(text, ')');
  if (after != NULL) {
    /* utime and stime are fields 14 and 15; field 3 follows ") ". */
    char *field = after + 2;
    for (int i = 3; i < 14 && field != NULL; i++) {
      field = strchr(field, ' ');
      if (field != NULL) field++;
    }
    long utime, stime;
    if (field != NULL && sscanf(field, "%ld %ld", &utime, &stime) == 2)
      status.ticks = utime + stime;
  }
  snprintf(path, sizeof path, "/proc/%s/status", server_pid);
  file = fopen(path, "r");
  if (file == NULL) return status;
  char line[256];
  while (fgets(line, sizeof line, file) != NULL) {
    sscanf(line, "VmRSS: %ld", &status.rss_kib);
    sscanf(line, "VmHWM: %ld", &status.hwm_kib);
  }
  fclose(file);
  return status;
}

#define MAX_CORES 256
typedef struct {
  int count;
  unsigned long long busy[MAX_CORES], total[MAX_CORES];
} CoreTimes;

/* Busy and idle time of every core: loopback TCP's softirq time is the
 * core's, not a process's, so the report judges limits by core busy share. */
static CoreTimes core_times(void) {
  CoreTimes times = {0};
  FILE *file = fopen("/proc/stat", "r");
  if (file == NULL) return times;
  char line[512];
  while (fgets(line, sizeof line, file) != NULL && times.count < MAX_CORES) {
    unsigned long long v[8];
    int core;
    if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
      continue;
    if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &core,
               &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9)
      continue;
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    times.busy[times.count] = busy;
    times.total[times.count] = busy + v[3] + v[4];
    times.count++;
  }
  fclose(file);
  return times;
}

static double cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static double system_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

/* ---- connections ------------------------------------------------------ */

static void watch(Client *client, uint32_t events, int op) {
  struct epoll_event event = {.events = events, .data.u32 = client->id};
  if (epoll_ctl(epfd, op, client->fd, &event) != 0)
    fail("epoll_ctl: %s", strerror(errno));
}

static void close_client(Client *client) {
  if (client->closed) return;
  client->closed = true;
  if (measuring) disconnected++;
  if (client->polled) epoll_ctl(epfd, EPOLL_CTL_DEL, client->fd, NULL);
  client->polled = false;
}

static void start_connect(Client *client) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket: %s (raise the open-file limit)", strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET,
                                .sin_port = htons(client->ws ? ws_port : port)};
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  client->fd = fd;
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0 &&
      errno != EINPROGRESS) {
    note("%s: connect: %s", client->name, strerror(errno));
    client->closed = true;
    return;
  }
  watch(client, EPOLLIN | EPOLLOUT, EPOLL_CTL_ADD);
  client->polled = true;
}

/* Writes what is pending; false if the socket is full (or gone). */
static bool flush_out(Client *client) {
  while (client->out_off < client->out_len) {
    ssize_t n = write(client->fd, client->out + client->out_off,
                      client->out_len - client->out_off);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        if (!client->blocked && client->polled)
          watch(client, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
        client->blocked = true;
        return false;
      }
      note("%s: write: %s", client->name, strerror(errno));
      close_client(client);
      return false;
    }
    client->out_off += n;
  }
  client->out_len = client->out_off = 0;
  if (client->blocked && client->polled)
    watch(client, EPOLLIN, EPOLL_CTL_MOD);
  client->blocked = false;
  return true;
}

static void queue_text(Client *client, const char *text, size_t length) {
  client->out = realloc(client->out, client->out_len + length);
  memcpy(client->out + client->out_len, text, length);
  client->out_len += length;
}

/* ---- WebSocket: the upgrade's accept key (SHA-1, base64) and frames ---- */

static uint32_t rotl(uint32_t x, int n) { return x << n | x >> (32 - n); }

static void sha1(const uint8_t *data, size_t length, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                   0xC3D2E1F0};
  size_t padded = (length + 9 + 63) / 64 * 64;
  uint8_t *m = calloc(padded, 1);
  if (m == NULL) fail("out of memory");
  memcpy(m, data, length);
  m[length] = 0x80;
  uint64_t bits = (uint64_t)length * 8;
  for (int i = 0; i < 8; i++) m[padded - 1 - i] = bits >> (8 * i);
  for (size_t block = 0; block < padded; block += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
      w[i] = (uint32_t)m[block + 4 * i] << 24 | m[block + 4 * i + 1] << 16 |
             m[block + 4 * i + 2] << 8 | m[block + 4 * i + 3];
    for (int i = 16; i < 80; i++)
      w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rotl(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rotl(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  free(m);
  for (int i = 0; i < 20; i++) out[i] = h[i / 4] >> (24 - 8 * (i % 4));
}

static void base64(const uint8_t *data, size_t length, char *out) {
  static const char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < length; i += 3) {
    uint32_t v = (uint32_t)data[i] << 16;
    if (i + 1 < length) v |= data[i + 1] << 8;
    if (i + 2 < length) v |= data[i + 2];
    out[o++] = digits[v >> 18 & 63];
    out[o++] = digits[v >> 12 & 63];
    out[o++] = i + 1 < length ? digits[v >> 6 & 63] : '=';
    out[o++] = i + 2 < length ? digits[v & 63] : '=';
  }
  out[o] = '\0';
}

static uint32_t mask_state = 0x9E3779B9;

/* Queues one masked client frame (FIN set) holding `length` bytes. */
static void queue_frame(Client *client, int opcode, const char *payload,
                        size_t length) {
  client->out = realloc(client->out, client->out_len + length + 14);
  uint8_t *f = (uint8_t *)client->out + client->out_len;
  size_t at = 0;
  f[at++] = 0x80 | opcode;
  if (length < 126) {
    f[at++] = 0x80 | length;
  } else if (length < 65536) {
    f[at++] = 0x80 | 126;
    f[at++] = length >> 8;
    f[at++] = length & 0xff;
  } else {
    f[at++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) f[at++] = (uint64_t)length >> (8 * i);
  }
  mask_state ^= mask_state << 13;
  mask_state ^= mask_state >> 17;
  mask_state ^= mask_state << 5;
  uint8_t key[4];
  memcpy(key, &mask_state, 4);
  memcpy(f + at, key, 4);
  at += 4;
  for (size_t i = 0; i < length; i++) f[at + i] = payload[i] ^ key[i & 3];
  client->out_len += at + length;
}

/* `{"type":"line","text":TEXT}` (TEXT: no character JSON must escape),
 * with `"seq":SEQ` when `seq` > 0, as the page sends a line it numbers. */
static void queue_ws_line(Client *client, const char *text, size_t length,
                          uint64_t seq) {
  char frame[PAYLOAD_BYTES + 96];
  if (length > PAYLOAD_BYTES + 32) fail("a WebSocket line too long");
  size_t n = 0;
  memcpy(frame, "{\"type\":\"line\",\"text\":\"", 23);
  n = 23;
  memcpy(frame + n, text, length);
  n += length;
  if (seq > 0) n += snprintf(frame + n, sizeof frame - n, "\",\"seq\":%llu}",
                             (unsigned long long)seq);
  else frame[n++] = '"', frame[n++] = '}';
  queue_frame(client, 0x1, frame, n);
}

/* One line (`text` without its `\n`), in the client's own framing. */
static void queue_line(Client *client, const char *text, size_t length) {
  if (client->ws) return queue_ws_line(client, text, length, 0);
  queue_text(client, text, length);
  queue_text(client, "\n", 1);
}

/* The upgrade request: the page's own origin, as a browser on it sends. */
static void queue_upgrade(Client *client) {
  uint8_t nonce[16];
  for (int i = 0; i < 16; i++) nonce[i] = (uint8_t)(rand() >> 7);
  base64(nonce, 16, client->ws_key);
  char both[96];
  int n = snprintf(both, sizeof both, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                   client->ws_key);
  uint8_t digest[20];
  sha1((const uint8_t *)both, n, digest);
  base64(digest, 20, client->ws_accept);
  char request[512];
  int length = snprintf(
      request, sizeof request,
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
      "Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:%d\r\n\r\n",
      ws_port, client->ws_key, ws_port);
  queue_text(client, request, length);
}

/* ---- payloads ----------------------------------------------------------- */

static int write_digits(char *at, int width, uint64_t value) {
  int sum = 0;
  for (int i = width - 1; i >= 0; i--) {
    int digit = value % 10;
    at[i] = '0' + digit;
    sum += digit;
    value /= 10;
  }
  return sum;
}

/* Queues the next `count` lines of `sender`, stamped with the time now. */
static void queue_payloads(Client *sender, int count) {
  if (sender->ws) {
    /* One frame a line, each line numbered from 1 as the page does. */
    Client scratch = {.id = sender->id, .sent = sender->sent};
    queue_payloads(&scratch, count);
    for (int i = 0; i < count; i++) {
      queue_ws_line(sender, scratch.out + i * (PAYLOAD_BYTES + 1),
                    PAYLOAD_BYTES, sender->sent + 1);
      sender->sent++;
    }
    free(scratch.out);
    return;
  }
  size_t length = (size_t)count * (PAYLOAD_BYTES + 1);
  sender->out = realloc(sender->out, sender->out_len + length);
  char *bytes = sender->out + sender->out_len;
  uint64_t time_us = now_us();
  for (int i = 0; i < count; i++) {
    char *line = bytes + i * (PAYLOAD_BYTES + 1);
    line[0] = '#';
    line[1] = 'L';
    int sum = write_digits(line + SENDER_AT, SENDER_DIGITS, sender->id);
    line[SEQ_AT - 1] = ' ';
    sum += write_digits(line + SEQ_AT, SEQ_DIGITS, sender->sent++);
    line[TIME_AT - 1] = ' ';
    sum += write_digits(line + TIME_AT, TIME_DIGITS, time_us);
    line[FILLER_AT - 1] = ' ';
    memcpy(line + FILLER_AT, FILLER, FILLER_LEN);
    line[CHECK_AT] = '0' + sum % 10;
    line[CHECK_AT + 1] = '.';
    line[PAYLOAD_BYTES] = '\n';
  }
  sender->out_len += length;
}

/* ---- checking lines ---------------------------------------------------- */

/* Reads `width` decimal digits; -1 if any byte is not a digit. Adds their
 * sum to `*sum`. */
static inline long read_digits(const char *at, int width, unsigned *sum) {
  long value = 0;
  for (int i = 0; i < width; i++) {
    unsigned digit = (unsigned char)at[i] - '0';
    if (digit > 9) return -1;
    value = value * 10 + digit;
    *sum += digit;
  }
  return value;
}

static unsigned bucket_of(uint64_t us) {
  if (us < LINEAR_BUCKETS) return us;
  int exponent = 63 - __builtin_clzll(us);
  unsigned mantissa = (unsigned)(us >> (exponent - 10)) - SUB_BUCKETS;
  unsigned bucket = LINEAR_BUCKETS + (exponent - 11) * SUB_BUCKETS + mantissa;
  return bucket < HISTOGRAM_SIZE ? bucket : HISTOGRAM_SIZE - 1;
}

static double lower_bound_of(unsigned bucket) {
  if (bucket < LINEAR_BUCKETS) return bucket;
  int exponent = (bucket - LINEAR_BUCKETS) / SUB_BUCKETS + 11;
  unsigned mantissa = (bucket - LINEAR_BUCKETS) % SUB_BUCKETS + SUB_BUCKETS;
  return (double)mantissa * (double)(1ull << (exponent - 10));
}

static bool starts_with(const char *line, size_t length, const char *prefix) {
  size_t n = strlen(prefix);
  return length >= n && memcmp(line, prefix, n) == 0;
}

/* Whether the bytes before the payload name its sender: `<c0007> ` where the
 * server names clients by their first line; `<userN> ` for ncat, which
 * numbers clients itself, so only the form can be checked. */
static bool prefix_names(const char *line, size_t length, int sender) {
  if (adapter->names)
    return (int)length == clients[sender].prefix_len &&
           memcmp(line, clients[sender].prefix, length) == 0;
  return length > 7 && memcmp(line, "<user", 5) == 0 &&
         line[length - 2] == '>' && line[length - 1] == ' ';
}

/* Eight ASCII digits at once (the SWAR tricks of simdjson's number parser):
 * -1 unless all eight are digits; adds their sum to `*sum`. */
static inline long read_eight_digits(const char *at, unsigned *sum) {
  uint64_t x;
  memcpy(&x, at, 8);
  if ((((x & 0xF0F0F0F0F0F0F0F0ull) |
        (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) !=
       0x3333333333333333ull))
    return -1;
  uint64_t digits = x & 0x0F0F0F0F0F0F0F0Full;
  *sum += (unsigned)((digits * 0x0101010101010101ull) >> 56);
  x = (digits * 2561) >> 8;
  x = ((x & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
  return (long)(((x & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32);
}

static bool is_payload_valid(const char *p, int *sender_out, long *seq_out,
                             uint64_t *sent_out) {
  unsigned digit_sum = 0;
  long sender = read_digits(p + SENDER_AT, SENDER_DIGITS, &digit_sum);
  long seq = read_eight_digits(p + SEQ_AT, &digit_sum);
  long sent_high = read_digits(p + TIME_AT, TIME_DIGITS - 8, &digit_sum);
  long sent_low = read_eight_digits(p + TIME_AT + TIME_DIGITS - 8, &digit_sum);
  long sent = sent_high < 0 || sent_low < 0 ? -1
                                            : sent_high * 100000000 + sent_low;
  if (sender < 0 || seq < 0 || sent < 0 || sender >= sender_count ||
      seq >= line_count || p[SEQ_AT - 1] != ' ' || p[TIME_AT - 1] != ' ' ||
      p[FILLER_AT - 1] != ' ' || (unsigned char)p[CHECK_AT] != '0' + digit_sum % 10 ||
      p[CHECK_AT + 1] != '.' || memcmp(p + FILLER_AT, FILLER, FILLER_LEN) != 0)
    return false;
  *sender_out = sender;
  *seq_out = seq;
  *sent_out = sent;
  return true;
}

static void on_greeting(Client *client, const char *line, size_t length) {
  if (starts_with(line, length, adapter->ready)) {
    client->ready = true;
  } else if (starts_with(line, length, "*** Error")) {
    note("%s: %.*s", client->name, (int)(length < 120 ? length : 120), line);
  }
}

static bool counted(const Client *client) {
  return measuring && !client->stalls;
}

/* Checks one line (without its `\n`). */
static void on_line(Client *client, const char *line, size_t length,
                    uint64_t now) {
  if (!client->ready) return on_greeting(client, line, length);
  if (length >= PAYLOAD_BYTES) {
    const char *p = line + length - PAYLOAD_BYTES;
    if (p[0] == '#' && p[1] == 'L') {
      int sender;
      long seq;
      uint64_t sent;
      if (!is_payload_valid(p, &sender, &seq, &sent)) {
        if (counted(client)) counts.corrupted++;
        return;
      }
      if (!counted(client)) return;
      size_t prefix_length = length - PAYLOAD_BYTES;
      if (prefix_length > 0 && memchr(line, '#', prefix_length) != NULL &&
          memmem(line, prefix_length, "#L", 2) != NULL) {
        counts.merged++;
        return;
      }
      if (!prefix_names(line, prefix_length, sender)) counts.misattributed++;
      if (sender == client->id) {
        counts.echoed++;
        return;
      }
      size_t index = (size_t)sender * line_count + seq;
      uint8_t bit = 1u << (index & 7);
      if (client->seen[index >> 3] & bit) {
        counts.duplicated++;
        return;
      }
      client->seen[index >> 3] |= bit;
      if (seq < client->max_seq[sender]) counts.reordered++;
      else client->max_seq[sender] = seq;
      counts.delivered++;
      last_delivery_us = now;
      uint64_t latency = now > sent ? now - sent : 0;
      unsigned bucket = bucket_of(latency);
      int kinds[2] = {ALL, client->ws ? WS : TCP};
      for (int k = 0; k < 2; k++) {
        int kind = kinds[k];
        histogram[kind][bucket]++;
        if (latency > max_latency_us[kind]) max_latency_us[kind] = latency;
        delivered_by[kind]++;
        last_delivery_by[kind] = now;
      }
      return;
    }
  }
  if (length >= 5 && memcmp(line + length - 5, "#SYNC", 5) == 0) {
    client->sync_seen = true;
    return;
  }
  if (starts_with(line, length, "*** ") ||
      starts_with(line, length, "<announce> ") ||
      starts_with(line, length, "* ")) {
    counts.notices++;
    return;
  }
  if (counted(client)) counts.split++;
}

/* Keeps `length` more bytes in the client's tail; false if it would pass
 * `limit`. */
static bool keep_raw(Client *client, const char *bytes, size_t length,
                     size_t limit) {
  if (client->tail_len + length > limit) return false;
  if (client->tail_len + length > client->tail_cap) {
    client->tail_cap = (client->tail_len + length) * 2;
    client->tail = realloc(client->tail, client->tail_cap);
  }
  memcpy(client->tail + client->tail_len, bytes, length);
  client->tail_len += length;
  return true;
}

static void keep_tail(Client *client, const char *bytes, size_t length) {
  if (client->tail_len + length > MAX_TAIL_BYTES) {
    client->tail_len = 0;
    if (counted(client)) counts.split++;
    return;
  }
  if (client->tail_len + length > client->tail_cap) {
    client->tail_cap = (client->tail_len + length) * 2;
    client->tail = realloc(client->tail, client->tail_cap);
  }
  memcpy(client->tail + client->tail_len, bytes, length);
  client->tail_len += length;
}

/* Where a JSON string value starts: just after `"key":"`; NULL if none.
 * (A `"` inside a value is escaped, so the pattern cannot match there.) */
static const char *json_value(const char *json, size_t length,
                              const char *key) {
  char pattern[32];
  int n = snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *at = memmem(json, length, pattern, n);
  return at == NULL ? NULL : at + n;
}

/* Copies the JSON string value of `key` into `out` (up to `room` bytes),
 * undoing simple escapes; its length, or -1 if it is missing or bad. */
static long json_string(const char *json, size_t length, const char *key,
                        char *out, size_t room) {
  const char *at = json_value(json, length, key), *end = json + length;
  if (at == NULL) return -1;
  size_t n = 0;
  while (at < end && *at != '"') {
    char c = *at++;
    if (c == '\\') {
      if (at >= end) return -1;
      c = *at++;
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
      else if (c == 'u') {
        if (end - at < 4) return -1;
        c = '?'; /* not in any line the generator checks */
        at += 4;
      } else if (c != '"' && c != '\\' && c != '/') return -1;
    }
    if (n >= room) return -1;
    out[n++] = c;
  }
  return at < end ? (long)n : -1;
}

static bool json_is(const char *json, size_t length, const char *key,
                    const char *value) {
  const char *at = json_value(json, length, key);
  size_t n = strlen(value);
  return at != NULL && (size_t)(json + length - at) > n &&
         memcmp(at, value, n) == 0 && at[n] == '"';
}

/* One JSON object of PROTOCOL.md's. */
static void on_object(Client *client, const char *json, size_t length,
                      uint64_t now) {
  static char line[8192], text[8192];
  if (json_is(json, length, "type", "event")) {
    long from_length = 0, text_length;
    if (json_is(json, length, "kind", "say")) {
      line[0] = '<';
      from_length = json_string(json, length, "from", line + 1, 64);
      text_length =
          json_string(json, length, "text", text, sizeof text - 80);
      if (from_length >= 0 && text_length >= 0) {
        memcpy(line + 1 + from_length, "> ", 2);
        memcpy(line + 3 + from_length, text, text_length);
        return on_line(client, line, 3 + from_length + text_length, now);
      }
    } else if ((text_length = json_string(json, length, "text", text,
                                          sizeof text - 16)) >= 0) {
      /* Notices and errors, as the line protocol's `*** ` lines. */
      bool error = json_is(json, length, "kind", "error");
      int n = snprintf(line, sizeof line, "*** %s%.*s",
                       error ? "Error: " : "", (int)text_length, text);
      if (error && client->ready)
        note("%s: %.*s", client->name, (int)(n < 120 ? n : 120), line);
      return on_line(client, line, n, now);
    }
  } else if (json_is(json, length, "type", "ack")) {
    counts.acks++;
    client->acks++;
    return;
  } else if (json_is(json, length, "type", "state") ||
             json_is(json, length, "type", "history")) {
    return;
  }
  /* Neither an event nor anything else PROTOCOL.md lists: garbage. */
  if (counted(client)) counts.split++;
  note("%s: a frame that is no message: %.*s", client->name,
       (int)(length < 80 ? length : 80), json);
}

/* One whole WebSocket message: one JSON object, or several, one per line
 * (JSON text never holds a raw newline). */
static void on_message(Client *client, const char *json, size_t length,
                       uint64_t now) {
  while (length > 0) {
    const char *end = memchr(json, '\n', length);
    size_t n = end ? (size_t)(end - json) : length;
    if (n > 0) on_object(client, json, n, now);
    if (!end) return;
    length -= n + 1;
    json = end + 1;
  }
}

/* The size of the frame at `f` (header included), or 0 if its header is
 * not all there yet. */
static size_t frame_size(const uint8_t *f, size_t length, size_t *header) {
  if (length < 2) return 0;
  size_t h = 2;
  uint64_t payload = f[1] & 0x7f;
  if (payload == 126) {
    if (length < 4) return 0;
    payload = (uint64_t)f[2] << 8 | f[3];
    h = 4;
  } else if (payload == 127) {
    if (length < 10) return 0;
    payload = 0;
    for (int i = 0; i < 8; i++) payload = payload << 8 | f[2 + i];
    h = 10;
  }
  if (f[1] & 0x80) h += 4;
  *header = h;
  if (payload > MAX_MESSAGE_BYTES) return SIZE_MAX;
  return h + payload;
}

/* One whole frame. */
static void on_frame(Client *client, const char *bytes, size_t size,
                     size_t header, uint64_t now) {
  const uint8_t *f = (const uint8_t *)bytes;
  bool fin = f[0] & 0x80;
  int opcode = f[0] & 0x0f;
  const char *payload = bytes + header;
  size_t length = size - header;
  if (f[1] & 0x80) {
    note("%s: a masked frame from the server", client->name);
    if (counted(client)) counts.split++;
    return;
  }
  switch (opcode) {
  case 0x1:
  case 0x2:
  case 0x0:
    if (opcode != 0 && client->in_message) {
      note("%s: a new message inside a fragmented one", client->name);
      client->message_len = 0;
    }
    if (opcode != 0 && fin) return on_message(client, payload, length, now);
    if (client->message_len + length > MAX_MESSAGE_BYTES) {
      note("%s: a message over %d bytes", client->name, MAX_MESSAGE_BYTES);
      return close_client(client);
    }
    if (client->message_len + length > client->message_cap) {
      client->message_cap = (client->message_len + length) * 2;
      client->message = realloc(client->message, client->message_cap);
    }
    memcpy(client->message + client->message_len, payload, length);
    client->message_len += length;
    client->in_message = !fin;
    if (fin) {
      size_t whole = client->message_len;
      client->message_len = 0;
      on_message(client, client->message, whole, now);
    }
    return;
  case 0x8: {
    int code = length >= 2 ? (f[header] << 8 | f[header + 1]) : 0;
    note("%s: closed by the server (%d %.*s)", client->name, code,
         (int)(length > 2 ? (length - 2 < 100 ? length - 2 : 100) : 0),
         payload + 2);
    return close_client(client);
  }
  case 0x9:
    counts.pings++;
    queue_frame(client, 0xA, payload, length);
    flush_out(client);
    return;
  case 0xA:
    return;
  default:
    note("%s: a frame with opcode %d", client->name, opcode);
  }
}

/* Bytes from a WebSocket client's socket: the upgrade's answer, then frames
 * (a frame cut by the end of a read waits in the tail). */
static void on_ws_bytes(Client *client, const char *bytes, size_t n,
                        uint64_t now) {
  if (!client->upgraded) {
    if (!keep_raw(client, bytes, n, 65536)) {
      note("%s: no end to the upgrade's answer", client->name);
      return close_client(client);
    }
    char *end = memmem(client->tail, client->tail_len, "\r\n\r\n", 4);
    if (end == NULL) return;
    size_t head = end + 4 - client->tail;
    char *answer = strndup(client->tail, head);
    char expect[64];
    snprintf(expect, sizeof expect, "\r\nSec-WebSocket-Accept: %s\r\n",
             client->ws_accept);
    bool switched = strncmp(answer, "HTTP/1.1 101 ", 13) == 0;
    bool accepted = strcasestr(answer, expect) != NULL;
    if (!switched || !accepted) {
      size_t first = strcspn(answer, "\r");
      note("%s: upgrade %s: %.*s", client->name,
           switched ? "with a wrong accept key" : "refused",
           (int)(first < 100 ? first : 100), answer);
      free(answer);
      return close_client(client);
    }
    free(answer);
    client->upgraded = true;
    size_t rest = client->tail_len - head;
    char *after = rest > 0 ? malloc(rest) : NULL;
    if (rest > 0) memcpy(after, client->tail + head, rest);
    client->tail_len = 0;
    queue_line(client, client->name, strlen(client->name));
    flush_out(client);
    if (rest > 0) on_ws_bytes(client, after, rest, now);
    free(after);
    return;
  }
  /* First complete the frame the last read cut. */
  while (client->tail_len > 0 && n > 0 && !client->closed) {
    size_t header = 0;
    size_t size = frame_size((uint8_t *)client->tail, client->tail_len, &header);
    size_t take = size == 0 ? 1 : size - client->tail_len;
    if (size == SIZE_MAX) {
      note("%s: a frame over %d bytes", client->name, MAX_MESSAGE_BYTES);
      return close_client(client);
    }
    if (take > n) take = n;
    keep_raw(client, bytes, take, SIZE_MAX);
    bytes += take;
    n -= take;
    size = frame_size((uint8_t *)client->tail, client->tail_len, &header);
    if (size != 0 && size == client->tail_len) {
      client->tail_len = 0;
      on_frame(client, client->tail, size, header, now);
    }
  }
  while (n > 0 && !client->closed) {
    size_t header = 0;
    size_t size = frame_size((const uint8_t *)bytes, n, &header);
    if (size == SIZE_MAX) {
      note("%s: a frame over %d bytes", client->name, MAX_MESSAGE_BYTES);
      return close_client(client);
    }
    if (size == 0 || size > n) {
      keep_raw(client, bytes, n, SIZE_MAX);
      return;
    }
    on_frame(client, bytes, size, header, now);
    bytes += size;
    n -= size;
  }
}

static void on_bytes(Client *client, const char *bytes, size_t n) {
  uint64_t now = now_us();
  last_bytes_us = now;
  if (measuring) counts.reads++;
  if (client->ws) return on_ws_bytes(client, bytes, n, now);
  const char *start = bytes, *end = bytes + n;
  if (client->tail_len > 0) {
    const char *lf = memchr(start, '\n', n);
    if (lf == NULL) return keep_tail(client, bytes, n);
    keep_tail(client, start, lf - start);
    size_t length = client->tail_len;
    client->tail_len = 0;
    on_line(client, client->tail, length, now);
    start = lf + 1;
  }
  while (start < end) {
    const char *lf = memchr(start, '\n', end - start);
    if (lf == NULL) return keep_tail(client, start, end - start);
    on_line(client, start, lf - start, now);
    start = lf + 1;
  }
}

/* ---- the loop --------------------------------------------------------- */

static void on_event(Client *client, uint32_t events) {
  if (client->closed) return;
  if (!client->connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int error = 0;
    socklen_t size = sizeof error;
    getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) {
      note("%s: connect: %s", client->name, strerror(error));
      close_client(client);
      return;
    }
    client->connected = true;
    if (client->ws) {
      queue_upgrade(client);
    } else if (adapter->sends_name) {
      char text[32];
      int length = snprintf(text, sizeof text, "%s\n", client->name);
      queue_text(client, text, length);
    }
    client->blocked = true; /* so that flush_out drops EPOLLOUT */
    flush_out(client);
  } else if (events & EPOLLOUT) {
    flush_out(client);
  }
  if (client->closed) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    ssize_t n = read(client->fd, read_buffer, READ_BYTES);
    if (n > 0) on_bytes(client, read_buffer, n);
    else if (n == 0) close_client(client);
    else if (errno != EAGAIN && errno != EINTR) {
      note("%s: read: %s", client->name, strerror(errno));
      close_client(client);
    }
  }
}

static void poll_once(int timeout_ms) {
  static struct epoll_event events[512];
  int n = epoll_wait(epfd, events, 512, timeout_ms);
  if (n < 0 && errno != EINTR) fail("epoll_wait: %s", strerror(errno));
  for (int i = 0; i < n; i++) on_event(&clients[events[i].data.u32], events[i].events);
}

/* Opens every connection, `connect_concurrency` at a time, until each has
 * joined, failed, or the time limit passed. */
static void join_all(void) {
  uint64_t deadline = now_us() + (uint64_t)time_limit_ms * 1000;
  int next = 0;
  while (now_us() < deadline) {
    int in_flight = 0, done = 0;
    for (int i = 0; i < next; i++) {
      if (clients[i].ready || clients[i].closed) done++;
      else in_flight++;
    }
    while (in_flight < connect_concurrency && next < client_count) {
      start_connect(&clients[next++]);
      in_flight++;
    }
    if (done == client_count) return;
    poll_once(5);
  }
  for (int i = 0; i < client_count; i++)
    if (!clients[i].ready && !clients[i].closed)
      note("%s: no greeting before the time limit", clients[i].name);
}

/* How long no client may read anything before a room counts as idle. */
#define IDLE_QUIET_US 1000000

/* Keeps reading until no client has read anything for a second (join
 * notices keep arriving long after the last join: a room of 10,000 sends 50
 * million), or the time limit; then for `ms` more. Returns how long the room
 * took to go quiet, in milliseconds. */
static double settle(int ms) {
  uint64_t start = now_us(), deadline = start + (uint64_t)time_limit_ms * 1000;
  if (last_bytes_us == 0) last_bytes_us = start;
  while (now_us() - last_bytes_us < IDLE_QUIET_US && now_us() < deadline)
    poll_once(10);
  double waited_ms = (now_us() - start) / 1000.0;
  uint64_t until = now_us() + (uint64_t)ms * 1000;
  while (now_us() < until) poll_once(10);
  return waited_ms;
}

static bool everyone_heard_sync(void) {
  for (int i = 1; i < client_count; i++)
    if (!clients[i].sync_seen && !clients[i].closed) return false;
  return true;
}

/* Makes sure every client is in the room before anyone sends: servers add a
 * client at different moments, so the first client says "#SYNC" until every
 * other client has heard it. */
static double barrier(void) {
  uint64_t start = now_us(), deadline = start + (uint64_t)time_limit_ms * 1000;
  while (!everyone_heard_sync()) {
    if (now_us() > deadline) {
      note("not every client heard the sync line before the time limit");
      break;
    }
    queue_line(&clients[0], "#SYNC", 5);
    flush_out(&clients[0]);
    uint64_t until = now_us() + 250000;
    while (!everyone_heard_sync() && now_us() < until) poll_once(5);
  }
  return (now_us() - start) / 1000.0;
}

/* How many more lines `sender` may send before acknowledgements come. */
static int window_left(const Client *sender) {
  if (!sender->ws || ws_window == 0) return INT32_MAX;
  int64_t in_flight = (int64_t)sender->sent - (int64_t)sender->acks;
  return in_flight >= ws_window ? 0 : (int)(ws_window - in_flight);
}

static void send_due(uint64_t now) {
  for (int i = 0; i < sender_count; i++) {
    Client *sender = &clients[i];
    if (sender->closed || sender->blocked) continue;
    if (sender->out_len > 0 && !flush_out(sender)) continue;
    if (sender->sent >= (uint32_t)line_count) continue;
    int window = window_left(sender);
    if (window == 0) continue;
    if (rate > 0) {
      if (now < sender->due_us) continue;
      queue_payloads(sender, 1);
      sender->due_us += (uint64_t)(1e6 / rate);
    } else {
      int count = line_count - sender->sent;
      if (count > batch_lines) count = batch_lines;
      queue_payloads(sender, count < window ? count : window);
    }
    flush_out(sender);
  }
}

static int next_due_ms(uint64_t now) {
  if (rate == 0) {
    for (int i = 0; i < sender_count; i++) {
      Client *s = &clients[i];
      if (!s->closed && !s->blocked && s->sent < (uint32_t)line_count &&
          window_left(s) > 0)
        return 0;
    }
    return 5;
  }
  uint64_t soonest = UINT64_MAX;
  for (int i = 0; i < sender_count; i++) {
    Client *s = &clients[i];
    if (!s->closed && s->sent < (uint32_t)line_count && s->due_us < soonest)
      soonest = s->due_us;
  }
  if (soonest == UINT64_MAX) return 5;
  return soonest <= now ? 0 : (int)((soonest - now + 999) / 1000);
}

typedef struct {
  uint64_t us;
  double cpu;
  ServerStatus server;
  CoreTimes cores;
} Sample;

static void sample(Sample *s) {
  s->us = now_us();
  s->cpu = cpu_seconds();
  s->server = server_status();
  s->cores = core_times();
}

static uint64_t expected(void) {
  uint64_t total = 0;
  for (int i = 0; i < client_count; i++) {
    if (clients[i].stalls) continue;
    total += (uint64_t)line_count * (sender_count - (i < sender_count ? 1 : 0));
  }
  return total;
}

/* Lines no counted receiver got whole, from each receiver's own record. */
static uint64_t lost(void) {
  uint64_t missing = 0;
  for (int i = 0; i < client_count; i++) {
    Client *c = &clients[i];
    if (c->stalls) continue;
    for (int sender = 0; sender < sender_count; sender++) {
      if (sender == c->id) continue;
      for (int seq = 0; seq < line_count; seq++) {
        size_t index = (size_t)sender * line_count + seq;
        if (!(c->seen[index >> 3] & (1u << (index & 7)))) missing++;
      }
    }
  }
  return missing;
}

static double percentile_ms(int kind, double fraction) {
  uint64_t total = 0;
  for (int b = 0; b < HISTOGRAM_SIZE; b++) total += histogram[kind][b];
  if (total == 0) return -1;
  uint64_t rank = (uint64_t)(total * fraction + 0.999999), seen = 0;
  for (int b = 0; b < HISTOGRAM_SIZE; b++) {
    seen += histogram[kind][b];
    if (seen >= rank) return lower_bound_of(b) / 1000;
  }
  return max_latency_us[kind] / 1000.0;
}

/* JSON output: one object, built up in a buffer. */
static char json[16384];
static size_t json_len;
static void put(const char *format, ...) {
  va_list args;
  va_start(args, format);
  json_len += vsnprintf(json + json_len, sizeof json - json_len, format, args);
  va_end(args);
  if (json_len >= sizeof json) fail("JSON output too long");
}
static void put_number(const char *key, double value, bool known) {
  if (known) put(",\"%s\":%.6g", key, value);
  else put(",\"%s\":null", key);
}
static void put_kib(const char *key, long value) {
  put_number(key, value, value >= 0);
}

static void put_latency(int kind) {
  if (delivered_by[kind] == 0) return put("{\"p50\":null,\"p99\":null,\"max\":null}");
  put("{\"p50\":%.6g,\"p99\":%.6g,\"max\":%.6g}", percentile_ms(kind, 0.5),
      percentile_ms(kind, 0.99), max_latency_us[kind] / 1000.0);
}

/* Deliveries and latency by the receiver's kind, when some speak WebSocket:
 * each kind's rate runs from the first send to its own last delivery. */
static void put_by_kind(uint64_t start_us) {
  if (ws_client_count == 0) return;
  put(",\"wsClients\":%d,\"byKind\":{", ws_client_count);
  for (int kind = TCP; kind <= WS; kind++) {
    double seconds = last_delivery_by[kind] > start_us
                         ? (last_delivery_by[kind] - start_us) / 1e6
                         : 0;
    put("%s\"%s\":{\"delivered\":%llu,\"deliveriesPerSec\":%.1f,\"latencyMs\":",
        kind == TCP ? "" : ",", kind == TCP ? "tcp" : "ws",
        (unsigned long long)delivered_by[kind],
        seconds > 0 ? delivered_by[kind] / seconds : 0.0);
    put_latency(kind);
    put("}");
  }
  put("}");
}

static void report_start(void) {
  put("{\"target\":\"%s\",\"clients\":%d,\"senders\":%d,\"lines\":%d", adapter->name,
      client_count, sender_count, line_count);
  put(",\"rate\":%g,\"stall\":%d,\"stallMode\":\"%s\",\"runtime\":\"c\"", rate,
      stall_count, stall_pause ? "pause" : "read");
  /* Nothing was sent when the join failed (and no record was kept). */
  bool sent = line_count > 0 && recording;
  uint64_t expect = sent ? expected() : 0;
  uint64_t missing = sent ? lost() : 0;
  put(",\"expected\":%llu,\"delivered\":%llu,\"duplicated\":%llu",
      (unsigned long long)expect, (unsigned long long)counts.delivered,
      (unsigned long long)counts.duplicated);
  put(",\"reordered\":%llu,\"corrupted\":%llu,\"split\":%llu,\"merged\":%llu",
      (unsigned long long)counts.reordered, (unsigned long long)counts.corrupted,
      (unsigned long long)counts.split, (unsigned long long)counts.merged);
  put(",\"misattributed\":%llu,\"echoed\":%llu,\"notices\":%llu,\"reads\":%llu",
      (unsigned long long)counts.misattributed,
      (unsigned long long)counts.echoed, (unsigned long long)counts.notices,
      (unsigned long long)counts.reads);
  put(",\"lost\":%llu,\"disconnected\":%d", (unsigned long long)missing,
      disconnected);
  put(",\"acks\":%llu,\"pings\":%llu", (unsigned long long)counts.acks,
      (unsigned long long)counts.pings);
  put(",\"latencyMs\":");
  put_latency(ALL);
}

static void report_end(void) {
  put(",\"errors\":[");
  for (int i = 0; i < error_count && i < MAX_ERRORS; i++) {
    put("%s\"", i > 0 ? "," : "");
    for (const char *c = errors[i]; *c; c++) {
      if (*c == '"' || *c == '\\') put("\\%c", *c);
      else if ((unsigned char)*c < 0x20) put("\\u%04x", *c);
      else put("%c", *c);
    }
    put("\"");
  }
  put("],\"errorCount\":%d}\n", error_count);
  fwrite(json, 1, json_len, stdout);
  fflush(stdout);
}

static int joins_failed(void) {
  int failed = 0;
  for (int i = 0; i < client_count; i++) failed += !clients[i].ready;
  return failed;
}

/* How many of the clients that never read the server has disconnected: they
 * read now (what they get is not counted) and any that reaches the end of
 * its stream within a second was dropped. */
static int stalled_dropped(void) {
  int dropped = 0;
  for (int i = 0; i < client_count; i++) {
    Client *c = &clients[i];
    if (c->stalls && !c->closed && !c->polled) {
      watch(c, EPOLLIN, EPOLL_CTL_ADD);
      c->polled = true;
    }
  }
  uint64_t until = now_us() + 1000000;
  while (now_us() < until) {
    bool all = true;
    for (int i = 0; i < client_count; i++)
      if (clients[i].stalls && !clients[i].closed) all = false;
    if (all) break;
    poll_once(10);
  }
  for (int i = 0; i < client_count; i++)
    dropped += clients[i].stalls && clients[i].closed;
  return dropped;
}

static double share_of_core(const CoreTimes *a, const CoreTimes *b, int i) {
  unsigned long long total = b->total[i] - a->total[i];
  return total > 0 ? (double)(b->busy[i] - a->busy[i]) / total : -1;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  /* A server that goes away is noted (EPIPE), not the end of the run. */
  signal(SIGPIPE, SIG_IGN);
  started_us = 0;
  started_us = now_us() - 1;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  read_buffer = malloc(READ_BYTES);
  clients = calloc(client_count, sizeof *clients);
  if (epfd < 0 || read_buffer == NULL || clients == NULL) fail("out of memory");
  for (int i = 0; i < client_count; i++) {
    Client *c = &clients[i];
    c->id = i;
    c->fd = -1;
    snprintf(c->name, sizeof c->name, "c%04d", i);
    c->prefix_len = snprintf(c->prefix, sizeof c->prefix, "<%s> ", c->name);
    c->stalls = i >= client_count - stall_count;
    /* Spread evenly: with half of them, every odd client (client 0, which
     * says the sync line, speaks TCP unless all do). */
    c->ws = (long)(i + 1) * ws_client_count / client_count >
            (long)i * ws_client_count / client_count;
  }

  long rss_before = server_status().rss_kib;
  uint64_t join_start = now_us();
  join_all();
  double join_ms = (now_us() - join_start) / 1000.0;
  int failed = joins_failed();
  if (line_count == 0 || failed > 0) {
    double quiet_after_ms = settle(settle_ms);
    ServerStatus status = server_status();
    report_start();
    put(",\"joinMs\":%.3f,\"joinFailed\":%d,\"quietAfterMs\":%.3f", join_ms,
        failed, quiet_after_ms);
    put_kib("serverRssBeforeKiB", rss_before);
    put_kib("serverRssKiB", status.rss_kib);
    put_kib("serverHwmKiB", status.hwm_kib);
    put_number("rssPerClientBytes",
               (status.rss_kib - rss_before) * 1024.0 / client_count,
               status.rss_kib >= 0 && rss_before >= 0);
    report_end();
    return 0;
  }
  size_t bits = (size_t)sender_count * line_count;
  for (int i = 0; i < client_count; i++) {
    Client *c = &clients[i];
    if (c->stalls) continue;
    c->seen = calloc((bits + 7) / 8, 1);
    c->max_seq = malloc(sizeof(int32_t) * (sender_count ? sender_count : 1));
    if (c->seen == NULL || c->max_seq == NULL) fail("out of memory");
    for (int s = 0; s < sender_count; s++) c->max_seq[s] = -1;
  }
  recording = true;
  double sync_ms = barrier();
  if (stall_pause) {
    for (int i = 0; i < client_count; i++) {
      Client *c = &clients[i];
      if (c->stalls && c->polled && !c->blocked) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        c->polled = false;
      }
    }
  }

  /* Measure: send everything, read everything. */
  measuring = true;
  Sample start, active;
  sample(&start);
  active = start;
  double cpu_start = start.cpu, system_start = system_seconds();
  last_delivery_us = start.us;
  for (int i = 0; i < sender_count; i++)
    clients[i].due_us = start.us + (rate > 0 ? (uint64_t)(1e6 / rate * i / sender_count) : 0);
  uint64_t exp = expected(), next_tick = start.us + TICK_US, at_tick = 0;
  const char *stopped;
  while (true) {
    uint64_t now = now_us();
    send_due(now);
    poll_once(next_due_ms(now));
    now = now_us();
    if (now < next_tick) continue;
    next_tick = now + TICK_US;
    /* Remember the last moment anything arrived, so that the quiet wait at
     * the end counts in neither side's CPU share. */
    uint64_t total = counts.delivered + counts.duplicated;
    if (total != at_tick) {
      at_tick = total;
      sample(&active);
    }
    if (counts.delivered >= exp) {
      stopped = "complete";
      sample(&active);
      break;
    }
    if (now - last_delivery_us > (uint64_t)quiet_ms * 1000) {
      stopped = "quiet";
      break;
    }
    if (now - start.us > (uint64_t)time_limit_ms * 1000) {
      stopped = "time limit";
      break;
    }
  }
  measuring = false;
  double cpu_total = cpu_seconds() - cpu_start;
  double system_total = system_seconds() - system_start;
  double wall_s = (active.us - start.us) / 1e6;
  double duration_s = (last_delivery_us - start.us) / 1e6;
  ServerStatus end_status = server_status();
  int dropped = stall_pause && stall_count > 0 ? stalled_dropped() : -1;

  report_start();
  put(",\"joinMs\":%.3f,\"joinFailed\":%d,\"syncMs\":%.3f", join_ms, failed,
      sync_ms);
  put_kib("serverRssBeforeKiB", rss_before);
  put(",\"stopped\":\"%s\",\"durationMs\":%.3f", stopped, duration_s * 1000);
  put(",\"deliveriesPerSec\":%.1f",
      duration_s > 0 ? counts.delivered / duration_s : 0.0);
  put_by_kind(start.us);
  put_number("generatorCpuShare", (active.cpu - cpu_start) / wall_s,
             wall_s > 0);
  put(",\"generatorCpuMs\":%.3f,\"generatorSystemCpuMs\":%.3f",
      cpu_total * 1000, system_total * 1000);
  put_number("serverCpuShare",
             (active.server.ticks - start.server.ticks) / 100.0 / wall_s,
             wall_s > 0 && start.server.ticks >= 0 && active.server.ticks >= 0);
  put(",\"coreBusy\":");
  if (start.cores.count == 0) put("null");
  else {
    put("[");
    for (int i = 0; i < start.cores.count; i++) {
      double busy = share_of_core(&start.cores, &active.cores, i);
      if (busy < 0) put("%snull", i ? "," : "");
      else put("%s%.4f", i ? "," : "", busy);
    }
    put("]");
  }
  put_kib("serverRssKiB", end_status.rss_kib);
  put_kib("serverHwmKiB", end_status.hwm_kib);
  if (dropped < 0) put(",\"stalledDropped\":null");
  else put(",\"stalledDropped\":%d", dropped);
  report_end();
  return 0;
}
