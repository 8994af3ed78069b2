/*
 * paths.h — where rollcall lives when nobody says otherwise (cli.md,
 * "Defaults that work with no flags"). Shared by both programs so that a
 * client with no flags always finds a daemon started with none.
 */
#ifndef ROLLCALL_PATHS_H
#define ROLLCALL_PATHS_H

#include <stddef.h>

#define RC_ENV_SOCKET "ROLLCALL_SOCKET"
#define RC_ENV_DATA   "ROLLCALL_DATA"

/*
 * The socket path: $ROLLCALL_SOCKET if set, else /run/rollcall/rollcall.sock
 * for root, else $XDG_RUNTIME_DIR/rollcall.sock, else
 * /tmp/rollcall-$UID/rollcall.sock. Returns 0, or -1 if it doesn't fit.
 */
int rc_default_socket_path(char *buf, size_t size);

/*
 * The data dir: $ROLLCALL_DATA if set, else /var/lib/rollcall for root, else
 * $XDG_STATE_HOME/rollcall, else ~/.local/state/rollcall. Returns 0, or -1 if
 * it doesn't fit or no home directory is known.
 */
int rc_default_data_dir(char *buf, size_t size);

#endif
