/*
 * test_commands.c — whole commands against a scripted fake daemon: the
 * requests they send (logged by the fake server), what they print, and
 * their exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fakeserver.h"

/* ---- harness ---------------------------------------------------------------------- */

struct outcome {
    int rc;
    char *out, *err;
    struct fake_server server;
};

/*
 * Runs "rollcall ARGS..." (NULL-terminated) against a fake daemon that
 * answers with handler, or plays script when handler is NULL. Default
 * output is tsv, as when stdout is not a terminal.
 */
static void run(struct outcome *o, fake_handler handler, const struct fake_step *script,
                size_t steps, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    struct cli_options opts;
    struct rc_client client;
    size_t out_size = 0, err_size = 0;

    argv[argc++] = "rollcall";
    va_start(ap, steps);
    for (char *arg; (arg = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;
    assert_int_equal(cli_parse(argc, argv, &opts), EXIT_OK);

    memset(o, 0, sizeof *o);
    int fd = fake_start(&o->server, handler, NULL, script, steps);
    assert_int_equal(rc_adopt(&client, fd), RC_OK);
    struct session session = {
        .client = &client,
        .opts = &opts,
        .format = opts.format == FORMAT_DEFAULT ? FORMAT_TSV : opts.format,
        .out = open_memstream(&o->out, &out_size),
        .err = open_memstream(&o->err, &err_size),
        .socket_path = "/run/test.sock",
        .cancel_fd = -1,
        .watch_fd = -1,
    };
    o->rc = command_run(&session);
    rc_close(&client);
    fclose(session.out);
    fclose(session.err);
    fake_stop(&o->server);
}

static void done(struct outcome *o)
{
    fake_free(&o->server);
    free(o->out);
    free(o->err);
}

static void expect_request(struct outcome *o, size_t n, const char *line)
{
    assert_string_equal(fake_request(&o->server, n), line);
}

static void expect_err(struct outcome *o, const char *text)
{
    if (strstr(o->err, text) == NULL)
        fail_msg("stderr \"%s\" does not say \"%s\"", o->err, text);
}

/* A file holding text, for import: an unlinked temporary file, named through /proc. */
struct temp {
    FILE *file;
    char path[64];
};

static const char *temp_file(struct temp *temp, const char *text)
{
    temp->file = tmpfile();
    assert_non_null(temp->file);
    assert_int_equal(fputs(text, temp->file) >= 0, 1);
    assert_int_equal(fflush(temp->file), 0);
    snprintf(temp->path, sizeof temp->path, "/proc/self/fd/%d", fileno(temp->file));
    return temp->path;
}

#define REC   "\"recorded\": \"2024-12-12T15:04:05.123456Z\""
#define MMAS4 "{\"type\": \"adhered\", \"coalition\": \"mmas\", \"date\": \"2024-09-26\","

/* ---- queries and errors --------------------------------------------------------------- */

static void test_state_request_and_output(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"coalition\": {\"slug\": \"mmas\", \"established\": true, \"name\": \"M\","
                    " \"basis\": null, \"purpose\": null, \"date\": \"2023\"}, \"at\": \"2024-09\","
                    " \"as_of_seq\": 6, \"count\": 1, \"members\": [{\"country\": \"Jamaica\","
                    " \"status\": \"adhered\", \"since\": \"2024-09-20\", \"ordinal\": 1,"
                    " \"acts\": [], \"announcements\": [], \"commitments\": []}],"
                    " \"pledged\": [], \"former\": []}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 1, "state", "mmas", "--at", "2024-09", "--as-of-seq", "6", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 0, "state {\"coalition\":\"mmas\",\"at\":\"2024-09\",\"as_of_seq\":6}");
    assert_string_equal(o.out, "section\tordinal\tcountry\tstatus\tsince\tleft\tcommitments\n"
                               "member\t1\tJamaica\tadhered\t2024-09-20\t\t\n");
    assert_string_equal(o.err, "");
    done(&o);
}

static void test_daemon_errors_and_exit_codes(void **state)
{
    static const struct fake_step unknown[] = {
        { .error = "{\"code\": \"unknown_coalition\", \"message\": \"unknown coalition 'x'\","
                   " \"field\": \"coalition\"}" },
    };
    static const struct fake_step conflict[] = {
        { .error = "{\"code\": \"conflict\", \"message\": \"expect_head is 1 but the log's head"
                   " is 8\", \"head\": 8}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, unknown, 1, "timeline", "x", NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    assert_string_equal(o.err, "rollcall: unknown_coalition: unknown coalition 'x' "
                               "(field coalition)\n");
    assert_string_equal(o.out, "");
    done(&o);

    run(&o, NULL, conflict, 1, "record", "signed", "mmas", "Chile", "2025", "--expect-head", "1",
        NULL);
    assert_int_equal(o.rc, EXIT_CONFLICT);
    assert_string_equal(o.err, "rollcall: conflict: expect_head is 1 but the log's head is 8 "
                               "(head 8)\n");
    done(&o);
}

static void close_at_once(struct fake_server *server, const struct rpc_message *request, void *ctx)
{
    (void)request;
    (void)ctx;
    fake_close(server);
}

static void test_lost_connection_is_exit_3(void **state)
{
    struct outcome o;

    (void)state;
    run(&o, close_at_once, NULL, 0, "status", NULL);
    assert_int_equal(o.rc, EXIT_NO_DAEMON);
    assert_string_equal(o.err, "rollcall: the daemon at /run/test.sock closed the connection\n");
    done(&o);
}

static void test_verify_damage_is_exit_5(void **state)
{
    static const struct fake_step damaged[] = {
        { .result = "{\"ok\": false, \"checked\": 3, \"errors\": [{\"seq\": 2, \"segment\":"
                    " \"00000001.log\", \"offset\": 40, \"message\": \"checksum mismatch\"}]}" },
    };
    static const struct fake_step sound[] = {
        { .result = "{\"ok\": true, \"checked\": 3, \"errors\": []}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, damaged, 1, "verify", NULL);
    assert_int_equal(o.rc, EXIT_DAMAGE);
    assert_string_equal(o.out, "seq\tsegment\toffset\tmessage\n"
                               "2\t00000001.log\t40\tchecksum mismatch\n");
    done(&o);
    run(&o, NULL, sound, 1, "--format", "table", "verify", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    assert_string_equal(o.out, "checked 3 events: all sound\n");
    done(&o);
}

/* ---- record ------------------------------------------------------------------------- */

static void test_record_sends_canonical_event(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"seqs\": [2], \"head\": 2, " REC "}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 1, "record", "signed", "mmas", "El Salvador", "2024-08-03", "--note",
        "signed\nin Washington", "--id", "mmas-002", "--expect-head", "1", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 0,
                   "append {\"events\":[{\"type\":\"signed\",\"coalition\":\"mmas\",\"date\":"
                   "\"2024-08-03\",\"country\":\"El Salvador\",\"id\":\"mmas-002\",\"note\":"
                   "\"signed\\nin Washington\"}],\"expect_head\":1}");
    assert_string_equal(o.out, "2\n");
    done(&o);
}

static void test_record_checks_locally_first(void **state)
{
    struct outcome o;

    (void)state;
    run(&o, NULL, NULL, 0, "record", "signed", "mmas", "Chile", "2025-02-30", NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    expect_err(&o, "rollcall: invalid_event: date: no such day");
    assert_int_equal(o.server.requests, 0); /* nothing was sent */
    done(&o);

    run(&o, NULL, NULL, 0, "record", "signed", "mmas", "Chile", "2025", "--venue", "OAS", NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    assert_string_equal(o.err, "rollcall: invalid_event: venue: not a field of 'signed' events\n");
    assert_int_equal(o.server.requests, 0);
    done(&o);

    run(&o, NULL, NULL, 0, "record", "signed", "MMAS", "Chile", "2025", NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    expect_err(&o, "coalition: not a slug");
    done(&o);
}

/* ---- correct ------------------------------------------------------------------------- */

static void test_correct_starts_from_the_latest_correction(void **state)
{
    static const struct fake_step script[] = {
        /* the target */
        { .result = "{\"events\": [" MMAS4 " \"country\": \"Bahamas\", \"id\": \"mmas-004\","
                    " \"note\": \"adhesion\", \"seq\": 4, " REC "}], \"next_seq\": 5}" },
        /* the coalition's corrections and retractions after it, two pages */
        { .result = "{\"events\": ["
                    "{\"type\": \"corrected\", \"coalition\": \"mmas\", \"date\": \"2024-12-13\","
                    " \"target\": 4, \"fact\": {\"type\": \"adhered\", \"date\": \"2024-09-16\","
                    " \"country\": \"Bahamas\"}, \"seq\": 9, " REC "},"
                    "{\"type\": \"corrected\", \"coalition\": \"mmas\", \"date\": \"2024-12-13\","
                    " \"target\": 3, \"fact\": {\"type\": \"adhered\", \"date\": \"2024-01\","
                    " \"country\": \"Jamaica\"}, \"seq\": 10, " REC "}], \"next_seq\": 20}" },
        { .result =
              "{\"events\": ["
              "{\"type\": \"corrected\", \"coalition\": \"mmas\", \"date\": \"2024-12-14\","
              " \"target\": 4, \"fact\": {\"type\": \"adhered\", \"date\": \"2024-09-17\","
              " \"country\": \"Bahamas\", \"note\": \"second\", \"source\": \"gazette\"},"
              " \"seq\": 22, " REC "},"
              "{\"type\": \"retracted\", \"coalition\": \"mmas\", \"date\": \"2024-12-14\","
              " \"target\": 5, \"note\": \"no\", \"seq\": 23, " REC "}], \"next_seq\": null}" },
        { .result = "{\"seqs\": [30], \"head\": 30, " REC "}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 4, "correct", "4", "--country", "The Bahamas", "--unset", "note", "--on",
        "2024-12-31", "--reason", "official name", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 0, "history {\"from_seq\":4,\"limit\":1}");
    expect_request(&o, 1,
                   "history {\"coalition\":\"mmas\",\"types\":[\"corrected\",\"retracted\"],"
                   "\"from_seq\":5}");
    expect_request(&o, 2,
                   "history {\"coalition\":\"mmas\",\"types\":[\"corrected\",\"retracted\"],"
                   "\"from_seq\":20}");
    /* seq 22's fact, with the country changed and the note gone; never an id or stamps. */
    expect_request(&o, 3,
                   "append {\"events\":[{\"type\":\"corrected\",\"coalition\":\"mmas\",\"date\":"
                   "\"2024-12-31\",\"target\":4,\"fact\":{\"type\":\"adhered\",\"date\":"
                   "\"2024-09-17\",\"country\":\"The Bahamas\",\"source\":\"gazette\"},"
                   "\"note\":\"official name\"}]}");
    assert_string_equal(o.out, "30\n");
    assert_string_equal(o.err, "");
    done(&o);
}

static void test_correct_without_earlier_corrections(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"events\": [" MMAS4 " \"country\": \"Bahamas\", \"id\": \"mmas-004\","
                    " \"seq\": 4, " REC "}], \"next_seq\": 5}" },
        { .result = "{\"events\": [{\"type\": \"retracted\", \"coalition\": \"mmas\", \"date\":"
                    " \"2024-12-14\", \"target\": 4, \"note\": \"no\", \"seq\": 6, " REC "}],"
                    " \"next_seq\": null}" },
        { .result = "{\"seqs\": [7], \"head\": 7, " REC "}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 3, "correct", "4", "--type", "ratified", "--on", "2025-01-01", "--id",
        "fix-4", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    /* The stored fact is the base; its id stays with it, the new id is the correction's. */
    expect_request(&o, 2,
                   "append {\"events\":[{\"type\":\"corrected\",\"coalition\":\"mmas\",\"date\":"
                   "\"2025-01-01\",\"target\":4,\"fact\":{\"type\":\"ratified\",\"coalition\":"
                   "\"mmas\",\"date\":\"2024-09-26\",\"country\":\"Bahamas\"},\"id\":\"fix-4\"}]}");
    expect_err(&o, "seq 4 was retracted (seq 6): this correction brings it back");
    done(&o);
}

static void test_correct_refuses_a_meta_target(void **state)
{
    static const struct fake_step meta[] = {
        { .result = "{\"events\": [{\"type\": \"retracted\", \"coalition\": \"mmas\", \"date\":"
                    " \"2024-12-14\", \"target\": 2, \"note\": \"no\", \"seq\": 6, " REC "}],"
                    " \"next_seq\": 7}" },
    };
    static const struct fake_step missing[] = {
        { .result = "{\"events\": [{\"type\": \"signed\", \"coalition\": \"mmas\", \"date\":"
                    " \"2024\", \"country\": \"X\", \"seq\": 8, " REC "}], \"next_seq\": null}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, meta, 1, "correct", "6", "--date", "2024", NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    assert_string_equal(o.err, "rollcall: not_found: seq 6 is a 'retracted' event, not a fact: "
                               "name the fact it targets (seq 2)\n");
    assert_int_equal(o.server.requests, 1);
    done(&o);

    /* The page starts past the seq asked for: there is no such event. */
    run(&o, NULL, missing, 1, "retract", "5", "--note", "x", NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    assert_string_equal(o.err, "rollcall: not_found: the log holds no event at seq 5\n");
    done(&o);
}

static void test_retract(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"events\": [{\"type\": \"signed\", \"coalition\": \"mmas\", \"date\":"
                    " \"2024-08-03\", \"country\": \"El Salvador\", \"seq\": 2, " REC "}],"
                    " \"next_seq\": 3}" },
        { .result = "{\"seqs\": [9], \"head\": 9, " REC "}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 2, "--json", "retract", "2", "--note", "it was a letter of intent",
        "--on", "2024-12-20", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 1,
                   "append {\"events\":[{\"type\":\"retracted\",\"coalition\":\"mmas\",\"date\":"
                   "\"2024-12-20\",\"target\":2,\"note\":\"it was a letter of intent\"}]}");
    /* --json prints the append result. */
    assert_non_null(strstr(o.out, "\"seqs\": [\n    9\n  ]"));
    done(&o);
}

/* ---- import ------------------------------------------------------------------------- */

static void test_import_batches_and_counts_repeats(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"server\": \"rollcalld\", \"head\": 5}" },
        { .result = "{\"seqs\": [6, 3], \"head\": 6, " REC "}" },
        { .result = "{\"seqs\": [7], \"head\": 7, " REC "}" },
    };
    struct temp temp;
    const char *path =
        temp_file(&temp, "{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"A\","
                         " \"date\": \"2024\"}\n"
                         "\n"
                         "{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"B\","
                         " \"date\": \"2024\", \"id\": \"b\"}\n"
                         "{\"date\": \"2025\", \"country\": \"C\", \"coalition\": \"m\","
                         " \"type\": \"signed\"}\n");
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 3, "import", path, "--batch", "2", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 0, "hello {}");
    expect_request(&o, 1,
                   "append {\"events\":[{\"type\":\"signed\",\"coalition\":\"m\",\"date\":\"2024\","
                   "\"country\":\"A\"},{\"type\":\"signed\",\"coalition\":\"m\",\"date\":\"2024\","
                   "\"country\":\"B\",\"id\":\"b\"}]}");
    /* Fields go in the schema's order, whatever the line's. */
    expect_request(&o, 2,
                   "append {\"events\":[{\"type\":\"signed\",\"coalition\":\"m\",\"date\":\"2025\","
                   "\"country\":\"C\"}]}");
    assert_string_equal(o.out, "lines\tappended\trepeats\thead\n3\t2\t1\t7\n");
    done(&o);
    fclose(temp.file);
}

static void test_import_of_an_export_expects_the_head(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"head\": 0}" },
        { .result = "{\"seqs\": [1, 2], \"head\": 2, " REC "}" },
        { .result = "{\"seqs\": [3], \"head\": 3, " REC "}" },
    };
    struct temp temp;
    const char *path = temp_file(
        &temp,
        "{\"type\": \"established\", \"coalition\": \"m\", \"date\": \"2024\", \"name\": \"M\","
        " \"seq\": 1, " REC "}\n"
        "{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"A\", \"date\": \"2024\","
        " \"seq\": 2, " REC "}\n"
        "{\"type\": \"retracted\", \"coalition\": \"m\", \"date\": \"2024\", \"target\": 2,"
        " \"note\": \"no\", \"seq\": 3, " REC "}\n");
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 3, "--json", "import", path, "--batch", "2", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    /* seq and recorded stay home; expect_head = the batch's first seq - 1. */
    expect_request(&o, 1,
                   "append {\"events\":[{\"type\":\"established\",\"coalition\":\"m\",\"date\":"
                   "\"2024\",\"name\":\"M\"},{\"type\":\"signed\",\"coalition\":\"m\",\"date\":"
                   "\"2024\",\"country\":\"A\"}],\"expect_head\":0}");
    expect_request(&o, 2,
                   "append {\"events\":[{\"type\":\"retracted\",\"coalition\":\"m\",\"date\":"
                   "\"2024\",\"target\":2,\"note\":\"no\"}],\"expect_head\":2}");
    assert_string_equal(o.out, "{\"lines\": 3, \"appended\": 3, \"repeats\": 0, \"head\": 3}\n");
    done(&o);
    fclose(temp.file);
}

static void test_import_of_an_export_with_a_gap(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"head\": 0}" },
        { .result = "{\"seqs\": [1, 2], \"head\": 2, " REC "}" },
        { .error = "{\"code\": \"conflict\", \"message\": \"expect_head is 4 but the log's head"
                   " is 2\", \"head\": 2}" },
    };
    struct temp temp;
    const char *path = temp_file(
        &temp,
        "{\"type\": \"established\", \"coalition\": \"m\", \"date\": \"2024\", \"name\": \"M\","
        " \"seq\": 1}\n"
        "{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"A\", \"date\": \"2024\","
        " \"seq\": 2}\n"
        "{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"B\", \"date\": \"2024\","
        " \"seq\": 5}\n");
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 3, "import", path, NULL);
    assert_int_equal(o.rc, EXIT_CONFLICT);
    /* A batch never spans a gap: seq 5 goes alone, expecting head 4. */
    expect_request(&o, 2,
                   "append {\"events\":[{\"type\":\"signed\",\"coalition\":\"m\",\"date\":"
                   "\"2024\",\"country\":\"B\"}],\"expect_head\":4}");
    expect_err(&o, "rollcall: conflict: expect_head is 4 but the log's head is 2 (lines 3-3,"
                   " head 2)\n");
    expect_err(&o, "line 3 continues an export from seq 5: it imports only into a log whose head"
                   " is 4\n");
    expect_err(&o, "2 events appended, 0 already there; head 2");
    assert_string_equal(o.out, "");
    done(&o);
    fclose(temp.file);
}

static void test_import_bad_line_stops_before_sending(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"head\": 0}" },
        { .result = "{\"seqs\": [1, 2], \"head\": 2, " REC "}" },
    };
    static const char lines[] =
        "{\"type\": \"established\", \"coalition\": \"m\", \"date\": \"2024\", \"name\": \"M\"}\n"
        "{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"A\", \"date\": \"2024\"}\n"
        "{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"B\", \"date\": 2024}\n"
        "{\"type\": \"signed\", \"coalition\": \"m\", \"country\": \"C\", \"date\": \"2024\"}\n";
    struct temp temp;
    const char *path = temp_file(&temp, lines);
    struct outcome o;

    (void)state;
    /* One batch would hold every line: line 3 stops it before anything is sent. */
    run(&o, NULL, script, 2, "import", path, NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    assert_string_equal(o.err, "rollcall: invalid_event: line 3: date: must be a string\n");
    assert_int_equal(o.server.requests, 1); /* hello only */
    done(&o);

    /* Batches of two: lines 1-2 are in; the message says so. */
    run(&o, NULL, script, 2, "import", path, "--batch", "2", NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    assert_int_equal(o.server.requests, 2);
    expect_err(&o, "rollcall: invalid_event: line 3: date: must be a string\n");
    expect_err(&o, "the batches before stay in the log: 2 events appended");
    done(&o);
    fclose(temp.file);
}

static void test_import_daemon_error_names_the_line(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"head\": 0}" },
        { .error = "{\"code\": \"unknown_coalition\", \"message\": \"event 1: unknown coalition"
                   " 'zz'\", \"field\": \"coalition\", \"index\": 1}" },
    };
    struct temp temp;
    const char *path = temp_file(
        &temp,
        "{\"type\": \"established\", \"coalition\": \"m\", \"date\": \"2024\", \"name\": \"M\"}\n"
        "\n"
        "{\"type\": \"signed\", \"coalition\": \"zz\", \"country\": \"A\", \"date\": \"2024\"}\n");
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 2, "import", path, NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    /* index 1 of the batch is line 3 of the file (line 2 is blank). */
    assert_string_equal(o.err, "rollcall: unknown_coalition: event 1: unknown coalition 'zz'"
                               " (line 3, field coalition)\n");
    done(&o);
    fclose(temp.file);
}

/* ---- history, export ------------------------------------------------------------------ */

#define EVENT(seq, date)                                                                           \
    "{\"type\": \"signed\", \"coalition\": \"m\", \"date\": \"" date "\", \"country\": \"C" #seq   \
    "\", \"seq\": " #seq ", " REC "}"

static void test_history_fetches_every_page(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"events\": [" EVENT(1, "2024-10-01") ", " EVENT(
              2, "2024-09") "],"
                            " \"next_seq\": 3}" },
        { .result = "{\"events\": [" EVENT(3, "2024-09-30") "], \"next_seq\": null}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 2, "history", "--type", "signed", "--country", "C1", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 0, "history {\"country\":\"C1\",\"types\":[\"signed\"],\"from_seq\":1}");
    expect_request(&o, 1, "history {\"country\":\"C1\",\"types\":[\"signed\"],\"from_seq\":3}");
    assert_int_equal(o.server.requests, 2);
    assert_non_null(strstr(o.out, "\n1\t"));
    assert_non_null(strstr(o.out, "\n3\t"));
    done(&o);
}

static void test_history_limit_spans_pages(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"events\": [" EVENT(1, "2024") ", " EVENT(2, "2024") "],"
                                                                            " \"next_seq\": 5}" },
        { .result = "{\"events\": [" EVENT(5, "2024") "], \"next_seq\": 6}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 2, "history", "m", "--limit", "3", "--format", "table", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 0, "history {\"coalition\":\"m\",\"from_seq\":1,\"limit\":3}");
    expect_request(&o, 1, "history {\"coalition\":\"m\",\"from_seq\":5,\"limit\":1}");
    assert_int_equal(o.server.requests, 2); /* three events: done, though more exist */
    assert_string_equal(o.err, "");
    assert_non_null(strstr(o.out, "(more from seq 6: --from-seq 6)\n"));
    done(&o);
}

static void test_history_order_by_date_across_pages(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"events\": [" EVENT(1, "2024-10-01") ", " EVENT(
              2, "2024-09") "],"
                            " \"next_seq\": 3}" },
        { .result = "{\"events\": [" EVENT(3, "2024-09-30") "], \"next_seq\": null}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 2, "history", "--order", "date", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 0, "history {\"order\":\"date\",\"from_seq\":1}");
    /* 2024-09 counts on 09-30, with seq 3's day: seq breaks the tie. */
    char *second = strstr(o.out, "\n2\t"), *third = strstr(o.out, "\n3\t"),
         *first = strstr(o.out, "\n1\t");
    assert_non_null(second);
    assert_non_null(third);
    assert_non_null(first);
    assert_true(second < third && third < first);
    done(&o);
}

static void test_export_pages_as_json_lines(void **state)
{
    static const struct fake_step script[] = {
        { .result = "{\"events\": [" EVENT(1, "2024") "], \"next_seq\": 2}" },
        { .result = "{\"events\": [" EVENT(2, "2024") "], \"next_seq\": null}" },
    };
    struct outcome o;

    (void)state;
    run(&o, NULL, script, 2, "--format", "table", "export", "m", NULL);
    assert_int_equal(o.rc, EXIT_OK);
    expect_request(&o, 0, "history {\"coalition\":\"m\",\"from_seq\":1}");
    expect_request(&o, 1, "history {\"coalition\":\"m\",\"from_seq\":2}");
    /* JSON Lines whatever the format, the stamps included. */
    assert_string_equal(o.out,
                        "{\"type\":\"signed\",\"coalition\":\"m\",\"date\":\"2024\",\"country\":"
                        "\"C1\",\"seq\":1,\"recorded\":\"2024-12-12T15:04:05.123456Z\"}\n"
                        "{\"type\":\"signed\",\"coalition\":\"m\",\"date\":\"2024\",\"country\":"
                        "\"C2\",\"seq\":2,\"recorded\":\"2024-12-12T15:04:05.123456Z\"}\n");
    done(&o);
}

/* ---- follow -------------------------------------------------------------------------- */

static void follow_then_end(struct fake_server *server, const struct rpc_message *request,
                            void *ctx)
{
    (void)ctx;
    fake_reply(server, request->msgid, "{\"head\": 11}");
    fake_notify(server, "event", EVENT(10, "2024"));
    fake_notify(server, "event", EVENT(11, "2025"));
    fake_notify(server, "follow_ended", "{\"code\": \"too_slow\", \"next_seq\": 12}");
}

static void test_follow_prints_events_until_ended(void **state)
{
    struct outcome o;

    (void)state;
    run(&o, follow_then_end, NULL, 0, "follow", "m", "--from-seq", "10", NULL);
    assert_int_equal(o.rc, EXIT_ERROR);
    expect_request(&o, 0, "follow {\"coalition\":\"m\",\"from_seq\":10}");
    assert_string_equal(o.out, "seq\trecorded\tdate\ttype\tcoalition\tcountry\tsummary\n"
                               "10\t2024-12-12T15:04:05.123456Z\t2024\tsigned\tm\tC10\t\n"
                               "11\t2024-12-12T15:04:05.123456Z\t2025\tsigned\tm\tC11\t\n");
    assert_string_equal(o.err,
                        "rollcall: follow ended by the daemon (too_slow): resume with --from-seq "
                        "12\n");
    done(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_request_and_output),
        cmocka_unit_test(test_daemon_errors_and_exit_codes),
        cmocka_unit_test(test_lost_connection_is_exit_3),
        cmocka_unit_test(test_verify_damage_is_exit_5),
        cmocka_unit_test(test_record_sends_canonical_event),
        cmocka_unit_test(test_record_checks_locally_first),
        cmocka_unit_test(test_correct_starts_from_the_latest_correction),
        cmocka_unit_test(test_correct_without_earlier_corrections),
        cmocka_unit_test(test_correct_refuses_a_meta_target),
        cmocka_unit_test(test_retract),
        cmocka_unit_test(test_import_batches_and_counts_repeats),
        cmocka_unit_test(test_import_of_an_export_expects_the_head),
        cmocka_unit_test(test_import_of_an_export_with_a_gap),
        cmocka_unit_test(test_import_bad_line_stops_before_sending),
        cmocka_unit_test(test_import_daemon_error_names_the_line),
        cmocka_unit_test(test_history_fetches_every_page),
        cmocka_unit_test(test_history_limit_spans_pages),
        cmocka_unit_test(test_history_order_by_date_across_pages),
        cmocka_unit_test(test_export_pages_as_json_lines),
        cmocka_unit_test(test_follow_prints_events_until_ended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
