/*
 * conn.c — one client connection: accepting, reading and framing requests,
 * writing answers (results through conn_result_begin/send, errors through
 * conn_reply_error: the only reply path), backpressure, and closing.
 *
 * Lifetime: a conn is freed when its handle is closed and no job still holds
 * a reference (an append waiting for fdatasync, a verify on a worker). A job
 * that finishes after the peer left finds conn->closing set and drops its
 * answer; it never touches a freed conn.
 *
 * Nothing a peer sends can stop the daemon: a message that is not msgpack, not
 * a request, or over the size limit gets at most one error answer and the
 * connection is closed; every other peer carries on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "rollcalld.h"

#define READ_CHUNK (64u << 10)

struct write_req {
    uv_write_t req;
    struct conn *conn;
    char *data;
    size_t len;
};

static void process_buffered(struct conn *conn);
static void check_drained(struct conn *conn);

/* ---- lifetime ------------------------------------------------------------- */

void conn_ref(struct conn *conn)
{
    conn->refs++;
}

void conn_unref(struct conn *conn)
{
    if (--conn->refs > 0)
        return;
    rpc_reader_destroy(&conn->reader);
    free(conn->follow.coalition);
    free(conn);
}

static void on_close(uv_handle_t *handle)
{
    struct conn *conn = (struct conn *)handle;
    struct server *server = conn->server;
    conn_unref(conn);
    server->hooks.settled(server);
}

void conn_close(struct conn *conn)
{
    struct server *server = conn->server;

    if (conn->closing)
        return;
    conn->closing = true;
    server->hooks.closing(conn);
    TAILQ_REMOVE(&server->conns, conn, entry);
    server->conn_count--;
    log_debug("%s: connection closed", conn->peer);
    uv_close((uv_handle_t *)&conn->pipe, on_close);
}

/* ---- peer credentials -------------------------------------------------- */

/* The peer's supplementary groups include gid (SO_PEERGROUPS, Linux 4.13+). */
static bool peer_in_group(int fd, gid_t gid)
{
    gid_t fixed[64], *groups = fixed;
    socklen_t len = sizeof fixed;
    bool found = false;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
        if (errno != ERANGE)
            return false;
        if ((groups = malloc(len)) == NULL)
            return false;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
            free(groups);
            return false;
        }
    }
    for (size_t i = 0; i < len / sizeof(gid_t); i++)
        found = found || groups[i] == gid;
    if (groups != fixed)
        free(groups);
    return found;
}

/* Who is on the other end, and may they append? (protocol.md, "Who may write") */
static bool read_peer(struct conn *conn)
{
    const struct config *config = &conn->server->config;
    struct ucred cred;
    socklen_t len = sizeof cred;
    uv_os_fd_t fd;

    if (uv_fileno((uv_handle_t *)&conn->pipe, &fd) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        log_warn("%s: SO_PEERCRED", __func__);
        return false;
    }
    conn->uid = cred.uid;
    conn->gid = cred.gid;
    conn->pid = cred.pid;
    snprintf(conn->peer, sizeof conn->peer, "pid %ld uid %lu", (long)cred.pid,
             (unsigned long)cred.uid);
    conn->writer = cred.uid == 0 || cred.uid == geteuid();
    if (!conn->writer && config->writers_group)
        conn->writer = cred.gid == config->writers_gid || peer_in_group(fd, config->writers_gid);
    return true;
}

/* ---- reading -------------------------------------------------------------- */

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct conn *conn = (struct conn *)handle;
    size_t room = 0;
    char *base;

    (void)suggested;
    base = rpc_reader_buffer(&conn->reader, READ_CHUNK, &room);
    /* A NULL base makes libuv report UV_ENOBUFS to on_read, which closes. */
    *buf = uv_buf_init(base, base ? (unsigned)(room > UINT32_MAX ? UINT32_MAX : room) : 0);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *conn = (struct conn *)stream;

    (void)buf;
    if (nread > 0) {
        rpc_reader_consumed(&conn->reader, (size_t)nread);
        process_buffered(conn);
        return;
    }
    if (nread == 0)
        return; /* EAGAIN */
    if (nread == UV_EOF) {
        /* The peer may have only shut its sending side: answer, then close. */
        conn_drain(conn);
        return;
    }
    if (nread == UV_ENOBUFS)
        log_warnx("%s: out of memory for the read buffer", conn->peer);
    else
        log_debug("%s: read: %s", conn->peer, uv_strerror((int)nread));
    conn_close(conn);
}

void conn_update_reading(struct conn *conn)
{
    bool want = !conn->closing && !conn->draining && conn->outbound < CONN_OUTBOUND_MAX &&
                conn->pending_appends < CONN_PENDING_APPENDS_MAX;

    if (want && !conn->reading) {
        if (uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read) != 0) {
            conn_close(conn);
            return;
        }
        conn->reading = true;
        /* Requests that arrived before we paused are still buffered. */
        process_buffered(conn);
    } else if (!want && conn->reading) {
        uv_read_stop((uv_stream_t *)&conn->pipe);
        conn->reading = false;
    }
}

/* Refuses the rest of the stream: one error answer, then close once it is sent. */
static void refuse_stream(struct conn *conn, uint32_t msgid, enum rpc_error code, const char *why)
{
    log_warnx("%s: %s; closing the connection", conn->peer, why);
    conn_reply_error(conn, msgid, code, NULL, "%s", why);
    conn->draining = true;
    conn_update_reading(conn);
}

/* Handles every complete message in the buffer, as far as backpressure allows. */
static void process_buffered(struct conn *conn)
{
    msgpack_unpacked unpacked;
    char why[96];

    msgpack_unpacked_init(&unpacked);
    while (!conn->closing) {
        if (!conn->draining && (conn->outbound >= CONN_OUTBOUND_MAX ||
                                conn->pending_appends >= CONN_PENDING_APPENDS_MAX))
            break; /* resumed by conn_update_reading once answers drain */

        enum rpc_read r = rpc_reader_next(&conn->reader, &unpacked);
        if (r == RPC_READ_NEED_MORE)
            break;
        if (r == RPC_READ_TOO_LARGE) {
            snprintf(why, sizeof why, "message over the %zu-byte limit",
                     conn->server->config.max_message);
            refuse_stream(conn, rpc_reader_peek_msgid(&conn->reader), RPC_TOO_LARGE, why);
            break;
        }
        if (r == RPC_READ_INVALID) {
            refuse_stream(conn, 0, RPC_BAD_REQUEST, "not a MessagePack-RPC message");
            break;
        }
        if (r == RPC_READ_NOMEM) {
            log_warnx("%s: out of memory decoding a message", conn->peer);
            conn_close(conn);
            break;
        }

        struct rpc_message message;
        const char *problem;
        if (!rpc_parse(&unpacked.data, &message, &problem)) {
            if (message.kind == RPC_REQUEST && message.method != NULL) {
                /* A request with bad params: answer it and carry on. */
                conn_reply_error(conn, message.msgid, RPC_BAD_REQUEST, NULL, "%s", problem);
                continue;
            }
            refuse_stream(conn, message.msgid, RPC_BAD_REQUEST, problem);
            break;
        }
        if (message.kind != RPC_REQUEST) {
            refuse_stream(conn, 0, RPC_BAD_REQUEST, "only requests may be sent to the daemon");
            break;
        }
        conn->server->hooks.request(conn, &message);
    }
    msgpack_unpacked_destroy(&unpacked);
    if (!conn->closing)
        check_drained(conn);
}

/* ---- writing -------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct conn *conn = w->conn;

    conn->outbound -= w->len;
    free(w->data);
    free(w);
    if (status < 0) {
        if (status != UV_ECANCELED)
            log_debug("%s: write: %s", conn->peer, uv_strerror(status));
        conn_close(conn);
    } else if (!conn->closing) {
        conn->server->hooks.writable(conn);
        conn_update_reading(conn);
        check_drained(conn);
    }
    conn_unref(conn);
}

void conn_send(struct conn *conn, char *data, size_t len)
{
    struct write_req *w;

    if (conn->closing || len == 0) {
        free(data);
        return;
    }
    if ((w = malloc(sizeof *w)) == NULL) {
        free(data);
        log_warnx("%s: out of memory queueing an answer", conn->peer);
        conn_close(conn);
        return;
    }
    w->conn = conn;
    w->data = data;
    w->len = len;
    uv_buf_t buf = uv_buf_init(data, (unsigned)len);
    int rc = uv_write(&w->req, (uv_stream_t *)&conn->pipe, &buf, 1, on_write);
    if (rc != 0) {
        free(data);
        free(w);
        log_debug("%s: write: %s", conn->peer, uv_strerror(rc));
        conn_close(conn);
        return;
    }
    conn->outbound += len;
    conn_ref(conn); /* the write callback may run after the handle closed */
}

void conn_send_sbuffer(struct conn *conn, msgpack_sbuffer *sbuf)
{
    size_t len = sbuf->size;
    char *data = msgpack_sbuffer_release(sbuf);
    conn_send(conn, data, len);
}

int conn_result_begin(struct reply *reply, uint32_t msgid)
{
    msgpack_sbuffer_init(&reply->sbuf);
    msgpack_packer_init(&reply->pk, &reply->sbuf, msgpack_sbuffer_write);
    reply->msgid = msgid;
    return rpc_pack_result_header(&reply->pk, msgid);
}

void conn_result_send(struct conn *conn, struct reply *reply, int failed)
{
    if (failed != 0) {
        msgpack_sbuffer_destroy(&reply->sbuf);
        conn_reply_error(conn, reply->msgid, RPC_INTERNAL, NULL,
                         "out of memory packing the result");
        return;
    }
    conn_send_sbuffer(conn, &reply->sbuf);
}

void conn_reply_error(struct conn *conn, uint32_t msgid, enum rpc_error code,
                      const struct rpc_error_detail *detail, const char *fmt, ...)
{
    static const struct rpc_error_detail none = { 0 };
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    char message[512];
    va_list ap;
    int rc;

    if (detail == NULL)
        detail = &none;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (code == RPC_INTERNAL)
        log_error("%s: msgid %u: internal error: %s", conn->peer, msgid, message);

    size_t extra =
        (detail->field != NULL) + detail->has_index + (detail->seq != 0) + detail->has_head;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    rc = rpc_pack_error_begin(&pk, msgid, code, message, extra);
    if (rc == 0 && detail->field)
        rc = mp_pack_key(&pk, RC_KEY_FIELD) || mp_pack_str(&pk, detail->field);
    if (rc == 0 && detail->has_index)
        rc = mp_pack_key(&pk, RC_KEY_INDEX) || msgpack_pack_uint64(&pk, detail->index);
    if (rc == 0 && detail->seq != 0)
        rc = mp_pack_key(&pk, RC_KEY_SEQ) || msgpack_pack_uint64(&pk, detail->seq);
    if (rc == 0 && detail->has_head)
        rc = mp_pack_key(&pk, RC_KEY_HEAD) || msgpack_pack_uint64(&pk, detail->head);
    if (rc == 0)
        rc = rpc_pack_error_end(&pk);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sbuf);
        log_warnx("%s: out of memory packing an error", conn->peer);
        conn_close(conn);
        return;
    }
    conn_send_sbuffer(conn, &sbuf);
}

/* ---- draining and accepting ------------------------------------------------ */

static void check_drained(struct conn *conn)
{
    if (conn->draining && !conn->closing && conn->outbound == 0 && conn->pending_appends == 0)
        conn_close(conn);
}

void conn_append_done(struct conn *conn)
{
    conn->pending_appends--;
    if (!conn->closing) {
        conn_update_reading(conn);
        check_drained(conn);
    }
    conn_unref(conn);
}

void conn_drain(struct conn *conn)
{
    if (conn->closing || conn->draining)
        return;
    conn->draining = true;
    conn_update_reading(conn);
    process_buffered(conn);
}

/* Close callback for a conn that failed before it was set up. */
static void free_unready_conn(uv_handle_t *handle)
{
    free((struct conn *)handle);
}

void conn_accept(struct server *server)
{
    struct conn *conn = calloc(1, sizeof *conn);

    if (conn == NULL) {
        log_warnx("%s: out of memory", __func__);
        return;
    }
    conn->server = server;
    conn->refs = 1; /* the handle's */
    if (uv_pipe_init(server->loop, &conn->pipe, 0) != 0) {
        free(conn);
        return;
    }
    if (!rpc_reader_init(&conn->reader, server->config.max_message)) {
        uv_close((uv_handle_t *)&conn->pipe, free_unready_conn);
        return;
    }
    TAILQ_INSERT_TAIL(&server->conns, conn, entry);
    server->conn_count++;
    snprintf(conn->peer, sizeof conn->peer, "a peer");

    if (uv_accept((uv_stream_t *)&server->listener, (uv_stream_t *)&conn->pipe) != 0 ||
        !read_peer(conn)) {
        conn_close(conn);
        return;
    }
    if (server->conn_count > server->config.max_connections || server->shutting_down) {
        log_warnx("%s: refused: %s", conn->peer,
                  server->shutting_down ? "shutting down" : "too many connections");
        conn_close(conn);
        return;
    }
    log_debug("%s: connected%s", conn->peer, conn->writer ? " (writer)" : "");
    conn_update_reading(conn);
}
