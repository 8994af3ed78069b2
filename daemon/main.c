/*
 * main.c — rollcalld: options, start-up (lock, recovery, socket, readiness)
 * and an orderly shutdown.
 *
 * Shutdown on SIGTERM/SIGINT: stop accepting; answer appends that arrive
 * from now on with `unavailable`; wait until every append already written is
 * durable and answered and no worker job runs; then let each connection send
 * what it owes and close; close the remaining handles; exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "paths.h"
#include "replay.h"
#include "rollcalld.h"
#include "systemd.h"

#define MAX_MESSAGE_MIN (4u << 10)
#define MAX_MESSAGE_MAX (64u << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rollcalld [--data-dir DIR] [--socket PATH] [--fsync always|never]\n"
            "                 [--writers-group NAME] [--socket-mode OCTAL]\n"
            "                 [--max-message BYTES] [--max-connections N]\n"
            "                 [--segment-size BYTES] [--log-level debug|info|warn|error]\n"
            "\n"
            "Keeps the append-only log of coalition events and serves membership over\n"
            "a Unix socket (MessagePack-RPC). Runs in the foreground, logs to stderr.\n"
            "\n"
            "  --data-dir DIR        the log's directory (env ROLLCALL_DATA; default\n"
            "                        /var/lib/rollcall as root, else\n"
            "                        $XDG_STATE_HOME/rollcall or ~/.local/state/rollcall)\n"
            "  --socket PATH         the socket (env ROLLCALL_SOCKET; default\n"
            "                        /run/rollcall/rollcall.sock as root, else\n"
            "                        $XDG_RUNTIME_DIR/rollcall.sock or\n"
            "                        /tmp/rollcall-$UID/rollcall.sock)\n"
            "  --fsync always|never  always (default): an append is answered only once it\n"
            "                        is on stable storage. never: for bulk loads and tests\n"
            "                        only -- acknowledged events are LOST on power loss\n"
            "  --writers-group NAME  members of this group may append too (besides root\n"
            "                        and the daemon's own user)\n"
            "  --socket-mode OCTAL   mode of the socket file (default 0660)\n"
            "  --max-message BYTES   largest request accepted (default %u)\n"
            "  --max-connections N   concurrent clients (default %u)\n"
            "  --segment-size BYTES  rotate log segments past this size (default %u)\n"
            "  --log-level LEVEL     debug, info (default), warn or error\n"
            "  --help, --version\n",
            RC_MAX_MESSAGE_DEFAULT, DEFAULT_MAX_CONNECTIONS, STORE_SEGMENT_SIZE_DEFAULT);
}

/* Parses an unsigned number in [min, max]; base 8 for modes. */
static bool parse_number(const char *text, int base, unsigned long long min, unsigned long long max,
                         unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, base);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static _Noreturn void bad_option(const char *option, const char *value, const char *expected)
{
    fprintf(stderr, "rollcalld: %s '%s': %s\n", option, value, expected);
    exit(2);
}

static void parse_options(int argc, char **argv, struct config *config, enum log_level *level)
{
    enum {
        OPT_DATA = 256,
        OPT_SOCKET,
        OPT_FSYNC,
        OPT_WRITERS,
        OPT_MODE,
        OPT_MAX_MESSAGE,
        OPT_MAX_CONN,
        OPT_SEGMENT,
        OPT_LOG,
        OPT_HELP,
        OPT_VERSION
    };
    static const struct option options[] = {
        { "data-dir", required_argument, NULL, OPT_DATA },
        { "socket", required_argument, NULL, OPT_SOCKET },
        { "fsync", required_argument, NULL, OPT_FSYNC },
        { "writers-group", required_argument, NULL, OPT_WRITERS },
        { "socket-mode", required_argument, NULL, OPT_MODE },
        { "max-message", required_argument, NULL, OPT_MAX_MESSAGE },
        { "max-connections", required_argument, NULL, OPT_MAX_CONN },
        { "segment-size", required_argument, NULL, OPT_SEGMENT },
        { "log-level", required_argument, NULL, OPT_LOG },
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    char path[PATH_MAX];
    unsigned long long n;
    int c;

    config->fsync = true;
    config->socket_mode = 0660;
    config->max_message = RC_MAX_MESSAGE_DEFAULT;
    config->max_connections = DEFAULT_MAX_CONNECTIONS;
    config->segment_size = STORE_SEGMENT_SIZE_DEFAULT;
    *level = LOG_LEVEL_INFO;

    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case OPT_DATA:
            free(config->data_dir);
            config->data_dir = strdup(optarg);
            break;
        case OPT_SOCKET:
            free(config->socket_path);
            config->socket_path = strdup(optarg);
            break;
        case OPT_FSYNC:
            if (strcmp(optarg, "always") != 0 && strcmp(optarg, "never") != 0)
                bad_option("--fsync", optarg, "use always or never");
            config->fsync = strcmp(optarg, "always") == 0;
            break;
        case OPT_WRITERS:
            free(config->writers_group);
            config->writers_group = strdup(optarg);
            break;
        case OPT_MODE:
            if (!parse_number(optarg, 8, 0, 0777, &n))
                bad_option("--socket-mode", optarg, "use an octal mode such as 0660");
            config->socket_mode = (mode_t)n;
            break;
        case OPT_MAX_MESSAGE:
            if (!parse_number(optarg, 10, MAX_MESSAGE_MIN, MAX_MESSAGE_MAX, &n))
                bad_option("--max-message", optarg, "use a byte count from 4096 to 67108864");
            config->max_message = (size_t)n;
            break;
        case OPT_MAX_CONN:
            if (!parse_number(optarg, 10, 1, 1000000, &n))
                bad_option("--max-connections", optarg, "use a number from 1 to 1000000");
            config->max_connections = (unsigned)n;
            break;
        case OPT_SEGMENT:
            if (!parse_number(optarg, 10, 4096, STORE_SEGMENT_SIZE_MAX, &n))
                bad_option("--segment-size", optarg, "use a byte count from 4096 to 1073741824");
            config->segment_size = n;
            break;
        case OPT_LOG:
            if (!log_level_from_name(optarg, level))
                bad_option("--log-level", optarg, "use debug, info, warn or error");
            break;
        case OPT_HELP:
            usage(stdout);
            exit(0);
        case OPT_VERSION:
            printf("rollcalld %s (protocol %d)\n", ROLLCALL_VERSION, RC_PROTOCOL_VERSION);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rollcalld: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        exit(2);
    }
    if (config->data_dir == NULL) {
        if (rc_default_data_dir(path, sizeof path) != 0) {
            fprintf(stderr, "rollcalld: no data dir: set --data-dir or ROLLCALL_DATA\n");
            exit(2);
        }
        config->data_dir = strdup(path);
    }
    if (config->socket_path == NULL) {
        if (rc_default_socket_path(path, sizeof path) != 0) {
            fprintf(stderr, "rollcalld: no socket path: set --socket or ROLLCALL_SOCKET\n");
            exit(2);
        }
        config->socket_path = strdup(path);
    }
    if (config->data_dir == NULL || config->socket_path == NULL) {
        fprintf(stderr, "rollcalld: out of memory\n");
        exit(1);
    }
    if (config->writers_group) {
        const struct group *group = getgrnam(config->writers_group);
        if (group == NULL) {
            fprintf(stderr, "rollcalld: --writers-group: no group named '%s'\n",
                    config->writers_group);
            exit(2);
        }
        config->writers_gid = group->gr_gid;
    }
}

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

/* ---- shutdown --------------------------------------------------------------- */

void server_enter_read_only(struct server *server, const char *why)
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

void server_maybe_finish_shutdown(struct server *server)
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
    server_maybe_finish_shutdown(server);
}

static void close_any(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

int main(int argc, char **argv)
{
    static struct server server;
    static uv_loop_t loop;
    enum log_level level;
    char status[128];
    int rc;

    parse_options(argc, argv, &server.config, &level);
    log_init(level);
    server.started_us = rc_now_us();
    TAILQ_INIT(&server.conns);
    commit_init(&server);
    if ((rc = uv_loop_init(&loop)) != 0)
        fatalx("uv_loop_init: %s", uv_strerror(rc));
    server.loop = &loop;

    recover(&server);
    if (!listen_start(&server))
        exit(1);
    server.sigterm.data = server.sigint.data = &server;
    if (uv_signal_init(&loop, &server.sigterm) != 0 || uv_signal_init(&loop, &server.sigint) != 0 ||
        uv_signal_start(&server.sigterm, on_signal, SIGTERM) != 0 ||
        uv_signal_start(&server.sigint, on_signal, SIGINT) != 0)
        fatalx("cannot install signal handlers");

    snprintf(status, sizeof status, "READY=1\nSTATUS=serving %llu events",
             (unsigned long long)server.durable_head);
    if (notify_systemd(status) != 0)
        log_warn("notifying systemd");
    log_info("ready: %llu events, data dir %s", (unsigned long long)server.durable_head,
             server.config.data_dir);

    uv_run(&loop, UV_RUN_DEFAULT);

    /* Every handle should be closed by now; close stragglers to be sure. */
    uv_walk(&loop, close_any, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if ((rc = uv_loop_close(&loop)) != 0)
        log_error("uv_loop_close: %s", uv_strerror(rc));

    store_close(server.store);
    membership_free(server.membership);
    free(server.config.data_dir);
    free(server.config.socket_path);
    free(server.config.writers_group);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
