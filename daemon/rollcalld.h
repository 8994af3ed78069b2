/*
 * rollcalld.h — the daemon's shared structures: configuration, the server
 * context and its hooks, connections, and what conn.c offers the files
 * above it. Each other file's calls are in its own header.
 *
 * One libuv loop thread owns everything here. The only other threads are
 * libuv's workers, which run store_sync and store_verify and touch nothing
 * but the store (which guards itself) and their own job structs.
 */
#ifndef ROLLCALLD_H
#define ROLLCALLD_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <uv.h>

#include "membership.h"
#include "protocol.h"
#include "rpc.h"
#include "store.h"

#define DEFAULT_MAX_CONNECTIONS 1024
/* A connection stops being read while this much output waits for it. */
#define CONN_OUTBOUND_MAX (16u << 20)
/* ...or while this many of its appends wait for durability. */
#define CONN_PENDING_APPENDS_MAX 256

struct config {
    char *data_dir;
    char *socket_path;
    bool fsync;          /* --fsync always (true) | never */
    char *writers_group; /* NULL: only the daemon's uid and root may write */
    gid_t writers_gid;
    mode_t socket_mode;
    size_t max_message;
    unsigned max_connections;
    uint64_t segment_size;
};

struct conn;
struct append_job;
TAILQ_HEAD(conn_list, conn);
TAILQ_HEAD(append_queue, append_job);

/* Group commit: see commit.c. */
struct commit {
    struct append_queue waiting; /* written, answered once durable */
    bool syncing;                /* a store_sync runs on a worker */
    uv_work_t work;
    int sync_status;
    struct store_error sync_error;
    int64_t last_recorded; /* recorded never decreases along seq */
};

struct server;

/*
 * How the files below report to the ones above without calling up into
 * them; main.c says who answers each. Loop thread only.
 */
struct server_hooks {
    /* A complete request arrived on conn. */
    void (*request)(struct conn *conn, const struct rpc_message *message);
    /* conn's socket took everything queued so far. */
    void (*writable)(struct conn *conn);
    /* conn is closing: drop what it was subscribed to. */
    void (*closing)(struct conn *conn);
    /* durable_head moved. */
    void (*durable)(struct server *server);
    /* A write or sync failed: the log must turn read-only. */
    void (*failed)(struct server *server, const char *why);
    /* Something shutdown waits for (an append, a job, a conn) may be done. */
    void (*settled)(struct server *server);
};

struct server {
    struct server_hooks hooks;
    uv_loop_t *loop;
    struct config config;
    struct store *store;
    struct membership *membership;
    /* Readers see events 1..durable_head only: acknowledged means visible. */
    uint64_t durable_head;

    uv_pipe_t listener;
    bool socket_activated;
    bool own_socket_file; /* we bound it, so we unlink it on exit */
    uv_signal_t sigterm, sigint;

    struct conn_list conns;
    unsigned conn_count;
    unsigned follower_count;
    unsigned jobs_in_flight; /* worker jobs (verify) besides the commit */

    struct commit commit;
    bool read_only;
    char last_error[256];
    bool shutting_down;
    int64_t started_us;
};

/* ---- conn.c -------------------------------------------------------------- */

struct follow {
    bool active;
    uint64_t next_seq; /* next event to consider */
    bool caught_up;    /* everything durable was queued: new events are pushed */
    char *coalition;   /* NULL: every coalition */
};

struct conn {
    uv_pipe_t pipe; /* first: libuv callbacks hand us the handle */
    struct server *server;
    TAILQ_ENTRY(conn) entry;
    struct rpc_reader reader;
    uid_t uid;
    gid_t gid;
    pid_t pid;
    bool writer;
    char peer[48]; /* "pid 12 uid 1000", for logs */

    unsigned refs;   /* the handle + every job that will answer later */
    bool closing;    /* close requested: answers are dropped */
    bool reading;    /* uv_read_start is in effect */
    bool draining;   /* answer what is buffered, then close */
    size_t outbound; /* bytes handed to uv_write, not yet written */
    unsigned pending_appends;
    struct follow follow;
};

void conn_accept(struct server *server);
/* Queues bytes for the peer; takes ownership of data (malloc'd). */
void conn_send(struct conn *conn, char *data, size_t len);
/* Packs and sends an error response. extra: field/index/seq/head may be unset. */
struct rpc_error_detail {
    const char *field; /* NULL: none */
    bool has_index;
    size_t index;
    uint64_t seq; /* 0: none */
    bool has_head;
    uint64_t head;
};
void conn_reply_error(struct conn *conn, uint32_t msgid, enum rpc_error code,
                      const struct rpc_error_detail *detail, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Sends a packed buffer (moved out of sbuf) to the peer. */
void conn_send_sbuffer(struct conn *conn, msgpack_sbuffer *sbuf);
/*
 * A result answer being packed into pk. conn_result_begin packs the result
 * header; conn_result_send sends the answer, or `internal` instead when
 * failed is non-zero (packing fails only for want of memory). Callers pack
 * with `failed |= ...` and send once.
 */
struct reply {
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    uint32_t msgid;
};
int conn_result_begin(struct reply *reply, uint32_t msgid);
void conn_result_send(struct conn *conn, struct reply *reply, int failed);
void conn_ref(struct conn *conn);
void conn_unref(struct conn *conn);
/* Closes now; pending answers are dropped. */
void conn_close(struct conn *conn);
/* Answers what is already buffered, flushes, then closes (shutdown). */
void conn_drain(struct conn *conn);
/* Starts or stops reading as the backpressure limits say. */
void conn_update_reading(struct conn *conn);
/* An append of conn's was answered (or dropped): resume, drain, unref. */
void conn_append_done(struct conn *conn);

#endif
