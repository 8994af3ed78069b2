/*
 * rcclient.h — a blocking MessagePack-RPC connection to rollcalld.
 *
 * One connection, one caller. Requests may be pipelined: rc_send returns the
 * msgid, rc_wait reads until the response with that msgid arrives and keeps
 * whatever else came first (other responses, notifications) for later, in
 * arrival order. Every byte from the socket goes through the guarded
 * rpc_reader, so a peer that is not rollcalld can't make us allocate from a
 * forged count.
 *
 * Writes use MSG_NOSIGNAL: a daemon that goes away yields RC_CLOSED, never
 * SIGPIPE. Interrupted system calls are retried, except while waiting for a
 * notification, where a caller-supplied descriptor can end the wait.
 */
#ifndef ROLLCALL_RCCLIENT_H
#define ROLLCALL_RCCLIENT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"
#include "rpc.h"

/* Responses can hold a page of 10,000 large events: far more than a request. */
#define RC_CLIENT_MAX_RESPONSE (512u << 20)

enum rc_status {
    RC_OK = 0,
    RC_NO_DAEMON,      /* connect: nothing listens at the path (ENOENT, ECONNREFUSED) */
    RC_CONNECT_FAILED, /* connect: any other reason (permission, path too long) */
    RC_CLOSED,         /* the peer closed the connection */
    RC_IO_ERROR,       /* a read or write failed */
    RC_BAD_MESSAGE,    /* the peer sent something that is not a valid message */
    RC_NOMEM,
    RC_CANCELLED, /* the cancel descriptor became readable */
};

/* A message kept by the client: the unpacked object owns its memory. */
struct rc_message {
    msgpack_unpacked unpacked;
    struct rpc_message rpc;
    struct rc_message *next;
};

struct rc_client {
    int fd;
    uint32_t next_msgid;
    struct rpc_reader reader;
    struct rc_message *queue_head, *queue_tail; /* received, not yet taken */
    char why[256];                              /* what went wrong, for the last failure */
};

/* An error answered by the daemon: protocol.md's error map, copied out. */
struct rc_error {
    enum rpc_error code;
    char code_text[32];
    char message[512];
    char field[64]; /* "" when absent */
    bool has_index, has_seq, has_head;
    uint64_t index, seq, head;
};

struct rc_reply {
    struct rc_message *message; /* owns result */
    const msgpack_object *result;
    bool failed; /* the daemon answered with an error: see error */
    struct rc_error error;
};

struct rc_notification {
    struct rc_message *message; /* owns params */
    const char *method;         /* not NUL-terminated */
    size_t method_len;
    const msgpack_object *params; /* the one map */
};

/* Connects to the Unix socket at path. On failure client->why says why. */
enum rc_status rc_connect(struct rc_client *client, const char *path);
/* Takes over a connected stream socket (a socketpair end in tests). */
enum rc_status rc_adopt(struct rc_client *client, int fd);
/* Closes the socket and frees everything kept. Safe after a failed connect. */
void rc_close(struct rc_client *client);

/*
 * Sends [0, msgid, method, [params]]. params/params_len are one packed map
 * (NULL sends {}). Returns RC_OK and the request's msgid in *msgid.
 */
enum rc_status rc_send(struct rc_client *client, enum rpc_method method, const char *params,
                       size_t params_len, uint32_t *msgid);

/*
 * Reads until the response to msgid; messages that arrive before it are kept.
 * On RC_OK the reply is filled (reply->failed tells a daemon error) and must
 * be released with rc_reply_free.
 */
enum rc_status rc_wait(struct rc_client *client, uint32_t msgid, struct rc_reply *reply);

/* rc_send then rc_wait. */
enum rc_status rc_call(struct rc_client *client, enum rpc_method method, const char *params,
                       size_t params_len, struct rc_reply *reply);

/*
 * The next notification, kept or read. cancel_fd (or -1) is polled alongside
 * the socket, and so is watch_fd (or -1) for errors only (a stdout pipe whose
 * reader has gone): either ends the wait with RC_CANCELLED. Responses that
 * arrive meanwhile are kept for rc_wait.
 */
enum rc_status rc_next_notification(struct rc_client *client, int cancel_fd, int watch_fd,
                                    struct rc_notification *notification);

void rc_reply_free(struct rc_reply *reply);
void rc_notification_free(struct rc_notification *notification);

/* Reads protocol.md's error map into err; unknown shapes give code internal. */
void rc_error_from_object(const msgpack_object *object, struct rc_error *err);

#endif
