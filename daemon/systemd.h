/*
 * systemd.h — the two small systemd protocols rollcalld speaks, without
 * libsystemd: readiness notification (sd_notify(3)) and socket activation
 * (sd_listen_fds(3)).
 */
#ifndef ROLLCALLD_SYSTEMD_H
#define ROLLCALLD_SYSTEMD_H

/*
 * Sends state ("READY=1\nSTATUS=...") as one datagram to $NOTIFY_SOCKET.
 * Does nothing when the variable is unset; returns -1 if sending failed.
 */
int notify_systemd(const char *state);

/*
 * The listening socket passed by systemd, or -1 when none was: LISTEN_PID must
 * be our pid and LISTEN_FDS exactly 1 (a second socket would be a unit file
 * mistake, reported as an error). Clears the variables so children don't
 * inherit them. *error is set when the variables are present but wrong.
 */
int activation_socket(const char **error);

#endif
