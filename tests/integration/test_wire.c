/*
 * test_wire.c — the daemon's wire behaviour, spoken raw: pipelining,
 * out-of-order answers matched by msgid, hostile and broken input, limits,
 * follow with a follower that stops reading.
 *
 * Each test starts the real rollcalld (ROLLCALLD, under ROLLCALLD_WRAPPER if
 * set) on a temporary dir, waiting for READY=1 on a notify socket it binds,
 * and stops it with SIGTERM, requiring exit status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rpc.h"

#define READY_TIMEOUT_MS 120000

/* A string literal's bytes and their count, without its NUL. */
#define LITERAL(s) (s), (sizeof(s) - 1)

struct daemon {
    char dir[64];
    char socket_path[96];
    pid_t pid;
};

/* ---- the daemon ------------------------------------------------------------- */

/* The daemon a test started and has not stopped: a failed test leaves it. */
static struct daemon *running;

static void start_daemon(struct daemon *d, const char *extra)
{
    char notify_path[96], data_dir[96], command[1024];
    struct sockaddr_un addr;

    snprintf(d->dir, sizeof d->dir, "/tmp/rollcall-wire-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->socket_path, sizeof d->socket_path, "%s/sock", d->dir);
    snprintf(notify_path, sizeof notify_path, "%s/notify", d->dir);
    snprintf(data_dir, sizeof data_dir, "%s/data", d->dir);

    int notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(notify >= 0);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", notify_path);
    assert_int_equal(bind(notify, (struct sockaddr *)&addr, sizeof addr), 0);

    const char *wrapper = getenv("ROLLCALLD_WRAPPER");
    snprintf(command, sizeof command,
             "exec %s \"$ROLLCALLD\" --data-dir %s --socket %s --log-level warn %s",
             wrapper ? wrapper : "", data_dir, d->socket_path, extra ? extra : "");
    d->pid = fork();
    assert_true(d->pid >= 0);
    if (d->pid == 0) {
        setenv("NOTIFY_SOCKET", notify_path, 1);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    /* Wait for READY=1: the daemon has recovered and accepts requests. */
    for (;;) {
        struct pollfd pfd = { notify, POLLIN, 0 };
        char buf[512];
        int n = poll(&pfd, 1, READY_TIMEOUT_MS);
        assert_true(n > 0);
        ssize_t len = recv(notify, buf, sizeof buf - 1, 0);
        assert_true(len > 0);
        buf[len] = '\0';
        if (strstr(buf, "READY=1"))
            break;
    }
    close(notify);
    running = d;
}

static void stop_daemon(struct daemon *d)
{
    int status;
    char command[160];

    running = NULL;
    assert_int_equal(kill(d->pid, SIGTERM), 0);
    assert_int_equal(waitpid(d->pid, &status, 0), d->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    snprintf(command, sizeof command, "rm -rf '%s'", d->dir);
    assert_int_equal(system(command), 0);
}

/* ---- a raw client -------------------------------------------------------------- */

struct client {
    int fd;
    struct rpc_reader reader;
    msgpack_unpacked unpacked;
};

static void client_connect(struct client *c, const struct daemon *d)
{
    struct sockaddr_un addr;

    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", d->socket_path);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_true(rpc_reader_init(&c->reader, 64u << 20));
    msgpack_unpacked_init(&c->unpacked);
}

static void client_close(struct client *c)
{
    msgpack_unpacked_destroy(&c->unpacked);
    rpc_reader_destroy(&c->reader);
    close(c->fd);
}

static void send_bytes(struct client *c, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* Reads the next message; returns false at EOF. */
static bool read_message(struct client *c, struct rpc_message *message)
{
    for (;;) {
        enum rpc_read r = rpc_reader_next(&c->reader, &c->unpacked);
        if (r == RPC_READ_MESSAGE) {
            const char *why;
            assert_true(rpc_parse(&c->unpacked.data, message, &why));
            return true;
        }
        assert_int_equal(r, RPC_READ_NEED_MORE);
        size_t room;
        char *buf = rpc_reader_buffer(&c->reader, 64u << 10, &room);
        assert_non_null(buf);
        ssize_t n = recv(c->fd, buf, room, 0);
        if (n == 0)
            return false;
        assert_true(n > 0);
        rpc_reader_consumed(&c->reader, (size_t)n);
    }
}

/* Packs a request; params (if given) packs the one params map. */
typedef void (*params_fn)(msgpack_packer *pk, void *arg);

static void pack_request(msgpack_sbuffer *sbuf, uint32_t msgid, enum rpc_method method,
                         params_fn params, void *arg)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sbuf, msgpack_sbuffer_write);
    assert_int_equal(rpc_pack_request(&pk, msgid, method), 0);
    if (params)
        params(&pk, arg);
    else
        msgpack_pack_map(&pk, 0);
}

static void send_request(struct client *c, uint32_t msgid, enum rpc_method method, params_fn params,
                         void *arg)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    pack_request(&sbuf, msgid, method, params, arg);
    send_bytes(c, sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy(&sbuf);
}

static const char *error_code(const struct rpc_message *m)
{
    static char code[32];
    const msgpack_object *v = mp_map_get(m->error, "code");
    if (v == NULL || v->type != MSGPACK_OBJECT_STR)
        return "";
    snprintf(code, sizeof code, "%.*s", (int)v->via.str.size, v->via.str.ptr);
    return code;
}

static uint64_t result_uint(const struct rpc_message *m, const char *key)
{
    const msgpack_object *v = mp_map_get(m->result, key);
    assert_non_null(v);
    assert_int_equal(v->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    return v->via.u64;
}

/* ---- params builders ----------------------------------------------------- */

static void pack_kv_str(msgpack_packer *pk, const char *key, const char *value)
{
    mp_pack_key(pk, key);
    mp_pack_str(pk, value);
}

struct append_args {
    const char *coalition;
    int count;      /* events */
    int first;      /* numbering of countries */
    size_t note;    /* bytes of note per event */
    bool establish; /* first event establishes the coalition */
    bool bad_last;  /* last event is invalid */
};

static void pack_append(msgpack_packer *pk, void *arg)
{
    struct append_args *a = arg;
    char country[32];
    char *note = a->note ? malloc(a->note + 1) : NULL;

    if (note) {
        memset(note, 'n', a->note);
        note[a->note] = '\0';
    }
    msgpack_pack_map(pk, 1);
    mp_pack_key(pk, "events");
    msgpack_pack_array(pk, (size_t)a->count);
    for (int i = 0; i < a->count; i++) {
        bool establish = a->establish && i == 0;
        bool bad = a->bad_last && i == a->count - 1;
        msgpack_pack_map(pk, establish ? 4 : (note ? 5 : 4));
        pack_kv_str(pk, "type", establish ? "established" : "adhered");
        pack_kv_str(pk, "coalition", a->coalition);
        pack_kv_str(pk, "date", bad ? "2024-02-30" : "2024-05-01");
        if (establish) {
            pack_kv_str(pk, "name", "Test coalition");
        } else {
            snprintf(country, sizeof country, "Country %d", a->first + i);
            pack_kv_str(pk, "country", country);
            if (note)
                pack_kv_str(pk, "note", note);
        }
    }
    free(note);
}

static void pack_coalition(msgpack_packer *pk, void *arg)
{
    msgpack_pack_map(pk, 1);
    pack_kv_str(pk, "coalition", arg);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_hello(void **state)
{
    struct daemon d;
    struct client c;
    struct rpc_message m;
    (void)state;

    start_daemon(&d, NULL);
    client_connect(&c, &d);
    send_request(&c, 1, METHOD_HELLO, NULL, NULL);
    assert_true(read_message(&c, &m));
    assert_int_equal(m.kind, RPC_RESPONSE);
    assert_int_equal(m.msgid, 1);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    assert_true(mp_str_eq(mp_map_get(m.result, "server"), "rollcalld"));
    assert_int_equal(result_uint(&m, "protocol"), RC_PROTOCOL_VERSION);
    assert_int_equal(result_uint(&m, "head"), 0);
    const msgpack_object *writer = mp_map_get(m.result, "writer");
    assert_non_null(writer);
    assert_true(writer->type == MSGPACK_OBJECT_BOOLEAN && writer->via.boolean);
    client_close(&c);
    stop_daemon(&d);
}

/*
 * Three requests in one write: an append, then a state and a hello. The reads
 * are answered at once and cannot see the append, which is answered only after
 * its fdatasync: the answers come back out of order, matched by msgid.
 */
static void test_pipelined_out_of_order(void **state)
{
    struct append_args est = { .coalition = "pipe", .count = 2, .establish = true };
    struct daemon d;
    struct client c;
    struct rpc_message m;
    msgpack_sbuffer sbuf;
    (void)state;

    start_daemon(&d, NULL);
    client_connect(&c, &d);
    msgpack_sbuffer_init(&sbuf);
    pack_request(&sbuf, 11, METHOD_APPEND, pack_append, &est);
    pack_request(&sbuf, 12, METHOD_STATE, pack_coalition, "pipe");
    pack_request(&sbuf, 13, METHOD_HELLO, NULL, NULL);
    send_bytes(&c, sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy(&sbuf);

    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 12);
    assert_string_equal(error_code(&m), "unknown_coalition");
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 13);
    assert_int_equal(result_uint(&m, "head"), 0);
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 11);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    assert_int_equal(result_uint(&m, "head"), 2);

    /* Once acknowledged, it is visible. */
    send_request(&c, 14, METHOD_STATE, pack_coalition, "pipe");
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 14);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    assert_int_equal(result_uint(&m, "count"), 1);
    client_close(&c);
    stop_daemon(&d);
}

/* A batch is atomic: one bad event and nothing is stored. */
static void test_batch_atomic(void **state)
{
    struct append_args bad = {
        .coalition = "atom", .count = 3, .establish = true, .bad_last = true
    };
    struct daemon d;
    struct client c;
    struct rpc_message m;
    (void)state;

    start_daemon(&d, NULL);
    client_connect(&c, &d);
    send_request(&c, 1, METHOD_APPEND, pack_append, &bad);
    assert_true(read_message(&c, &m));
    assert_string_equal(error_code(&m), "invalid_event");
    assert_true(mp_str_eq(mp_map_get(m.error, "field"), "date"));
    const msgpack_object *index = mp_map_get(m.error, "index");
    assert_non_null(index);
    assert_int_equal(index->via.u64, 2);
    send_request(&c, 2, METHOD_HELLO, NULL, NULL);
    assert_true(read_message(&c, &m));
    assert_int_equal(result_uint(&m, "head"), 0);
    client_close(&c);
    stop_daemon(&d);
}

/* Sends bytes on a fresh connection; expects one error answer, then EOF. */
static void expect_refused(const struct daemon *d, const void *bytes, size_t len, const char *code,
                           uint32_t msgid)
{
    struct client c;
    struct rpc_message m;

    client_connect(&c, d);
    send_bytes(&c, bytes, len);
    assert_true(read_message(&c, &m));
    assert_int_equal(m.kind, RPC_RESPONSE);
    assert_int_equal(m.msgid, msgid);
    assert_string_equal(error_code(&m), code);
    assert_false(read_message(&c, &m)); /* closed */
    client_close(&c);
}

static void test_hostile_input(void **state)
{
    struct daemon d;
    struct client bystander;
    struct rpc_message m;
    (void)state;

    start_daemon(&d, "--max-message 65536");
    client_connect(&bystander, &d);

    /* Not msgpack at all. */
    expect_refused(&d, LITERAL("\xc1"), "bad_request", 0);
    /* An array claiming four billion elements: refused before any allocation. */
    expect_refused(&d, LITERAL("\xdd\xff\x00\x00\x00"), "too_large", 0);
    /* A map claiming 2^32-1 entries inside a request. */
    expect_refused(&d, LITERAL("\x94\x00\x07\xa5hello\x91\xdf\xff\xff\xff\xff"), "too_large", 7);
    /* A string over the message limit, msgid still answered. */
    expect_refused(&d,
                   LITERAL("\x94\x00\x09\xa5hello\x91\x81\xa6"
                           "client\xdb\x00\x10\x00\x00"),
                   "too_large", 9);
    /* A response is not a request. */
    expect_refused(&d, LITERAL("\x94\x01\x00\xc0\xc0"), "bad_request", 0);
    /* Nesting deeper than the limit. */
    {
        unsigned char deep[64];
        memset(deep, 0x91, sizeof deep - 1);
        deep[sizeof deep - 1] = 0xc0;
        expect_refused(&d, deep, sizeof deep, "bad_request", 0);
    }

    /* The bystander never noticed. */
    send_request(&bystander, 5, METHOD_HELLO, NULL, NULL);
    assert_true(read_message(&bystander, &m));
    assert_int_equal(m.msgid, 5);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    client_close(&bystander);
    stop_daemon(&d);
}

/* A request with bad params is answered and the connection carries on. */
static void test_bad_requests_keep_connection(void **state)
{
    struct daemon d;
    struct client c;
    struct rpc_message m;
    (void)state;

    start_daemon(&d, NULL);
    client_connect(&c, &d);
    send_bytes(&c, LITERAL("\x94\x00\x03\xa5hello\x90")); /* params [] */
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 3);
    assert_string_equal(error_code(&m), "bad_request");

    send_bytes(&c, LITERAL("\x94\x00\x04\xa4nope\x91\x80")); /* unknown method */
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 4);
    assert_string_equal(error_code(&m), "bad_request");

    send_request(&c, 6, METHOD_STATE, pack_coalition, "nobody");
    assert_true(read_message(&c, &m));
    assert_string_equal(error_code(&m), "unknown_coalition");

    send_bytes(&c, LITERAL("\x94\x00\x08\xa5state\x91\x81\xa3"
                           "foo\x01")); /* unknown param */
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 8);
    assert_string_equal(error_code(&m), "bad_request");

    /* follow takes its parameters like every method: a slug is at most 64 bytes. */
    char long_slug[66];
    memset(long_slug, 'a', 65);
    long_slug[65] = '\0';
    send_request(&c, 9, METHOD_FOLLOW, pack_coalition, long_slug);
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 9);
    assert_string_equal(error_code(&m), "bad_request");
    long_slug[64] = '\0';
    send_request(&c, 11, METHOD_FOLLOW, pack_coalition, long_slug);
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 11);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    send_request(&c, 12, METHOD_UNFOLLOW, NULL, NULL);
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 12);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);

    send_request(&c, 10, METHOD_HELLO, NULL, NULL);
    assert_true(read_message(&c, &m));
    assert_int_equal(m.msgid, 10);
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    client_close(&c);
    stop_daemon(&d);
}

/* A peer that leaves mid-request, or mid-append, costs the daemon nothing. */
static void test_disconnects(void **state)
{
    struct append_args est = { .coalition = "gone", .count = 1, .establish = true };
    struct append_args more = { .coalition = "gone", .count = 50 };
    struct daemon d;
    struct client c;
    struct rpc_message m;
    msgpack_sbuffer sbuf;
    (void)state;

    start_daemon(&d, NULL);
    client_connect(&c, &d);
    send_request(&c, 1, METHOD_APPEND, pack_append, &est);
    assert_true(read_message(&c, &m));
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    client_close(&c);

    for (int i = 0; i < 20; i++) {
        client_connect(&c, &d);
        msgpack_sbuffer_init(&sbuf);
        pack_request(&sbuf, 1, METHOD_APPEND, pack_append, &more);
        /* Half a request, or the whole one and gone before the answer. */
        send_bytes(&c, sbuf.data, i % 2 ? sbuf.size / 2 : sbuf.size);
        msgpack_sbuffer_destroy(&sbuf);
        client_close(&c);
        more.first += 50;
    }
    client_connect(&c, &d);
    send_request(&c, 2, METHOD_STATE, pack_coalition, "gone");
    assert_true(read_message(&c, &m));
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
    client_close(&c);
    stop_daemon(&d); /* exit 0: under ASan or valgrind, nothing leaked */
}

static void test_connection_limit(void **state)
{
    struct daemon d;
    struct client a, b, extra;
    struct rpc_message m;
    (void)state;

    start_daemon(&d, "--max-connections 2");
    client_connect(&a, &d);
    client_connect(&b, &d);
    send_request(&a, 1, METHOD_HELLO, NULL, NULL);
    assert_true(read_message(&a, &m));
    send_request(&b, 1, METHOD_HELLO, NULL, NULL);
    assert_true(read_message(&b, &m));
    client_connect(&extra, &d);
    assert_false(read_message(&extra, &m)); /* closed at once */
    client_close(&extra);
    client_close(&a);
    client_close(&b);
    stop_daemon(&d);
}

static void pack_follow_from(msgpack_packer *pk, void *arg)
{
    msgpack_pack_map(pk, 1);
    mp_pack_key(pk, "from_seq");
    msgpack_pack_uint64(pk, *(uint64_t *)arg);
}

/*
 * A follower that stops reading while about 12 MiB of events arrive has its
 * follow ended with too_slow and the seq to resume from; it received every
 * event before that seq, in order, and resuming delivers the rest.
 */
static void test_follow_too_slow(void **state)
{
    struct daemon d;
    struct client follower, writer;
    struct rpc_message m;
    uint64_t from = 1, expect = 1;
    (void)state;

    start_daemon(&d, "--fsync never");
    client_connect(&writer, &d);
    struct append_args est = { .coalition = "slow", .count = 1, .establish = true };
    send_request(&writer, 1, METHOD_APPEND, pack_append, &est);
    assert_true(read_message(&writer, &m));
    assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);

    client_connect(&follower, &d);
    send_request(&follower, 1, METHOD_FOLLOW, pack_follow_from, &from);
    /* Not reading from now on. Append 1,500 events of ~8 KiB each. */
    int total = 1;
    for (int batch = 0; batch < 15; batch++) {
        struct append_args a = { .coalition = "slow", .count = 100, .first = total, .note = 8000 };
        send_request(&writer, 2, METHOD_APPEND, pack_append, &a);
        assert_true(read_message(&writer, &m));
        assert_int_equal(m.error->type, MSGPACK_OBJECT_NIL);
        total += 100;
    }

    /* Now read: the follow response, events in order, then follow_ended. */
    assert_true(read_message(&follower, &m));
    assert_int_equal(m.kind, RPC_RESPONSE);
    uint64_t next_seq = 0;
    while (next_seq == 0) {
        assert_true(read_message(&follower, &m));
        assert_int_equal(m.kind, RPC_NOTIFICATION);
        const msgpack_object *body = &m.params[0];
        if (m.method_len == strlen(NOTIFY_EVENT) && memcmp(m.method, NOTIFY_EVENT, 5) == 0) {
            const msgpack_object *seq = mp_map_get(body, "seq");
            assert_non_null(seq);
            assert_int_equal(seq->via.u64, expect);
            expect++;
        } else {
            assert_true(mp_str_eq(mp_map_get(body, "code"), FOLLOW_TOO_SLOW));
            next_seq = mp_map_get(body, "next_seq")->via.u64;
        }
    }
    assert_int_equal(next_seq, expect);
    assert_true(next_seq <= (uint64_t)total);

    /* Resuming delivers the rest. */
    send_request(&follower, 3, METHOD_FOLLOW, pack_follow_from, &next_seq);
    assert_true(read_message(&follower, &m));
    assert_int_equal(m.kind, RPC_RESPONSE);
    while (expect <= (uint64_t)total) {
        assert_true(read_message(&follower, &m));
        assert_int_equal(m.kind, RPC_NOTIFICATION);
        assert_int_equal(mp_map_get(&m.params[0], "seq")->via.u64, expect);
        expect++;
    }
    client_close(&follower);
    client_close(&writer);
    stop_daemon(&d);
}

/* After a failed test: kill the daemon it left running, remove its files. */
static int kill_leftover(void **state)
{
    char command[160];
    (void)state;
    if (running) {
        kill(running->pid, SIGKILL);
        waitpid(running->pid, NULL, 0);
        snprintf(command, sizeof command, "rm -rf '%s'", running->dir);
        if (system(command) != 0)
            fprintf(stderr, "could not remove %s\n", running->dir);
        running = NULL;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_hello, kill_leftover),
        cmocka_unit_test_teardown(test_pipelined_out_of_order, kill_leftover),
        cmocka_unit_test_teardown(test_batch_atomic, kill_leftover),
        cmocka_unit_test_teardown(test_hostile_input, kill_leftover),
        cmocka_unit_test_teardown(test_bad_requests_keep_connection, kill_leftover),
        cmocka_unit_test_teardown(test_disconnects, kill_leftover),
        cmocka_unit_test_teardown(test_connection_limit, kill_leftover),
        cmocka_unit_test_teardown(test_follow_too_slow, kill_leftover),
    };
    if (getenv("ROLLCALLD") == NULL) {
        fprintf(stderr, "ROLLCALLD is not set\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
