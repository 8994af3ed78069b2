/*
 * fakeserver.h — a stand-in for rollcalld in the client's tests.
 *
 * A thread serves one end of a socketpair: it reads requests with the same
 * guarded rpc_reader the daemon uses and hands each to a handler, which
 * answers with the helpers below (results and errors written as JSON text
 * for readability, sent as MessagePack). Every request is logged as one line
 * "method {params as JSON}" so the test can assert on what the client sent,
 * from the test's own thread, after fake_stop.
 *
 * The default handler plays a script: for the n-th request, the n-th step's
 * answer, whatever the request.
 */
#ifndef ROLLCALL_TEST_FAKESERVER_H
#define ROLLCALL_TEST_FAKESERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc.h"

#define FAKE_MAX_REQUESTS 64

struct fake_server;

typedef void (*fake_handler)(struct fake_server *server, const struct rpc_message *request,
                             void *ctx);

/* One scripted answer: a result, or an error map (both JSON text). */
struct fake_step {
    const char *result;
    const char *error;
};

struct fake_server {
    int fd;
    pthread_t thread;
    fake_handler handler;
    void *ctx;
    const struct fake_step *script;
    size_t script_len;
    bool closed; /* the handler closed the connection */
    char *log[FAKE_MAX_REQUESTS];
    size_t requests;
};

/*
 * Starts serving; returns the client's end of the socketpair. handler NULL
 * plays script (script_len steps; a request past its end gets an error).
 */
int fake_start(struct fake_server *server, fake_handler handler, void *ctx,
               const struct fake_step *script, size_t script_len);
/* Waits for the thread to end (the client closed its end). */
void fake_stop(struct fake_server *server);
/* Frees the log. */
void fake_free(struct fake_server *server);
/* The n-th request's log line, or "" (after fake_stop, until fake_free). */
const char *fake_request(const struct fake_server *server, size_t n);

/* Answers from the handler. json is parsed with jansson; bad JSON aborts. */
void fake_reply(struct fake_server *server, uint32_t msgid, const char *json_result);
void fake_error(struct fake_server *server, uint32_t msgid, const char *json_error);
void fake_notify(struct fake_server *server, const char *method, const char *json_params);
/* Raw bytes onto the wire. */
void fake_send_raw(struct fake_server *server, const void *bytes, size_t len);
/* Closes the connection: the thread ends after the handler returns. */
void fake_close(struct fake_server *server);

#endif
