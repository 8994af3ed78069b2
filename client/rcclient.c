/*
 * rcclient.c — a blocking MessagePack-RPC connection to rollcalld.
 */
#include "rcclient.h"
#include "keys.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_CHUNK (64u << 10)

static enum rc_status fail(struct rc_client *client, enum rc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum rc_status fail(struct rc_client *client, enum rc_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(client->why, sizeof client->why, fmt, ap);
    va_end(ap);
    return status;
}

/* ---- connecting ------------------------------------------------------------ */

static void client_reset(struct rc_client *client)
{
    memset(client, 0, sizeof *client);
    client->fd = -1;
    client->next_msgid = 1;
}

enum rc_status rc_adopt(struct rc_client *client, int fd)
{
    client_reset(client);
    if (!rpc_reader_init(&client->reader, RC_CLIENT_MAX_RESPONSE))
        return fail(client, RC_NOMEM, "out of memory");
    client->fd = fd;
    return RC_OK;
}

enum rc_status rc_connect(struct rc_client *client, const char *path)
{
    struct sockaddr_un addr;
    int fd;

    client_reset(client);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path)
        return fail(client, RC_CONNECT_FAILED, "socket path too long (at most %zu bytes)",
                    sizeof addr.sun_path - 1);
    memcpy(addr.sun_path, path, strlen(path) + 1);

    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return fail(client, RC_CONNECT_FAILED, "socket: %s", strerror(errno));
    while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        if (errno == EINTR)
            continue;
        int saved = errno;
        close(fd);
        /* Nothing there, or a socket file left by a daemon that has gone. */
        if (saved == ENOENT || saved == ECONNREFUSED)
            return fail(client, RC_NO_DAEMON, "%s", strerror(saved));
        return fail(client, RC_CONNECT_FAILED, "%s", strerror(saved));
    }
    enum rc_status status = rc_adopt(client, fd);
    if (status != RC_OK)
        close(fd);
    return status;
}

static void message_free(struct rc_message *message)
{
    if (message == NULL)
        return;
    msgpack_unpacked_destroy(&message->unpacked);
    free(message);
}

void rc_close(struct rc_client *client)
{
    struct rc_message *message, *next;

    for (message = client->queue_head; message != NULL; message = next) {
        next = message->next;
        message_free(message);
    }
    client->queue_head = client->queue_tail = NULL;
    if (client->fd >= 0) {
        close(client->fd);
        rpc_reader_destroy(&client->reader);
    }
    client->fd = -1;
}

/* ---- writing ---------------------------------------------------------------- */

static enum rc_status write_all(struct rc_client *client, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(client->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE || errno == ECONNRESET)
                return fail(client, RC_CLOSED, "the daemon closed the connection");
            return fail(client, RC_IO_ERROR, "write: %s", strerror(errno));
        }
        buf += n;
        len -= (size_t)n;
    }
    return RC_OK;
}

enum rc_status rc_send(struct rc_client *client, enum rpc_method method, const char *params,
                       size_t params_len, uint32_t *msgid)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    enum rc_status status;

    *msgid = client->next_msgid++;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    int rc = rpc_pack_request(&pk, *msgid, method);
    if (params != NULL)
        rc |= msgpack_sbuffer_write(&sbuf, params, params_len);
    else
        rc |= msgpack_pack_map(&pk, 0);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        return fail(client, RC_NOMEM, "out of memory");
    }
    /* One write per request: the daemon sees it whole or not at all. */
    status = write_all(client, sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy(&sbuf);
    return status;
}

/* ---- reading ---------------------------------------------------------------- */

/*
 * Reads what the socket has into the reader: waits for some bytes, then
 * takes whatever else is already there. The reader rescans a partial message
 * from its start each time it is asked, so a large reply is read in as few,
 * as large, pieces as the socket allows, with room that grows with it.
 */
static enum rc_status fill(struct rc_client *client)
{
    size_t pending = rpc_reader_pending(&client->reader);
    size_t room, got = 0;
    char *buf =
        rpc_reader_buffer(&client->reader, pending > READ_CHUNK ? pending : READ_CHUNK, &room);

    if (buf == NULL)
        return fail(client, RC_NOMEM, "out of memory");
    while (got < room) {
        ssize_t n = recv(client->fd, buf + got, room - got, got ? MSG_DONTWAIT : 0);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (got > 0)
            break; /* nothing more for now (EAGAIN), or an end the next call will see */
        if (n == 0 || errno == ECONNRESET)
            return fail(client, RC_CLOSED, "the daemon closed the connection");
        return fail(client, RC_IO_ERROR, "read: %s", strerror(errno));
    }
    rpc_reader_consumed(&client->reader, got);
    return RC_OK;
}

/*
 * Takes the next complete message from the bytes already read, if any.
 * Returns RC_OK with *out NULL when more bytes are needed.
 */
static enum rc_status take_buffered(struct rc_client *client, struct rc_message **out)
{
    struct rc_message *message;
    const char *why;

    *out = NULL;
    if ((message = calloc(1, sizeof *message)) == NULL)
        return fail(client, RC_NOMEM, "out of memory");
    msgpack_unpacked_init(&message->unpacked);
    switch (rpc_reader_next(&client->reader, &message->unpacked)) {
    case RPC_READ_MESSAGE:
        break;
    case RPC_READ_NEED_MORE:
        message_free(message);
        return RC_OK;
    case RPC_READ_TOO_LARGE:
        message_free(message);
        return fail(client, RC_BAD_MESSAGE, "a reply over %u bytes", RC_CLIENT_MAX_RESPONSE);
    case RPC_READ_INVALID:
        message_free(message);
        return fail(client, RC_BAD_MESSAGE, "a reply that is not MessagePack");
    case RPC_READ_NOMEM:
        message_free(message);
        return fail(client, RC_NOMEM, "out of memory");
    }
    if (!rpc_parse(&message->unpacked.data, &message->rpc, &why)) {
        message_free(message);
        return fail(client, RC_BAD_MESSAGE, "not a MessagePack-RPC reply (%s)", why);
    }
    if (message->rpc.kind == RPC_REQUEST) {
        message_free(message);
        return fail(client, RC_BAD_MESSAGE, "the peer sent a request, not a reply");
    }
    *out = message;
    return RC_OK;
}

static void enqueue(struct rc_client *client, struct rc_message *message)
{
    message->next = NULL;
    if (client->queue_tail)
        client->queue_tail->next = message;
    else
        client->queue_head = message;
    client->queue_tail = message;
}

/* Unlinks and returns the first kept message that matches, or NULL. */
static struct rc_message *dequeue(struct rc_client *client, enum rpc_kind kind, uint32_t msgid)
{
    struct rc_message **link = &client->queue_head, *prev = NULL;

    for (struct rc_message *m = client->queue_head; m != NULL; prev = m, m = m->next) {
        if (m->rpc.kind == kind && (kind != RPC_RESPONSE || m->rpc.msgid == msgid)) {
            *link = m->next;
            if (client->queue_tail == m)
                client->queue_tail = prev;
            m->next = NULL;
            return m;
        }
        link = &m->next;
    }
    return NULL;
}

/*
 * Waits until the socket is readable. cancel_fd and watch_fd may be -1.
 * Returns RC_OK when there is something to read.
 */
static enum rc_status wait_readable(struct rc_client *client, int cancel_fd, int watch_fd)
{
    struct pollfd fds[3] = {
        { .fd = client->fd, .events = POLLIN },
        { .fd = cancel_fd, .events = POLLIN },
        { .fd = watch_fd, .events = 0 }, /* only POLLERR/POLLHUP: the reader is gone */
    };
    for (;;) {
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return fail(client, RC_IO_ERROR, "poll: %s", strerror(errno));
        }
        if (fds[1].revents != 0 || (fds[2].revents & (POLLERR | POLLHUP)))
            return fail(client, RC_CANCELLED, "interrupted");
        if (fds[0].revents != 0)
            return RC_OK;
    }
}

/* Reads until a message arrives; returns it in *out. */
static enum rc_status read_message(struct rc_client *client, int cancel_fd, int watch_fd,
                                   struct rc_message **out)
{
    enum rc_status status;

    for (;;) {
        if ((status = take_buffered(client, out)) != RC_OK || *out != NULL)
            return status;
        if ((cancel_fd >= 0 || watch_fd >= 0) &&
            (status = wait_readable(client, cancel_fd, watch_fd)) != RC_OK)
            return status;
        if ((status = fill(client)) != RC_OK)
            return status;
    }
}

static void copy_text(char *out, size_t size, const msgpack_object *obj)
{
    if (obj == NULL || obj->type != MSGPACK_OBJECT_STR || size == 0) {
        if (size > 0)
            out[0] = '\0';
        return;
    }
    size_t n = obj->via.str.size < size - 1 ? obj->via.str.size : size - 1;
    memcpy(out, obj->via.str.ptr, n);
    out[n] = '\0';
}

static bool read_uint(const msgpack_object *obj, uint64_t *value)
{
    if (obj == NULL || obj->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *value = obj->via.u64;
    return true;
}

void rc_error_from_object(const msgpack_object *object, struct rc_error *err)
{
    const msgpack_object *code = mp_map_get(object, RC_KEY_CODE);

    memset(err, 0, sizeof *err);
    if (code && code->type == MSGPACK_OBJECT_STR) {
        err->code = rpc_error_from_code(code->via.str.ptr, code->via.str.size);
        copy_text(err->code_text, sizeof err->code_text, code);
    } else {
        err->code = RPC_INTERNAL;
        snprintf(err->code_text, sizeof err->code_text, "%s", rpc_error_code(RPC_INTERNAL));
    }
    copy_text(err->message, sizeof err->message, mp_map_get(object, RC_KEY_MESSAGE));
    if (err->message[0] == '\0' && object->type != MSGPACK_OBJECT_MAP)
        snprintf(err->message, sizeof err->message, "an error reply of an unknown shape");
    copy_text(err->field, sizeof err->field, mp_map_get(object, RC_KEY_FIELD));
    err->has_index = read_uint(mp_map_get(object, RC_KEY_INDEX), &err->index);
    err->has_seq = read_uint(mp_map_get(object, RC_KEY_SEQ), &err->seq);
    err->has_head = read_uint(mp_map_get(object, RC_KEY_HEAD), &err->head);
}

static void fill_reply(struct rc_message *message, struct rc_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->message = message;
    if (message->rpc.error->type != MSGPACK_OBJECT_NIL) {
        reply->failed = true;
        rc_error_from_object(message->rpc.error, &reply->error);
    } else {
        reply->result = message->rpc.result;
    }
}

enum rc_status rc_wait(struct rc_client *client, uint32_t msgid, struct rc_reply *reply)
{
    struct rc_message *message = dequeue(client, RPC_RESPONSE, msgid);
    enum rc_status status;

    while (message == NULL) {
        if ((status = read_message(client, -1, -1, &message)) != RC_OK)
            return status;
        if (message->rpc.kind != RPC_RESPONSE || message->rpc.msgid != msgid) {
            enqueue(client, message);
            message = NULL;
        }
    }
    fill_reply(message, reply);
    return RC_OK;
}

enum rc_status rc_call(struct rc_client *client, enum rpc_method method, const char *params,
                       size_t params_len, struct rc_reply *reply)
{
    uint32_t msgid;
    enum rc_status status = rc_send(client, method, params, params_len, &msgid);

    return status != RC_OK ? status : rc_wait(client, msgid, reply);
}

enum rc_status rc_next_notification(struct rc_client *client, int cancel_fd, int watch_fd,
                                    struct rc_notification *notification)
{
    struct rc_message *message = dequeue(client, RPC_NOTIFICATION, 0);
    enum rc_status status;

    while (message == NULL) {
        if ((status = read_message(client, cancel_fd, watch_fd, &message)) != RC_OK)
            return status;
        if (message->rpc.kind != RPC_NOTIFICATION) {
            enqueue(client, message);
            message = NULL;
        }
    }
    memset(notification, 0, sizeof *notification);
    notification->message = message;
    notification->method = message->rpc.method;
    notification->method_len = message->rpc.method_len;
    notification->params = message->rpc.params;
    return RC_OK;
}

void rc_reply_free(struct rc_reply *reply)
{
    message_free(reply->message);
    reply->message = NULL;
    reply->result = NULL;
}

void rc_notification_free(struct rc_notification *notification)
{
    message_free(notification->message);
    notification->message = NULL;
    notification->params = NULL;
}
