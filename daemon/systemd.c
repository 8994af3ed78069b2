/*
 * systemd.c — sd_notify and sd_listen_fds, as documented protocols.
 */
#include "systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_FDS_START 3

int notify_systemd(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr;
    size_t path_len;

    if (path == NULL || path[0] == '\0')
        return 0;
    path_len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || path_len >= sizeof addr.sun_path)
        return -1;

    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, path_len);
    if (path[0] == '@')
        addr.sun_path[0] = '\0'; /* an abstract socket */

    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);
    ssize_t sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return sent < 0 ? -1 : 0;
}

int activation_socket(const char **error)
{
    const char *pid_text = getenv("LISTEN_PID");
    const char *fds_text = getenv("LISTEN_FDS");
    char *end;

    *error = NULL;
    if (pid_text == NULL || fds_text == NULL)
        return -1;

    errno = 0;
    long pid = strtol(pid_text, &end, 10);
    if (errno != 0 || *end != '\0' || pid != (long)getpid())
        return -1; /* meant for another process */
    long count = strtol(fds_text, &end, 10);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (*end != '\0' || count != 1) {
        *error = "socket activation must pass exactly one socket (LISTEN_FDS=1)";
        return -1;
    }

    int fd = LISTEN_FDS_START;
    struct stat st;
    int type = 0;
    socklen_t len = sizeof type;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
        *error = "the socket passed by systemd is not a stream socket";
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}
