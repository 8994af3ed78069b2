/*
 * main.c — rollcall, the client of rollcalld.
 *
 * Parses the command line, finds the socket (cli.md's defaults), connects,
 * and runs the command. Exit codes are cli.md's, listed in cli.h.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "paths.h"
#include "rcclient.h"

/*
 * follow runs until SIGINT or SIGTERM. The signals are blocked and read from
 * a signalfd that the wait for the next event polls: no handler, no race
 * between checking a flag and blocking in poll.
 */
static int interrupt_fd(void)
{
    sigset_t mask;

    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0)
        return -1;
    return signalfd(-1, &mask, SFD_CLOEXEC);
}

static int no_daemon(const char *path, const struct rc_client *client, bool from_option,
                     enum rc_status status)
{
    if (status != RC_NO_DAEMON) {
        fprintf(stderr, "rollcall: can't connect to %s: %s\n", path, client->why);
        return EXIT_NO_DAEMON;
    }
    if (from_option)
        fprintf(stderr, "rollcall: no daemon at %s (start one with: rollcalld --socket %s)\n", path,
                path);
    else
        fprintf(stderr, "rollcall: no daemon at %s (start one with: rollcalld)\n", path);
    return EXIT_NO_DAEMON;
}

int main(int argc, char **argv)
{
    struct cli_options opts;
    struct rc_client client;
    char path[PATH_MAX];
    int rc;

    /* A closed pipe is an error to handle where it happens, not a death. */
    signal(SIGPIPE, SIG_IGN);

    if ((rc = cli_parse(argc, argv, &opts)) != EXIT_OK) {
        fprintf(stderr, "rollcall: %s\nTry 'rollcall %s%s--help'.\n", opts.error,
                opts.command ? cli_command_name(opts.command) : "", opts.command ? " " : "");
        return rc;
    }
    if (opts.action == ACTION_VERSION) {
        printf("rollcall %s (protocol %d)\n", ROLLCALL_VERSION, RC_PROTOCOL_VERSION);
        return EXIT_OK;
    }
    if (opts.action == ACTION_HELP) {
        cli_help(opts.command, stdout);
        return EXIT_OK;
    }

    if (opts.socket) {
        if (strlen(opts.socket) >= sizeof path) {
            fprintf(stderr, "rollcall: --socket: path too long\n");
            return EXIT_USAGE;
        }
        strcpy(path, opts.socket);
    } else if (rc_default_socket_path(path, sizeof path) != 0) {
        fprintf(stderr, "rollcall: the default socket path is too long: use --socket PATH\n");
        return EXIT_USAGE;
    }

    struct session session = {
        .client = &client,
        .opts = &opts,
        .format = opts.format,
        .out = stdout,
        .err = stderr,
        .socket_path = path,
        .cancel_fd = -1,
        .watch_fd = -1,
    };
    if (session.format == FORMAT_DEFAULT)
        session.format = isatty(STDOUT_FILENO) ? FORMAT_TABLE : FORMAT_TSV;
    if (opts.command == CMD_FOLLOW) {
        if ((session.cancel_fd = interrupt_fd()) < 0) {
            fprintf(stderr, "rollcall: signalfd: %s\n", strerror(errno));
            return EXIT_ERROR;
        }
        session.watch_fd = STDOUT_FILENO;
    }

    enum rc_status status = rc_connect(&client, path);
    if (status != RC_OK) {
        rc = no_daemon(path, &client, opts.socket != NULL, status);
    } else {
        rc = command_run(&session);
        rc_close(&client);
    }
    if (session.cancel_fd >= 0)
        close(session.cancel_fd);
    /* Output already flushed by the command; a late failure must not go unseen. */
    if (fclose(stdout) != 0 && errno != EPIPE && rc == EXIT_OK) {
        fprintf(stderr, "rollcall: writing the output: %s\n", strerror(errno));
        rc = EXIT_ERROR;
    }
    return rc;
}
