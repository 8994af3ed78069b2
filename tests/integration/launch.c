/*
 * launch.c — starts a daemon the way systemd would for Type=notify, for the
 * integration tests:
 *
 *   rollcall-launch READY_FILE [MESSAGES_FILE] -- COMMAND [ARG...]
 *
 * Binds a datagram socket, runs COMMAND with NOTIFY_SOCKET pointing at it,
 * and when a datagram containing READY=1 arrives writes the child's pid and a
 * newline to READY_FILE (usually a fifo the test reads). Every datagram is
 * appended to MESSAGES_FILE if given. If the child exits first, READY_FILE is
 * opened and closed empty. Then waits for the child and exits with its status
 * (128 + signal if it was killed), so the test can check how the daemon ended.
 * Sockets passed by socket activation are handed on to the child.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int child_pipe[2]; /* SIGCHLD wakes poll through this */

static void on_sigchld(int sig)
{
    int saved = errno;
    (void)sig;
    if (write(child_pipe[1], "x", 1) < 0) {
        /* the pipe is full: a wake-up is already pending */
    }
    errno = saved;
}

static void write_ready(const char *path, pid_t pid)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return;
    }
    if (pid > 0)
        fprintf(f, "%ld\n", (long)pid);
    fclose(f);
}

static int exit_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    const char *ready_path, *messages_path = NULL;
    char dir[] = "/tmp/rollcall-launch-XXXXXX";
    struct sockaddr_un addr;
    int argi = 2, status;

    if (argc < 4) {
        fprintf(stderr, "usage: rollcall-launch READY_FILE [MESSAGES_FILE] -- COMMAND...\n");
        return 2;
    }
    ready_path = argv[1];
    if (strcmp(argv[argi], "--") != 0)
        messages_path = argv[argi++];
    if (argi >= argc || strcmp(argv[argi], "--") != 0 || argi + 1 >= argc) {
        fprintf(stderr, "rollcall-launch: expected -- COMMAND\n");
        return 2;
    }
    argi++;

    if (mkdtemp(dir) == NULL || pipe2(child_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        perror("rollcall-launch");
        return 1;
    }
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s/notify", dir);
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("rollcall-launch: notify socket");
        return 1;
    }
    struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART };
    sigaction(SIGCHLD, &sa, NULL);

    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        /* Sockets passed to us (socket activation) are passed on, as systemd
         * would: LISTEN_PID must name the process that uses them. */
        const char *listen_pid = getenv("LISTEN_PID");
        if (listen_pid && atol(listen_pid) == (long)getppid()) {
            char self[24];
            snprintf(self, sizeof self, "%ld", (long)getpid());
            setenv("LISTEN_PID", self, 1);
        }
        setenv("NOTIFY_SOCKET", addr.sun_path, 1);
        execvp(argv[argi], argv + argi);
        perror(argv[argi]);
        _exit(127);
    }

    FILE *messages = messages_path ? fopen(messages_path, "a") : NULL;
    bool ready = false, exited = false;
    while (!exited) {
        struct pollfd fds[2] = { { sock, POLLIN, 0 }, { child_pipe[0], POLLIN, 0 } };
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            break;
        }
        if (fds[0].revents & POLLIN) {
            char buf[4096];
            ssize_t n = recv(sock, buf, sizeof buf - 1, 0);
            if (n > 0) {
                buf[n] = '\0';
                if (messages) {
                    fprintf(messages, "%s\n", buf);
                    fflush(messages);
                }
                if (!ready && (strncmp(buf, "READY=1", 7) == 0 || strstr(buf, "\nREADY=1"))) {
                    ready = true;
                    write_ready(ready_path, pid);
                }
            }
        }
        if (fds[1].revents & POLLIN) {
            char drain[64];
            while (read(child_pipe[0], drain, sizeof drain) > 0)
                ;
            exited = waitpid(pid, &status, WNOHANG) == pid;
        }
    }
    if (!ready)
        write_ready(ready_path, 0); /* the reader sees an empty line: it never got ready */
    if (!exited && waitpid(pid, &status, 0) != pid)
        status = 0xff00;
    if (messages)
        fclose(messages);
    unlink(addr.sun_path);
    rmdir(dir);
    return exit_status(status);
}
