/*
 * commands.h — what each `rollcall` command does, given a connection.
 *
 * A command talks to the daemon through its session (session.h), writes its
 * result to session->out and its complaints to session->err, and returns the
 * exit code (cli.h).
 */
#ifndef ROLLCALL_COMMANDS_H
#define ROLLCALL_COMMANDS_H

#include "session.h"

/* Runs opts->command. */
int command_run(struct session *session);

int cmd_record(struct session *session);
int cmd_correct(struct session *session);
int cmd_retract(struct session *session);
int cmd_import(struct session *session);
int cmd_export(struct session *session);
int cmd_state(struct session *session);
int cmd_timeline(struct session *session);
int cmd_history(struct session *session);
int cmd_coalitions(struct session *session);
int cmd_follow(struct session *session);
int cmd_status(struct session *session);
int cmd_verify(struct session *session);

#endif
