/*
 * fakeserver.c — a stand-in for rollcalld in the client's tests.
 */
#include "fakeserver.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"

/* ---- writing -------------------------------------------------------------------- */

static void send_all(struct fake_server *server, const char *buf, size_t len)
{
    while (len > 0 && !server->closed) {
        ssize_t n = send(server->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the client went away: it will see that itself */
        buf += n;
        len -= (size_t)n;
    }
}

void fake_send_raw(struct fake_server *server, const void *bytes, size_t len)
{
    send_all(server, bytes, len);
}

/* Packs json text (the test's own, so bad JSON is a bug in the test: abort). */
static void pack_json(msgpack_packer *pk, const char *text)
{
    json_error_t error;
    json_t *value = json_loads(text, JSON_DECODE_ANY, &error);

    if (value == NULL) {
        fprintf(stderr, "fakeserver: bad JSON in a test: %s: %s\n", text, error.text);
        abort();
    }
    if (convert_json_to_msgpack(value, pk) != 0)
        abort();
    json_decref(value);
}

static void send_packed(struct fake_server *server, msgpack_sbuffer *sbuf)
{
    send_all(server, sbuf->data, sbuf->size);
    msgpack_sbuffer_destroy(sbuf);
}

void fake_reply(struct fake_server *server, uint32_t msgid, const char *json_result)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    rpc_pack_result_header(&pk, msgid);
    pack_json(&pk, json_result);
    send_packed(server, &sbuf);
}

void fake_error(struct fake_server *server, uint32_t msgid, const char *json_error)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, RPC_RESPONSE);
    msgpack_pack_uint32(&pk, msgid);
    pack_json(&pk, json_error);
    msgpack_pack_nil(&pk);
    send_packed(server, &sbuf);
}

void fake_notify(struct fake_server *server, const char *method, const char *json_params)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;

    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    rpc_pack_notification(&pk, method);
    pack_json(&pk, json_params);
    send_packed(server, &sbuf);
}

void fake_close(struct fake_server *server)
{
    shutdown(server->fd, SHUT_RDWR);
    server->closed = true;
}

/* ---- serving ---------------------------------------------------------------------- */

static void log_request(struct fake_server *server, const struct rpc_message *request)
{
    char why[128];
    json_t *params = convert_msgpack_to_json(request->params, why, sizeof why);
    char *text = params ? json_dumps(params, JSON_COMPACT) : NULL;
    char *line = NULL;

    if (asprintf(&line, "%.*s %s", (int)request->method_len, request->method, text ? text : why) <
        0)
        abort();
    free(text);
    json_decref(params);
    if (server->requests < FAKE_MAX_REQUESTS)
        server->log[server->requests] = line;
    else
        free(line);
    server->requests++;
}

static void play_script(struct fake_server *server, const struct rpc_message *request, void *ctx)
{
    size_t step = server->requests - 1;

    (void)ctx;
    if (step >= server->script_len) {
        fake_error(server, request->msgid,
                   "{\"code\": \"internal\", \"message\": \"the script has no more steps\"}");
        return;
    }
    if (server->script[step].error)
        fake_error(server, request->msgid, server->script[step].error);
    else
        fake_reply(server, request->msgid, server->script[step].result);
}

static void *serve(void *arg)
{
    struct fake_server *server = arg;
    struct rpc_reader reader;
    msgpack_unpacked unpacked;

    if (!rpc_reader_init(&reader, 16u << 20))
        abort();
    msgpack_unpacked_init(&unpacked);
    while (!server->closed) {
        size_t room;
        char *buf = rpc_reader_buffer(&reader, 4096, &room);
        if (buf == NULL)
            abort();
        ssize_t n = read(server->fd, buf, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        rpc_reader_consumed(&reader, (size_t)n);
        while (!server->closed && rpc_reader_next(&reader, &unpacked) == RPC_READ_MESSAGE) {
            struct rpc_message request;
            const char *why;
            if (!rpc_parse(&unpacked.data, &request, &why) || request.kind != RPC_REQUEST) {
                fprintf(stderr, "fakeserver: the client sent a bad message: %s\n", why);
                abort();
            }
            log_request(server, &request);
            server->handler(server, &request, server->ctx);
        }
    }
    msgpack_unpacked_destroy(&unpacked);
    rpc_reader_destroy(&reader);
    close(server->fd);
    return NULL;
}

int fake_start(struct fake_server *server, fake_handler handler, void *ctx,
               const struct fake_step *script, size_t script_len)
{
    int fds[2];

    memset(server, 0, sizeof *server);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        abort();
    server->fd = fds[1];
    server->handler = handler ? handler : play_script;
    server->ctx = ctx;
    server->script = script;
    server->script_len = script_len;
    if (pthread_create(&server->thread, NULL, serve, server) != 0)
        abort();
    return fds[0];
}

void fake_stop(struct fake_server *server)
{
    pthread_join(server->thread, NULL);
}

void fake_free(struct fake_server *server)
{
    for (size_t i = 0; i < server->requests && i < FAKE_MAX_REQUESTS; i++)
        free(server->log[i]);
    server->requests = 0;
}

const char *fake_request(const struct fake_server *server, size_t n)
{
    return n < server->requests && n < FAKE_MAX_REQUESTS ? server->log[n] : "";
}
