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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
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
  char *tail;
  size_t tail_len, tail_cap;
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
static int quiet_ms = 3000, time_limit_ms = 60000, settle_ms = 1000;
static bool stall_pause = true;
static const char *server_pid;

static Client *clients;
static int epfd;
static char *read_buffer;
static uint64_t started_us;
static bool measuring;
static uint64_t last_delivery_us;
static uint32_t histogram[HISTOGRAM_SIZE];
static uint64_t max_latency_us;
static int disconnected;
static char errors[MAX_ERRORS][200];
static int error_count;
static struct {
  uint64_t delivered, duplicated, reordered, corrupted, split, merged,
      misattributed, echoed, notices, reads;
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
    "  --settle-ms MS           idle runs: wait this long before reading RSS (default 1000)\n";

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
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
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
      histogram[bucket_of(latency)]++;
      if (latency > max_latency_us) max_latency_us = latency;
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

static void on_bytes(Client *client, const char *bytes, size_t n) {
  uint64_t now = now_us();
  if (measuring) counts.reads++;
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
    if (adapter->sends_name) {
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

/* Keeps reading for `ms` (join notices keep arriving after the last join). */
static void settle(int ms) {
  uint64_t until = now_us() + (uint64_t)ms * 1000;
  while (now_us() < until) poll_once(10);
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
    queue_text(&clients[0], "#SYNC\n", 6);
    flush_out(&clients[0]);
    uint64_t until = now_us() + 250000;
    while (!everyone_heard_sync() && now_us() < until) poll_once(5);
  }
  return (now_us() - start) / 1000.0;
}

static void send_due(uint64_t now) {
  for (int i = 0; i < sender_count; i++) {
    Client *sender = &clients[i];
    if (sender->closed || sender->blocked) continue;
    if (sender->out_len > 0 && !flush_out(sender)) continue;
    if (sender->sent >= (uint32_t)line_count) continue;
    if (rate > 0) {
      if (now < sender->due_us) continue;
      queue_payloads(sender, 1);
      sender->due_us += (uint64_t)(1e6 / rate);
    } else {
      int count = line_count - sender->sent;
      queue_payloads(sender, count < batch_lines ? count : batch_lines);
    }
    flush_out(sender);
  }
}

static int next_due_ms(uint64_t now) {
  if (rate == 0) {
    for (int i = 0; i < sender_count; i++) {
      Client *s = &clients[i];
      if (!s->closed && !s->blocked && s->sent < (uint32_t)line_count) return 0;
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

static double percentile_ms(double fraction) {
  uint64_t total = 0;
  for (int b = 0; b < HISTOGRAM_SIZE; b++) total += histogram[b];
  if (total == 0) return -1;
  uint64_t rank = (uint64_t)(total * fraction + 0.999999), seen = 0;
  for (int b = 0; b < HISTOGRAM_SIZE; b++) {
    seen += histogram[b];
    if (seen >= rank) return lower_bound_of(b) / 1000;
  }
  return max_latency_us / 1000.0;
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

static void report_start(void) {
  put("{\"target\":\"%s\",\"clients\":%d,\"senders\":%d,\"lines\":%d", adapter->name,
      client_count, sender_count, line_count);
  put(",\"rate\":%g,\"stall\":%d,\"stallMode\":\"%s\",\"runtime\":\"c\"", rate,
      stall_count, stall_pause ? "pause" : "read");
  uint64_t expect = line_count > 0 ? expected() : 0;
  uint64_t missing = line_count > 0 ? lost() : 0;
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
  bool any = counts.delivered > 0;
  put(",\"latencyMs\":{\"p50\":");
  if (any) put("%.6g,\"p99\":%.6g,\"max\":%.6g}", percentile_ms(0.5),
               percentile_ms(0.99), max_latency_us / 1000.0);
  else put("null,\"p99\":null,\"max\":null}");
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
  }

  long rss_before = server_status().rss_kib;
  uint64_t join_start = now_us();
  join_all();
  double join_ms = (now_us() - join_start) / 1000.0;
  int failed = joins_failed();
  if (line_count == 0 || failed > 0) {
    settle(settle_ms);
    ServerStatus status = server_status();
    report_start();
    put(",\"joinMs\":%.3f,\"joinFailed\":%d", join_ms, failed);
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
