/*
 * lifecycle.c — the daemon's life: recover the log into the projection,
 * serve, turn read-only after a failed write or sync, drain on SIGTERM or
 * SIGINT, shut down.
 *
 * Shutdown: stop accepting; answer appends that arrive from now on with
 * `unavailable`; wait until every append already written is durable and
 * answered and no worker job runs; then let each connection send what it
 * owes and close; close the remaining handles; return.
 *
 * The files below learn nothing of this one: they report through the hooks
 * in struct server (failed, settled), which main.c points here.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commit.h"
#include "lifecycle.h"
#include "listen.h"
#include "log.h"
#include "replay.h"
#include "systemd.h"

/* mkdir -p, the data dir itself private to the daemon's user. */
static void make_data_dir(const char *dir)
{
    char path[PATH_MAX];

    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        fatalx("data dir path too long: %s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            fatal("creating %s", path);
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        fatal("creating the data dir %s", path);
}

/* ---- store and recovery --------------------------------------------------- */

static void store_logger(void *ctx, enum store_log_level level, const char *message)
{
    (void)ctx;
    switch (level) {
    case STORE_LOG_ERROR:
        log_error("store: %s", message);
        break;
    case STORE_LOG_WARN:
        log_warnx("store: %s", message);
        break;
    case STORE_LOG_INFO:
        log_info("store: %s", message);
        break;
    case STORE_LOG_DEBUG:
        log_debug("store: %s", message);
        break;
    }
}

static void recover(struct server *server)
{
    const struct config *config = &server->config;
    struct store_options options = {
        .segment_size = config->segment_size,
        .sync = config->fsync,
        .log = store_logger,
    };
    struct store_recovery found;
    struct store_error err;
    char why[512];

    make_data_dir(config->data_dir);
    if (store_open(config->data_dir, &options, &server->store, &found, &err) != 0)
        fatalx("cannot open the log in %s: %s", config->data_dir, err.message);
    if ((server->membership = membership_new()) == NULL)
        fatalx("out of memory");

    int64_t start = rc_now_us();
    if (replay_log(server->store, server->membership, &server->commit.last_recorded, why,
                   sizeof why) != 0)
        fatalx("the log in %s is damaged at %s; refusing to serve it "
               "(inspect it with a copy of the data dir)",
               config->data_dir, why);
    server->durable_head = membership_head(server->membership);
    log_info("recovered %llu events from %llu segments (%llu bytes) in %.3f s + %.3f s replay; "
             "torn tail dropped: %llu bytes",
             (unsigned long long)found.records, (unsigned long long)found.segments,
             (unsigned long long)found.bytes, found.seconds, (rc_now_us() - start) / 1e6,
             (unsigned long long)found.truncated_bytes);
    if (!config->fsync)
        log_warnx("--fsync never: acknowledged events will be lost on power loss");
}

/* ---- read-only and shutdown --------------------------------------------------------------- */

void lifecycle_enter_read_only(struct server *server, const char *why)
{
    char status[sizeof server->last_error + 32];

    if (server->read_only)
        return;
    server->read_only = true;
    snprintf(server->last_error, sizeof server->last_error, "%s", why);
    log_error("the log is read-only from now on: %s", why);
    snprintf(status, sizeof status, "STATUS=read-only: %s", why);
    notify_systemd(status);
}

void lifecycle_settled(struct server *server)
{
    struct conn *conn, *next;

    if (!server->shutting_down || !commit_idle(server) || server->jobs_in_flight > 0)
        return;
    for (conn = TAILQ_FIRST(&server->conns); conn != NULL; conn = next) {
        next = TAILQ_NEXT(conn, entry);
        conn_drain(conn);
    }
    if (TAILQ_EMPTY(&server->conns)) {
        if (!uv_is_closing((uv_handle_t *)&server->sigterm)) {
            uv_close((uv_handle_t *)&server->sigterm, NULL);
            uv_close((uv_handle_t *)&server->sigint, NULL);
        }
    }
}

static void on_signal(uv_signal_t *handle, int signum)
{
    struct server *server = handle->data;

    if (server->shutting_down)
        return;
    log_info("%s: shutting down", strsignal(signum));
    notify_systemd("STOPPING=1");
    server->shutting_down = true;
    listen_stop(server);
    lifecycle_settled(server);
}

static void close_any(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

int lifecycle_run(struct server *server)
{
    static uv_loop_t loop;
    char status[128];
    int rc;

    server->started_us = rc_now_us();
    TAILQ_INIT(&server->conns);
    commit_init(server);
    if ((rc = uv_loop_init(&loop)) != 0)
        fatalx("uv_loop_init: %s", uv_strerror(rc));
    server->loop = &loop;

    recover(server);
    if (!listen_start(server))
        exit(1);
    server->sigterm.data = server->sigint.data = server;
    if (uv_signal_init(&loop, &server->sigterm) != 0 ||
        uv_signal_init(&loop, &server->sigint) != 0 ||
        uv_signal_start(&server->sigterm, on_signal, SIGTERM) != 0 ||
        uv_signal_start(&server->sigint, on_signal, SIGINT) != 0)
        fatalx("cannot install signal handlers");

    snprintf(status, sizeof status, "READY=1\nSTATUS=serving %llu events",
             (unsigned long long)server->durable_head);
    if (notify_systemd(status) != 0)
        log_warn("notifying systemd");
    log_info("ready: %llu events, data dir %s", (unsigned long long)server->durable_head,
             server->config.data_dir);

    uv_run(&loop, UV_RUN_DEFAULT);

    /* Every handle should be closed by now; close stragglers to be sure. */
    uv_walk(&loop, close_any, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if ((rc = uv_loop_close(&loop)) != 0)
        log_error("uv_loop_close: %s", uv_strerror(rc));

    store_close(server->store);
    membership_free(server->membership);
    return rc == 0 ? 0 : 1;
}
