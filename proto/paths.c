/*
 * paths.c — the embedded defaults of cli.md.
 */
#include "paths.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fits(int n, size_t size)
{
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A non-empty absolute value of an environment variable, or NULL. */
static const char *env_path(const char *name)
{
    const char *value = getenv(name);
    return value && value[0] == '/' ? value : NULL;
}

int rc_default_socket_path(char *buf, size_t size)
{
    const char *value = getenv(RC_ENV_SOCKET);
    if (value && value[0] != '\0')
        return fits(snprintf(buf, size, "%s", value), size);
    if (geteuid() == 0)
        return fits(snprintf(buf, size, "/run/rollcall/rollcall.sock"), size);
    if ((value = env_path("XDG_RUNTIME_DIR")) != NULL)
        return fits(snprintf(buf, size, "%s/rollcall.sock", value), size);
    return fits(snprintf(buf, size, "/tmp/rollcall-%lu/rollcall.sock", (unsigned long)geteuid()),
                size);
}

int rc_default_data_dir(char *buf, size_t size)
{
    const char *value = getenv(RC_ENV_DATA);
    if (value && value[0] != '\0')
        return fits(snprintf(buf, size, "%s", value), size);
    if (geteuid() == 0)
        return fits(snprintf(buf, size, "/var/lib/rollcall"), size);
    if ((value = env_path("XDG_STATE_HOME")) != NULL)
        return fits(snprintf(buf, size, "%s/rollcall", value), size);
    if ((value = env_path("HOME")) == NULL) {
        const struct passwd *pw = getpwuid(geteuid());
        if (pw == NULL || pw->pw_dir == NULL || pw->pw_dir[0] != '/')
            return -1;
        value = pw->pw_dir;
    }
    return fits(snprintf(buf, size, "%s/.local/state/rollcall", value), size);
}
