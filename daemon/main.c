/*
 * main.c — rollcalld's options, and the wiring: which file answers each hook
 * the lower files report through. The daemon's life is lifecycle.c's.
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

#include "dispatch.h"
#include "follow.h"
#include "lifecycle.h"
#include "log.h"
#include "paths.h"

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

int main(int argc, char **argv)
{
    static struct server server = {
        .hooks = {
            .request = dispatch_request,
            .writable = follow_pump,
            .closing = follow_stop,
            .durable = follow_pump_all,
            .failed = lifecycle_enter_read_only,
            .settled = lifecycle_settled,
        },
    };
    enum log_level level;

    parse_options(argc, argv, &server.config, &level);
    log_init(level);
    int status = lifecycle_run(&server);
    free(server.config.data_dir);
    free(server.config.socket_path);
    free(server.config.writers_group);
    log_info("stopped");
    return status;
}
