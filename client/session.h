/*
 * session.h — a command's connection to the daemon (session.c): calls, paging
 * through history, and the reporting of failures. The helpers turn every
 * failure into the one-line message and the exit code that cli.md asks for.
 */
#ifndef ROLLCALL_SESSION_H
#define ROLLCALL_SESSION_H

#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "event.h"
#include "output.h"
#include "rcclient.h"

struct session {
    struct rc_client *client;
    const struct cli_options *opts;
    enum out_format format; /* resolved: never FORMAT_DEFAULT */
    FILE *out, *err;
    const char *socket_path; /* for messages */
    int cancel_fd;           /* follow: readable once interrupted (or -1) */
    int watch_fd;            /* follow: out's descriptor, to notice a closed pipe (or -1) */
};

/*
 * Sends method with params (a JSON object, or NULL for {}) and waits for the
 * answer. Returns EXIT_OK with *reply filled and successful (release it with
 * rc_reply_free); otherwise reports the failure (a daemon error, or a lost
 * connection) and returns its exit code, with nothing to release.
 */
int session_call(struct session *session, enum rpc_method method, json_t *params,
                 struct rc_reply *reply);

/*
 * Like session_call, but a daemon error is left in *reply (reply->failed)
 * for the caller to report with its own context. Transport failures are
 * reported here.
 */
int session_request(struct session *session, enum rpc_method method, const char *params,
                    size_t params_len, struct rc_reply *reply);

/* Reports a lost connection or a reply that is not MessagePack-RPC: exit 3. */
int session_transport_error(struct session *session, enum rc_status status);

/*
 * Reports a daemon error: "rollcall: CODE: message (details)". context (or
 * NULL) leads the details, e.g. "line 12". Returns 4 for a conflict, else 1.
 */
int session_daemon_error(struct session *session, const struct rc_error *error,
                         const char *context);

/* Reports an error of the client's own under a code, like the daemon's. Returns 1. */
int session_error(struct session *session, enum rpc_error code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports a result the client can't show. Returns 1. */
int session_bad_reply(struct session *session, const char *why);

/*
 * Flushes out. A reader that went away (EPIPE) is no error: returns
 * EXIT_OK and sets *gone if gone is not NULL. Other write errors are
 * reported: EXIT_ERROR.
 */
int session_flush(struct session *session, bool *gone);

/* An event map from JSON, checked against the schema. */
struct event *session_decode_event(json_t *event, enum event_origin origin,
                                   struct event_error *err);

/*
 * Pages through history. params holds the filters; from_seq and limit are set
 * here, page by page. on_event sees every event in page order and may end the
 * walk by returning other than EXIT_OK (that code is returned); on_page (or
 * NULL) runs after each page and may end it by setting *stop.
 */
struct history_walk {
    json_t *params;
    uint64_t from_seq; /* in: the first seq; out: where a next page starts, 0 at the end */
    uint64_t limit;    /* events in all; 0: every page */
    int (*on_event)(struct session *session, json_t *event, void *ctx);
    int (*on_page)(struct session *session, void *ctx, bool *stop);
    void *ctx;
};
int session_walk_history(struct session *session, struct history_walk *walk);

/*
 * Fetches the event at seq (history from_seq=seq limit=1) as JSON, or
 * reports why not: not_found if the log holds no such event.
 */
int session_fetch_event(struct session *session, uint64_t seq, json_t **event);

/*
 * Sets key to a string (when value is not NULL) or to an unsigned number.
 * Strings from the command line go as given, without a UTF-8 check here: the
 * event schema or the daemon names the field that is wrong. Return 0, or -1
 * out of memory.
 */
int param_text(json_t *object, const char *key, const char *value);
int param_uint(json_t *object, const char *key, uint64_t value);

/* Today's date (UTC) as YYYY-MM-DD. */
void session_today(char buf[static 11]);

#endif
