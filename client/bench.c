/*
 * bench.c — rollcall-bench: load on a running rollcalld, in the spirit of
 * redis-benchmark.
 *
 * -c connections each keep one request in flight until -n requests have
 * been answered. `append` sends one new event per request (an announcement
 * of a coalition the benchmark establishes first, so the membership views
 * stay small); `state` asks for one coalition's state. Prints throughput and
 * the latency distribution (p50, p99, max) of the answers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "date.h"
#include "event.h"
#include "keys.h"
#include "paths.h"
#include "protocol.h"
#include "rcclient.h"
#include "rpc.h"

#define BENCH_COALITION "rollcall-bench"
#define BENCH_FOUNDING  "rollcall-bench-established" /* id: the founding is appended once */
#define RESPONSE_LIMIT  (64u << 20)

enum test { TEST_APPEND, TEST_STATE };

struct bench;

struct connection {
    uv_pipe_t pipe;
    struct bench *bench;
    struct rpc_reader reader;
    bool reader_ready;
    uint32_t msgid;
    uint64_t sent_ns; /* when the request in flight went out */
    bool in_flight;
};

struct bench {
    uv_loop_t loop;
    enum test test;
    const char *coalition;
    const char *socket_path;
    char today[11];
    unsigned long run_id;

    size_t connection_count, connected;
    struct connection *connections;

    uint64_t requests;         /* to answer */
    uint64_t sent, answered;   /* so far */
    uint64_t errors;           /* answered with an error */
    char first_error[256];     /* the first error's text */
    uint64_t *latency_ns;      /* one per answer */
    uint64_t start_ns, end_ns; /* first request out, last answer in */
    bool failed;               /* a connection broke: the figures are void */
};

static void warnx_bench(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void abort_run(struct bench *bench);

static void warnx_bench(const char *fmt, ...)
{
    va_list ap;
    fputs("rollcall-bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    putc('\n', stderr);
}

/* ---- requests ------------------------------------------------------------------ */

/* Packs the n-th request of the run. */
static int pack_request(struct bench *bench, msgpack_packer *pk, uint32_t msgid, uint64_t n)
{
    char note[96];

    if (bench->test == TEST_STATE) {
        return rpc_pack_request(pk, msgid, METHOD_STATE) || msgpack_pack_map(pk, 1) ||
               mp_pack_key(pk, RC_KEY_COALITION) || mp_pack_str(pk, bench->coalition);
    }
    /* Unique content: run id and request number. */
    snprintf(note, sizeof note, "rollcall-bench run %lu, request %" PRIu64, bench->run_id, n);
    return rpc_pack_request(pk, msgid, METHOD_APPEND) || msgpack_pack_map(pk, 1) ||
           mp_pack_key(pk, RC_KEY_EVENTS) || msgpack_pack_array(pk, 1) || msgpack_pack_map(pk, 4) ||
           mp_pack_key(pk, RC_KEY_TYPE) || mp_pack_str(pk, event_type_name(EVENT_ANNOUNCED)) ||
           mp_pack_key(pk, RC_KEY_COALITION) || mp_pack_str(pk, bench->coalition) ||
           mp_pack_key(pk, RC_KEY_DATE) || mp_pack_str(pk, bench->today) ||
           mp_pack_key(pk, RC_KEY_NOTE) || mp_pack_str(pk, note);
}

struct write_job {
    uv_write_t req;
    msgpack_sbuffer sbuf;
};

static void on_written(uv_write_t *req, int status)
{
    struct write_job *job = (struct write_job *)req;
    struct connection *conn = req->handle->data;

    if (status < 0 && !conn->bench->failed) {
        warnx_bench("write: %s", uv_strerror(status));
        abort_run(conn->bench);
    }
    msgpack_sbuffer_destroy(&job->sbuf);
    free(job);
}

static void close_connection(struct connection *conn)
{
    if (!uv_is_closing((uv_handle_t *)&conn->pipe))
        uv_close((uv_handle_t *)&conn->pipe, NULL);
}

/* A failure voids the run: every connection closes, so the loop ends. */
static void abort_run(struct bench *bench)
{
    bench->failed = true;
    for (size_t i = 0; i < bench->connection_count; i++) {
        if (bench->connections[i].bench)
            close_connection(&bench->connections[i]);
    }
}

/* Sends the next request on conn, or closes it when every request is out. */
static void send_next(struct connection *conn)
{
    struct bench *bench = conn->bench;
    msgpack_packer pk;

    if (bench->sent == bench->requests || bench->failed) {
        close_connection(conn);
        return;
    }
    struct write_job *job = malloc(sizeof *job);
    if (job == NULL) {
        warnx_bench("out of memory");
        abort_run(bench);
        return;
    }
    msgpack_sbuffer_init(&job->sbuf);
    msgpack_packer_init(&pk, &job->sbuf, msgpack_sbuffer_write);
    conn->msgid++;
    if (pack_request(bench, &pk, conn->msgid, bench->sent) != 0) {
        msgpack_sbuffer_destroy(&job->sbuf);
        free(job);
        warnx_bench("out of memory");
        abort_run(bench);
        return;
    }
    bench->sent++;
    conn->in_flight = true;
    conn->sent_ns = uv_hrtime();
    uv_buf_t buf = uv_buf_init(job->sbuf.data, (unsigned)job->sbuf.size);
    int rc = uv_write(&job->req, (uv_stream_t *)&conn->pipe, &buf, 1, on_written);
    if (rc < 0) {
        warnx_bench("write: %s", uv_strerror(rc));
        msgpack_sbuffer_destroy(&job->sbuf);
        free(job);
        abort_run(bench);
    }
}

/* ---- answers -------------------------------------------------------------------- */

static void record_answer(struct connection *conn, const struct rpc_message *message)
{
    struct bench *bench = conn->bench;
    uint64_t now = uv_hrtime();

    conn->in_flight = false;
    bench->latency_ns[bench->answered++] = now - conn->sent_ns;
    bench->end_ns = now;
    if (message->error->type != MSGPACK_OBJECT_NIL) {
        if (bench->errors++ == 0) {
            const msgpack_object *code = mp_map_get(message->error, RC_KEY_CODE);
            const msgpack_object *text = mp_map_get(message->error, RC_KEY_MESSAGE);
            char c[32] = "?", m[200] = "?";
            if (code)
                mp_printable(code, c, sizeof c);
            if (text)
                mp_printable(text, m, sizeof m);
            snprintf(bench->first_error, sizeof bench->first_error, "%s: %s", c, m);
        }
    }
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct connection *conn = handle->data;
    size_t room = 0;
    char *base = rpc_reader_buffer(&conn->reader, suggested, &room);

    *buf = uv_buf_init(base, base ? (unsigned)(room < UINT_MAX ? room : UINT_MAX) : 0);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct connection *conn = stream->data;
    struct bench *bench = conn->bench;
    msgpack_unpacked unpacked;
    struct rpc_message message;
    const char *why;

    (void)buf;
    if (nread < 0) {
        if (conn->in_flight && !bench->failed) {
            warnx_bench("the daemon closed a connection: %s", uv_strerror((int)nread));
            abort_run(bench);
        }
        close_connection(conn);
        return;
    }
    rpc_reader_consumed(&conn->reader, (size_t)nread);
    msgpack_unpacked_init(&unpacked);
    for (;;) {
        enum rpc_read r = rpc_reader_next(&conn->reader, &unpacked);
        if (r == RPC_READ_NEED_MORE)
            break;
        if (r != RPC_READ_MESSAGE || !rpc_parse(&unpacked.data, &message, &why) ||
            message.kind != RPC_RESPONSE || message.msgid != conn->msgid) {
            warnx_bench("an answer that is not the expected response");
            abort_run(bench);
            break;
        }
        record_answer(conn, &message);
        send_next(conn);
    }
    msgpack_unpacked_destroy(&unpacked);
}

static void on_connected(uv_connect_t *req, int status)
{
    struct connection *conn = req->handle->data;
    struct bench *bench = conn->bench;

    free(req);
    if (status < 0) {
        if (!bench->failed)
            warnx_bench("can't connect to %s: %s", bench->socket_path, uv_strerror(status));
        abort_run(bench);
        return;
    }
    uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read);
    /* The clock starts when every connection is up, as redis-benchmark's does. */
    if (++bench->connected < bench->connection_count)
        return;
    bench->start_ns = uv_hrtime();
    for (size_t i = 0; i < bench->connection_count; i++) {
        if (!uv_is_closing((uv_handle_t *)&bench->connections[i].pipe))
            send_next(&bench->connections[i]);
    }
}

/* ---- setup ---------------------------------------------------------------------- */

/*
 * Establishes the bench coalition before the run, over a plain blocking
 * connection. The founding carries a fixed id, so every run after the first
 * gets the original back as a repeat and the log keeps one founding.
 */
static int establish(struct bench *bench)
{
    struct rc_client client;
    struct rc_reply reply;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    enum rc_status status;
    int rc = -1;

    if ((status = rc_connect(&client, bench->socket_path)) != RC_OK) {
        warnx_bench("can't connect to %s: %s", bench->socket_path, client.why);
        rc_close(&client);
        return -1;
    }
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    if (msgpack_pack_map(&pk, 1) || mp_pack_key(&pk, RC_KEY_EVENTS) || msgpack_pack_array(&pk, 1) ||
        msgpack_pack_map(&pk, 5) || mp_pack_key(&pk, RC_KEY_TYPE) ||
        mp_pack_str(&pk, event_type_name(EVENT_ESTABLISHED)) ||
        mp_pack_key(&pk, RC_KEY_COALITION) || mp_pack_str(&pk, bench->coalition) ||
        mp_pack_key(&pk, RC_KEY_DATE) || mp_pack_str(&pk, "2024") ||
        mp_pack_key(&pk, RC_KEY_NAME) || mp_pack_str(&pk, "rollcall-bench load") ||
        mp_pack_key(&pk, RC_KEY_ID) || mp_pack_str(&pk, BENCH_FOUNDING)) {
        warnx_bench("out of memory");
        goto done;
    }
    if ((status = rc_call(&client, METHOD_APPEND, sbuf.data, sbuf.size, &reply)) != RC_OK) {
        warnx_bench("%s: %s", bench->socket_path, client.why);
        goto done;
    }
    if (reply.failed)
        warnx_bench("can't establish '%s': %s: %s", bench->coalition, reply.error.code_text,
                    reply.error.message);
    else
        rc = 0;
    rc_reply_free(&reply);
done:
    msgpack_sbuffer_destroy(&sbuf);
    rc_close(&client);
    return rc;
}

/* ---- the run ---------------------------------------------------------------------- */

static int run(struct bench *bench)
{
    int rc;

    if ((rc = uv_loop_init(&bench->loop)) != 0) {
        warnx_bench("uv_loop_init: %s", uv_strerror(rc));
        return -1;
    }
    for (size_t i = 0; i < bench->connection_count; i++) {
        struct connection *conn = &bench->connections[i];
        uv_connect_t *req = malloc(sizeof *req);
        conn->reader_ready = rpc_reader_init(&conn->reader, RESPONSE_LIMIT);
        if (req == NULL || !conn->reader_ready) {
            free(req);
            warnx_bench("out of memory");
            bench->failed = true;
            break;
        }
        uv_pipe_init(&bench->loop, &conn->pipe, 0);
        conn->pipe.data = conn;
        conn->bench = bench; /* from here on, the handle must be closed */
        uv_pipe_connect(req, &conn->pipe, bench->socket_path, on_connected);
    }
    if (bench->failed)
        abort_run(bench); /* the setup failed part way */
    uv_run(&bench->loop, UV_RUN_DEFAULT);
    for (size_t i = 0; i < bench->connection_count; i++) {
        if (bench->connections[i].reader_ready)
            rpc_reader_destroy(&bench->connections[i].reader);
    }
    if ((rc = uv_loop_close(&bench->loop)) != 0)
        warnx_bench("uv_loop_close: %s", uv_strerror(rc));
    return bench->failed || bench->answered < bench->requests ? -1 : 0;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static uint64_t percentile(const uint64_t *sorted, uint64_t count, unsigned pct)
{
    uint64_t rank = (count * pct + 99) / 100;
    return sorted[rank ? rank - 1 : 0];
}

static void report(struct bench *bench)
{
    uint64_t n = bench->answered;
    double seconds = (double)(bench->end_ns - bench->start_ns) / 1e9;

    qsort(bench->latency_ns, n, sizeof *bench->latency_ns, by_value);
    printf("%s: %" PRIu64 " requests, %zu connections, coalition %s\n",
           bench->test == TEST_APPEND ? "append" : "state", n, bench->connection_count,
           bench->coalition);
    printf("  elapsed     %.3f s\n", seconds);
    printf("  throughput  %.0f req/s\n", seconds > 0 ? (double)n / seconds : 0.0);
    printf("  latency     p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
           (double)percentile(bench->latency_ns, n, 50) / 1e6,
           (double)percentile(bench->latency_ns, n, 99) / 1e6,
           (double)bench->latency_ns[n - 1] / 1e6);
    if (bench->errors)
        printf("  errors      %" PRIu64 " (first: %s)\n", bench->errors, bench->first_error);
}

/* ---- command line ----------------------------------------------------------------- */

static const char usage_text[] =
    "usage: rollcall-bench [-s PATH] [-c CONNECTIONS] [-n REQUESTS] [-t append|state]\n"
    "                      [-k COALITION]\n"
    "\n"
    "Load on a running rollcalld: CONNECTIONS clients, each with one request in\n"
    "flight, until REQUESTS answers. Prints throughput and latency (p50, p99, max).\n"
    "\n"
    "  -s, --socket PATH        the daemon's socket (default as for rollcall)\n"
    "  -c, --connections N      parallel connections (default 50)\n"
    "  -n, --requests N         requests in all (default 10000)\n"
    "  -t, --test append|state  append: one new event per request, to coalition\n"
    "                           " BENCH_COALITION " (established first); state: the\n"
    "                           state of one coalition (default append)\n"
    "  -k, --coalition SLUG     state: the coalition to ask about (default\n"
    "                           " BENCH_COALITION ", established first)\n"
    "  -h, --help, --version\n"
    "\n"
    "Appends stay in the log: run it against a daemon whose data you can spare.\n";

static bool parse_count(const char *text, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (errno || end == text || *end != '\0' || value == 0 || value > max || text[0] == '-')
        return false;
    *out = value;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        { "socket", required_argument, NULL, 's' },
        { "connections", required_argument, NULL, 'c' },
        { "requests", required_argument, NULL, 'n' },
        { "test", required_argument, NULL, 't' },
        { "coalition", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct bench bench;
    unsigned long connections = 50, requests = 10000;
    char path[PATH_MAX];
    int opt;

    memset(&bench, 0, sizeof bench);
    bench.coalition = BENCH_COALITION;
    while ((opt = getopt_long(argc, argv, "s:c:n:t:k:h", options, NULL)) != -1) {
        switch (opt) {
        case 's':
            bench.socket_path = optarg;
            break;
        case 'c':
            if (!parse_count(optarg, 10000, &connections)) {
                warnx_bench("-c: expected 1 to 10000 connections, got '%s'", optarg);
                return 2;
            }
            break;
        case 'n':
            if (!parse_count(optarg, 100000000, &requests)) {
                warnx_bench("-n: expected 1 to 100000000 requests, got '%s'", optarg);
                return 2;
            }
            break;
        case 't':
            if (strcmp(optarg, "append") == 0)
                bench.test = TEST_APPEND;
            else if (strcmp(optarg, "state") == 0)
                bench.test = TEST_STATE;
            else {
                warnx_bench("-t: expected append or state, got '%s'", optarg);
                return 2;
            }
            break;
        case 'k':
            bench.coalition = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("rollcall-bench %s\n", ROLLCALL_VERSION);
            return 0;
        default:
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        warnx_bench("unexpected operand '%s'", argv[optind]);
        return 2;
    }
    if (bench.socket_path == NULL) {
        if (rc_default_socket_path(path, sizeof path) != 0) {
            warnx_bench("the default socket path is too long: use --socket");
            return 2;
        }
        bench.socket_path = path;
    }
    if (connections > requests)
        connections = requests;

    bench.connection_count = connections;
    bench.requests = requests;
    bench.run_id = (unsigned long)getpid() ^ (unsigned long)(rc_now_us() / 1000);
    rc_day_format(rc_today(), bench.today);
    bench.connections = calloc(connections, sizeof *bench.connections);
    bench.latency_ns = calloc(requests, sizeof *bench.latency_ns);
    if (bench.connections == NULL || bench.latency_ns == NULL) {
        warnx_bench("out of memory");
        return 1;
    }

    int rc = 1;
    /* The bench coalition exists before the clock starts; a named one must already. */
    if (strcmp(bench.coalition, BENCH_COALITION) == 0 && establish(&bench) != 0)
        goto done;
    if (run(&bench) == 0) {
        report(&bench);
        rc = bench.errors ? 1 : 0;
    } else {
        warnx_bench("the run did not complete: %" PRIu64 " of %" PRIu64 " answered", bench.answered,
                    bench.requests);
    }
done:
    free(bench.connections);
    free(bench.latency_ns);
    return rc;
}
