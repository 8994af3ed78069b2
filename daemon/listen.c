/*
 * listen.c — the listening socket: adopted from systemd, or bound at the
 * configured path (creating its directory, replacing a dead daemon's stale
 * socket file, refusing to steal a live one's).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "systemd.h"

static void on_connection(uv_stream_t *listener, int status)
{
    struct server *server = listener->data;

    if (status < 0) {
        log_warnx("accept: %s", uv_strerror(status));
        return;
    }
    conn_accept(server);
}

/* mkdir -p for the socket's directory; the last component gets mode. */
static int make_parent_dirs(const char *path, mode_t mode)
{
    char dir[sizeof((struct sockaddr_un *)0)->sun_path];
    char *slash;

    snprintf(dir, sizeof dir, "%s", path);
    if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(dir, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/*
 * A socket file already at path: if a daemon answers there, refuse; if
 * nobody does, it is a dead daemon's leftover and is removed.
 */
static bool clear_stale_socket(const char *path)
{
    struct sockaddr_un addr;
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT || (log_warn("%s", path), false);
    if (!S_ISSOCK(st.st_mode)) {
        log_error("%s exists and is not a socket; not replacing it", path);
        return false;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_warn("socket");
        return false;
    }
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    int saved = errno;
    close(fd);
    if (rc == 0) {
        log_error("another daemon is listening on %s", path);
        return false;
    }
    if (saved != ECONNREFUSED) {
        errno = saved;
        log_warn("checking the existing socket %s", path);
        return false;
    }
    log_info("removing the stale socket %s", path);
    if (unlink(path) != 0 && errno != ENOENT) {
        log_warn("unlink %s", path);
        return false;
    }
    return true;
}

static bool bind_path(struct server *server)
{
    const struct config *config = &server->config;
    const char *path = config->socket_path;

    if (strlen(path) >= sizeof((struct sockaddr_un *)0)->sun_path) {
        log_error("socket path too long (at most %zu bytes): %s",
                  sizeof((struct sockaddr_un *)0)->sun_path - 1, path);
        return false;
    }
    /* A private default under /tmp must be ours alone; elsewhere 0755 is usual. */
    if (make_parent_dirs(path, strncmp(path, "/tmp/", 5) == 0 ? 0700 : 0755) != 0) {
        log_warn("creating the directory of %s", path);
        return false;
    }
    if (!clear_stale_socket(path))
        return false;

    /* The socket file is born with its final mode: no window with a wider one. */
    mode_t old_umask = umask(0777 & ~config->socket_mode);
    int rc = uv_pipe_bind(&server->listener, path);
    umask(old_umask);
    if (rc != 0) {
        log_error("bind %s: %s", path, uv_strerror(rc));
        return false;
    }
    server->own_socket_file = true;
    if (chmod(path, config->socket_mode) != 0) {
        log_warn("chmod %s", path);
        return false;
    }
    return true;
}

bool listen_start(struct server *server)
{
    const char *activation_error;
    int fd = activation_socket(&activation_error);
    int rc;

    if (activation_error) {
        log_error("%s", activation_error);
        return false;
    }
    if ((rc = uv_pipe_init(server->loop, &server->listener, 0)) != 0) {
        log_error("uv_pipe_init: %s", uv_strerror(rc));
        return false;
    }
    server->listener.data = server;
    if (fd >= 0) {
        server->socket_activated = true;
        if ((rc = uv_pipe_open(&server->listener, fd)) != 0) {
            log_error("adopting the socket from systemd: %s", uv_strerror(rc));
            return false;
        }
        log_info("listening on the socket passed by systemd");
    } else if (!bind_path(server)) {
        return false;
    }
    if ((rc = uv_listen((uv_stream_t *)&server->listener, 128, on_connection)) != 0) {
        log_error("listen: %s", uv_strerror(rc));
        return false;
    }
    if (!server->socket_activated)
        log_info("listening on %s", server->config.socket_path);
    return true;
}

void listen_stop(struct server *server)
{
    if (!uv_is_closing((uv_handle_t *)&server->listener))
        uv_close((uv_handle_t *)&server->listener, NULL);
    /* A socket systemd gave us stays: systemd owns it and its file. */
    if (server->own_socket_file && unlink(server->config.socket_path) != 0 && errno != ENOENT)
        log_warn("unlink %s", server->config.socket_path);
    server->own_socket_file = false;
}
