/*
 * test_rcclient.c — the client connection against a fake server: calls,
 * pipelined requests answered out of order, errors, notifications, a server
 * that closes or sends garbage, and the two ways out of a wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fakeserver.h"
#include "rcclient.h"

static const msgpack_object *get(const msgpack_object *map, const char *key)
{
    const msgpack_object *value = mp_map_get(map, key);
    assert_non_null(value);
    return value;
}

/* ---- a plain call ---------------------------------------------------------------- */

static void test_call_returns_result(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"server\": \"rollcalld\", \"protocol\": 1, \"head\": 42}" },
    };
    struct fake_server server;
    struct rc_client client;
    struct rc_reply reply;

    (void)state;
    assert_int_equal(rc_adopt(&client, fake_start(&server, NULL, NULL, script, 1)), RC_OK);
    assert_int_equal(rc_call(&client, METHOD_HELLO, NULL, 0, &reply), RC_OK);
    assert_false(reply.failed);
    assert_int_equal(get(reply.result, "head")->via.u64, 42);
    assert_true(mp_str_eq(get(reply.result, "server"), "rollcalld"));
    rc_reply_free(&reply);
    rc_close(&client);
    fake_stop(&server);
    assert_string_equal(fake_request(&server, 0), "hello {}");
    fake_free(&server);
}

static void test_params_are_sent_as_given(void **state)
{
    static const struct fake_step script[] = { { .result = "{}" } };
    struct fake_server server;
    struct rc_client client;
    struct rc_reply reply;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    (void)state;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    mp_pack_key(&pk, "coalition");
    mp_pack_str(&pk, "mmas");
    mp_pack_key(&pk, "as_of_seq");
    msgpack_pack_uint64(&pk, 6);
    assert_int_equal(rc_adopt(&client, fake_start(&server, NULL, NULL, script, 1)), RC_OK);
    assert_int_equal(rc_call(&client, METHOD_STATE, sbuf.data, sbuf.size, &reply), RC_OK);
    rc_reply_free(&reply);
    rc_close(&client);
    fake_stop(&server);
    assert_string_equal(fake_request(&server, 0), "state {\"coalition\":\"mmas\",\"as_of_seq\":6}");
    fake_free(&server);
    msgpack_sbuffer_destroy(&sbuf);
}

/* ---- out of order ------------------------------------------------------------------ */

/* Holds the first request's answer until the second has been answered. */
static void answer_backwards(struct fake_server *server, const struct rpc_message *request,
                             void *ctx)
{
    uint32_t *first = ctx;
    char text[64];

    if (*first == 0) {
        *first = request->msgid;
        return;
    }
    snprintf(text, sizeof text, "{\"answer_to\": %u}", request->msgid);
    fake_reply(server, request->msgid, text);
    snprintf(text, sizeof text, "{\"answer_to\": %u}", *first);
    fake_reply(server, *first, text);
}

static void test_out_of_order_responses_matched_by_msgid(void **state)
{
    struct fake_server server;
    struct rc_client client;
    struct rc_reply first, second;
    uint32_t held = 0, id1, id2;

    (void)state;
    assert_int_equal(rc_adopt(&client, fake_start(&server, answer_backwards, &held, NULL, 0)),
                     RC_OK);
    assert_int_equal(rc_send(&client, METHOD_STATUS, NULL, 0, &id1), RC_OK);
    assert_int_equal(rc_send(&client, METHOD_COALITIONS, NULL, 0, &id2), RC_OK);
    assert_int_not_equal(id1, id2);

    /* The second answer arrives first: it is kept while the first is awaited. */
    assert_int_equal(rc_wait(&client, id1, &first), RC_OK);
    assert_int_equal(get(first.result, "answer_to")->via.u64, id1);
    assert_non_null(client.queue_head);
    assert_int_equal(rc_wait(&client, id2, &second), RC_OK);
    assert_int_equal(get(second.result, "answer_to")->via.u64, id2);
    assert_null(client.queue_head);

    rc_reply_free(&first);
    rc_reply_free(&second);
    rc_close(&client);
    fake_stop(&server);
    assert_string_equal(fake_request(&server, 0), "status {}");
    assert_string_equal(fake_request(&server, 1), "coalitions {}");
    fake_free(&server);
}

/* ---- errors ------------------------------------------------------------------------ */

static void test_error_response_with_details(void **state)
{
    static const struct fake_step script[] = {
        { .error = "{\"code\": \"conflict\", \"message\": \"expect_head is 3 but the log's head "
                   "is 9\", \"head\": 9}" },
        { .error = "{\"code\": \"invalid_event\", \"message\": \"event 2: bad\", \"field\": "
                   "\"country\", \"index\": 2}" },
        { .error = "{\"code\": \"from_the_future\", \"message\": \"?\", \"seq\": 5}" },
    };
    struct fake_server server;
    struct rc_client client;
    struct rc_reply reply;

    (void)state;
    assert_int_equal(rc_adopt(&client, fake_start(&server, NULL, NULL, script, 3)), RC_OK);

    assert_int_equal(rc_call(&client, METHOD_APPEND, NULL, 0, &reply), RC_OK);
    assert_true(reply.failed);
    assert_null(reply.result);
    assert_int_equal(reply.error.code, RPC_CONFLICT);
    assert_string_equal(reply.error.code_text, "conflict");
    assert_string_equal(reply.error.message, "expect_head is 3 but the log's head is 9");
    assert_true(reply.error.has_head);
    assert_int_equal(reply.error.head, 9);
    assert_false(reply.error.has_index);
    assert_false(reply.error.has_seq);
    rc_reply_free(&reply);

    assert_int_equal(rc_call(&client, METHOD_APPEND, NULL, 0, &reply), RC_OK);
    assert_int_equal(reply.error.code, RPC_INVALID_EVENT);
    assert_string_equal(reply.error.field, "country");
    assert_true(reply.error.has_index);
    assert_int_equal(reply.error.index, 2);
    rc_reply_free(&reply);

    /* A code this build doesn't know is kept as text and treated as internal. */
    assert_int_equal(rc_call(&client, METHOD_APPEND, NULL, 0, &reply), RC_OK);
    assert_int_equal(reply.error.code, RPC_INTERNAL);
    assert_string_equal(reply.error.code_text, "from_the_future");
    assert_true(reply.error.has_seq);
    assert_int_equal(reply.error.seq, 5);
    rc_reply_free(&reply);

    rc_close(&client);
    fake_stop(&server);
    fake_free(&server);
}

static void close_at_once(struct fake_server *server, const struct rpc_message *request, void *ctx)
{
    (void)request;
    (void)ctx;
    fake_close(server);
}

static void test_server_that_closes(void **state)
{
    struct fake_server server;
    struct rc_client client;
    struct rc_reply reply;

    (void)state;
    assert_int_equal(rc_adopt(&client, fake_start(&server, close_at_once, NULL, NULL, 0)), RC_OK);
    assert_int_equal(rc_call(&client, METHOD_STATUS, NULL, 0, &reply), RC_CLOSED);
    assert_string_equal(client.why, "the daemon closed the connection");
    /* Writing to it now fails the same way, without SIGPIPE killing us. */
    uint32_t msgid;
    enum rc_status status = rc_send(&client, METHOD_STATUS, NULL, 0, &msgid);
    assert_true(status == RC_CLOSED || status == RC_OK);
    if (status == RC_OK)
        assert_int_equal(rc_wait(&client, msgid, &reply), RC_CLOSED);
    rc_close(&client);
    fake_stop(&server);
    fake_free(&server);
}

/* Answers with the bytes in ctx instead of a message. */
static void send_garbage(struct fake_server *server, const struct rpc_message *request, void *ctx)
{
    const char *bytes = ctx;
    (void)request;
    fake_send_raw(server, bytes + 1, (size_t)bytes[0]);
}

static void expect_bad_message(const char *bytes, const char *why)
{
    struct fake_server server;
    struct rc_client client;
    struct rc_reply reply;
    char copy[16];

    memcpy(copy, bytes, (size_t)bytes[0] + 1);
    assert_int_equal(rc_adopt(&client, fake_start(&server, send_garbage, copy, NULL, 0)), RC_OK);
    assert_int_equal(rc_call(&client, METHOD_STATUS, NULL, 0, &reply), RC_BAD_MESSAGE);
    assert_non_null(strstr(client.why, why));
    rc_close(&client);
    fake_stop(&server);
    fake_free(&server);
}

static void test_garbage_and_hostile_counts(void **state)
{
    (void)state;
    /* Length-prefixed byte strings: the first byte is the count. */
    expect_bad_message("\x01\xc1", "not MessagePack");
    /* An array claiming 4 billion elements: refused before anything is allocated. */
    expect_bad_message("\x05\xdd\xff\x00\x00\x00", "a reply over");
    /* A request where a response belongs. */
    expect_bad_message("\x0a\x94\x00\x01\xa4hell\x91\x80", "sent a request");
    /* A response that is not an array of four. */
    expect_bad_message("\x03\x92\x01\x01", "not a MessagePack-RPC reply");
}

/* ---- notifications ------------------------------------------------------------------ */

/*
 * follow: a notification before the response (allowed: the client must keep
 * it), the response, then two events and follow_ended.
 */
static void follow_stream(struct fake_server *server, const struct rpc_message *request, void *ctx)
{
    (void)ctx;
    fake_notify(server, "event", "{\"seq\": 7, \"type\": \"signed\"}");
    fake_reply(server, request->msgid, "{\"head\": 9}");
    fake_notify(server, "event", "{\"seq\": 8, \"type\": \"adhered\"}");
    fake_notify(server, "event", "{\"seq\": 9, \"type\": \"withdrew\"}");
    fake_notify(server, "follow_ended", "{\"code\": \"too_slow\", \"next_seq\": 10}");
}

static void test_notification_stream(void **state)
{
    static const uint64_t seqs[] = { 7, 8, 9 };
    struct fake_server server;
    struct rc_client client;
    struct rc_notification note;
    struct rc_reply reply;

    (void)state;
    assert_int_equal(rc_adopt(&client, fake_start(&server, follow_stream, NULL, NULL, 0)), RC_OK);
    assert_int_equal(rc_call(&client, METHOD_FOLLOW, NULL, 0, &reply), RC_OK);
    assert_int_equal(get(reply.result, "head")->via.u64, 9);
    rc_reply_free(&reply);

    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(rc_next_notification(&client, -1, -1, &note), RC_OK);
        assert_int_equal(note.method_len, 5);
        assert_memory_equal(note.method, "event", 5);
        assert_int_equal(get(note.params, "seq")->via.u64, seqs[i]);
        rc_notification_free(&note);
    }
    assert_int_equal(rc_next_notification(&client, -1, -1, &note), RC_OK);
    assert_memory_equal(note.method, "follow_ended", 12);
    assert_int_equal(get(note.params, "next_seq")->via.u64, 10);
    rc_notification_free(&note);

    rc_close(&client);
    fake_stop(&server);
    assert_string_equal(fake_request(&server, 0), "follow {}");
    fake_free(&server);
}

static void answer_nothing(struct fake_server *server, const struct rpc_message *request, void *ctx)
{
    (void)ctx;
    fake_reply(server, request->msgid, "{\"head\": 0}");
}

static void test_wait_ends_on_cancel_or_closed_output(void **state)
{
    struct fake_server server;
    struct rc_client client;
    struct rc_notification note;
    struct rc_reply reply;
    int cancel[2], output[2];

    (void)state;
    assert_int_equal(pipe(cancel), 0);
    assert_int_equal(pipe(output), 0);
    assert_int_equal(rc_adopt(&client, fake_start(&server, answer_nothing, NULL, NULL, 0)), RC_OK);
    assert_int_equal(rc_call(&client, METHOD_FOLLOW, NULL, 0, &reply), RC_OK);
    rc_reply_free(&reply);

    /* An interrupt (the signalfd in the program) ends the wait. */
    assert_int_equal(write(cancel[1], "x", 1), 1);
    assert_int_equal(rc_next_notification(&client, cancel[0], output[1], &note), RC_CANCELLED);

    /* So does the output pipe's reader going away, though no event ever comes. */
    close(output[0]);
    assert_int_equal(rc_next_notification(&client, -1, output[1], &note), RC_CANCELLED);

    close(cancel[0]);
    close(cancel[1]);
    close(output[1]);
    rc_close(&client);
    fake_stop(&server);
    fake_free(&server);
}

/* ---- connecting ------------------------------------------------------------------------ */

static void test_connect_tells_no_daemon(void **state)
{
    struct rc_client client;
    char path[108];
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    (void)state;
    snprintf(path, sizeof path, "/tmp/rollcall-test-%ld.sock", (long)getpid());
    unlink(path);

    /* Nothing at the path. */
    assert_int_equal(rc_connect(&client, path), RC_NO_DAEMON);
    rc_close(&client);

    /* A socket file nobody listens on: a daemon that has gone. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    strcpy(addr.sun_path, path);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(rc_connect(&client, path), RC_NO_DAEMON);
    rc_close(&client);

    /* Listening: connected. */
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(rc_connect(&client, path), RC_OK);
    rc_close(&client);
    close(fd);

    /* A path the kernel can't take. */
    char long_path[200];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    assert_int_equal(rc_connect(&client, long_path), RC_CONNECT_FAILED);
    assert_non_null(strstr(client.why, "too long"));
    rc_close(&client);

    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_returns_result),
        cmocka_unit_test(test_params_are_sent_as_given),
        cmocka_unit_test(test_out_of_order_responses_matched_by_msgid),
        cmocka_unit_test(test_error_response_with_details),
        cmocka_unit_test(test_server_that_closes),
        cmocka_unit_test(test_garbage_and_hostile_counts),
        cmocka_unit_test(test_notification_stream),
        cmocka_unit_test(test_wait_ends_on_cancel_or_closed_output),
        cmocka_unit_test(test_connect_tells_no_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
