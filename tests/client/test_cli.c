/*
 * test_cli.c — the command line: what parses, into what, and what is a
 * usage error (exit 2) with which message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "cli.h"

#define MAX_ARGS 24

/* Parses "rollcall" followed by the NULL-terminated arguments. */
static int parse(struct cli_options *opts, ...)
{
    static char *argv[MAX_ARGS + 2];
    va_list ap;
    int argc = 0;

    argv[argc++] = "rollcall";
    va_start(ap, opts);
    for (char *arg; (arg = va_arg(ap, char *)) != NULL && argc <= MAX_ARGS;)
        argv[argc++] = arg;
    va_end(ap);
    argv[argc] = NULL;
    return cli_parse(argc, argv, opts);
}

static void expect_usage(struct cli_options *opts, int rc, const char *message)
{
    assert_int_equal(rc, EXIT_USAGE);
    if (strstr(opts->error, message) == NULL)
        fail_msg("usage error \"%s\" does not say \"%s\"", opts->error, message);
}

/* ---- global ----------------------------------------------------------------------- */

static void test_global_options(void **state)
{
    struct cli_options o;

    (void)state;
    expect_usage(&o, parse(&o, NULL), "no command given");
    expect_usage(&o, parse(&o, "frobnicate", NULL), "unknown command 'frobnicate'");
    expect_usage(&o, parse(&o, "--bogus", "status", NULL), "unknown option '--bogus'");
    expect_usage(&o, parse(&o, "--format", "xml", "status", NULL), "expected table, json or tsv");
    expect_usage(&o, parse(&o, "status", "--socket", NULL), "status: option '--socket' needs");

    assert_int_equal(parse(&o, "--version", NULL), EXIT_OK);
    assert_int_equal(o.action, ACTION_VERSION);
    assert_int_equal(parse(&o, "--help", NULL), EXIT_OK);
    assert_int_equal(o.action, ACTION_HELP);
    assert_int_equal(o.command, CMD_NONE);
    assert_int_equal(parse(&o, "help", "timeline", NULL), EXIT_OK);
    assert_int_equal(o.action, ACTION_HELP);
    assert_int_equal(o.command, CMD_TIMELINE);
    assert_int_equal(parse(&o, "state", "-h", NULL), EXIT_OK);
    assert_int_equal(o.action, ACTION_HELP);
    assert_int_equal(o.command, CMD_STATE);

    assert_int_equal(parse(&o, "--socket", "/tmp/a.sock", "--json", "status", NULL), EXIT_OK);
    assert_int_equal(o.action, ACTION_RUN);
    assert_int_equal(o.command, CMD_STATUS);
    assert_string_equal(o.socket, "/tmp/a.sock");
    assert_int_equal(o.format, FORMAT_JSON);

    /* Nothing said: the program picks table or tsv by looking at stdout. */
    assert_int_equal(parse(&o, "coalitions", NULL), EXIT_OK);
    assert_int_equal(o.format, FORMAT_DEFAULT);
    assert_null(o.socket);
    expect_usage(&o, parse(&o, "coalitions", "extra", NULL), "coalitions: too many operands");
}

static void test_options_after_the_command_and_operands(void **state)
{
    struct cli_options o;

    (void)state;
    assert_int_equal(
        parse(&o, "state", "mmas", "--at", "2024-09-30", "--format", "tsv", "--socket", "/s", NULL),
        EXIT_OK);
    assert_int_equal(o.command, CMD_STATE);
    assert_string_equal(o.coalition, "mmas");
    assert_string_equal(o.at, "2024-09-30");
    assert_int_equal(o.format, FORMAT_TSV);
    assert_string_equal(o.socket, "/s");
    /* The last word wins. */
    assert_int_equal(parse(&o, "--format", "tsv", "state", "--json", "mmas", NULL), EXIT_OK);
    assert_int_equal(o.format, FORMAT_JSON);
    /* "--" ends the options: an operand may then start with '-'. */
    assert_int_equal(parse(&o, "history", "--", "-odd", NULL), EXIT_OK);
    assert_string_equal(o.coalition, "-odd");
}

/* ---- record ------------------------------------------------------------------------ */

static void test_record_operands(void **state)
{
    struct cli_options o;

    (void)state;
    assert_int_equal(parse(&o, "record", "signed", "mmas", "El Salvador", "2024-08-03", "--source",
                           "article", "--expect-head", "1", NULL),
                     EXIT_OK);
    assert_int_equal(o.command, CMD_RECORD);
    assert_string_equal(o.field[FIELD_TYPE], "signed");
    assert_string_equal(o.field[FIELD_COALITION], "mmas");
    assert_string_equal(o.field[FIELD_COUNTRY], "El Salvador");
    assert_string_equal(o.field[FIELD_DATE], "2024-08-03");
    assert_string_equal(o.field[FIELD_SOURCE], "article");
    assert_true(o.has_expect_head);
    assert_int_equal(o.expect_head, 1);

    /* announced: the country is optional; with three operands after TYPE, it is one. */
    assert_int_equal(parse(&o, "record", "announced", "mmas", "2024-09", "--venue", "UNGA", NULL),
                     EXIT_OK);
    assert_null(o.field[FIELD_COUNTRY]);
    assert_string_equal(o.field[FIELD_DATE], "2024-09");
    assert_string_equal(o.field[FIELD_VENUE], "UNGA");
    assert_int_equal(parse(&o, "record", "announced", "mmas", "Guatemala", "2024-09", NULL),
                     EXIT_OK);
    assert_string_equal(o.field[FIELD_COUNTRY], "Guatemala");

    /* established takes no country. */
    assert_int_equal(parse(&o, "record", "established", "mmas", "2023", "--name", "MMAS", NULL),
                     EXIT_OK);
    assert_null(o.field[FIELD_COUNTRY]);
    assert_string_equal(o.field[FIELD_NAME], "MMAS");
    expect_usage(&o, parse(&o, "record", "established", "mmas", "Haiti", "2023", NULL),
                 "record: established takes COALITION DATE");

    expect_usage(&o, parse(&o, "record", "signed", "mmas", "2024", NULL),
                 "record: signed takes COALITION COUNTRY DATE");
    expect_usage(&o, parse(&o, "record", "signed", "mmas", NULL), "missing operands");
    expect_usage(&o, parse(&o, "record", "signed", "a", "b", "c", "d", NULL), "too many operands");
    expect_usage(&o, parse(&o, "record", "joined", "mmas", "X", "2024", NULL),
                 "unknown event type 'joined'");
    expect_usage(&o, parse(&o, "record", "corrected", "mmas", "2024", NULL), "rollcall correct");
    expect_usage(&o, parse(&o, "record", "retracted", "mmas", "2024", NULL), "rollcall retract");
    /* Options of other commands are not record's. */
    expect_usage(&o, parse(&o, "record", "signed", "m", "X", "2024", "--at", "2024", NULL),
                 "record: unknown option '--at'");
    expect_usage(&o, parse(&o, "record", "signed", "m", "X", "2024", "--expect-head", "-1", NULL),
                 "--expect-head: expected a number");
}

/* ---- correct, retract -------------------------------------------------------------- */

static void test_correct_options(void **state)
{
    struct cli_options o;

    (void)state;
    assert_int_equal(parse(&o, "correct", "4", "--date", "2024-09-16", "--reason", "typo", "--on",
                           "2024-12-13", "--unset", "note", "--id", "fix-4", NULL),
                     EXIT_OK);
    assert_int_equal(o.command, CMD_CORRECT);
    assert_int_equal(o.target, 4);
    assert_string_equal(o.field[FIELD_DATE], "2024-09-16");
    assert_string_equal(o.reason, "typo");
    assert_string_equal(o.on, "2024-12-13");
    assert_true(o.unset[FIELD_NOTE]);
    assert_false(o.unset[FIELD_SOURCE]);
    assert_string_equal(o.field[FIELD_ID], "fix-4");

    assert_int_equal(parse(&o, "correct", "4", "--type", "ratified", NULL), EXIT_OK);
    assert_string_equal(o.field[FIELD_TYPE], "ratified");

    expect_usage(&o, parse(&o, "correct", "4", NULL), "nothing to change");
    expect_usage(&o, parse(&o, "correct", "4", "--reason", "why", "--id", "x", NULL),
                 "nothing to change");
    expect_usage(&o, parse(&o, "correct", "0", "--date", "2024", NULL), "SEQ must be a positive");
    expect_usage(&o, parse(&o, "correct", "four", "--date", "2024", NULL),
                 "SEQ must be a positive");
    expect_usage(&o, parse(&o, "correct", "4", "--type", "retracted", NULL),
                 "a fact's type can't be 'retracted'");
    expect_usage(&o, parse(&o, "correct", "4", "--unset", "date", NULL),
                 "can't be without its date");
    expect_usage(&o, parse(&o, "correct", "4", "--unset", "id", NULL), "carries no id");
    expect_usage(&o, parse(&o, "correct", "4", "--unset", "colour", NULL), "no field 'colour'");
    expect_usage(&o, parse(&o, "correct", "4", "--venue", "X", "--unset", "venue", NULL),
                 "contradict");
    expect_usage(&o, parse(&o, "correct", "4", "--date", "2024", "--on", "2024-02-30", NULL),
                 "--on: no such day");
}

static void test_retract_needs_a_note(void **state)
{
    struct cli_options o;

    (void)state;
    expect_usage(&o, parse(&o, "retract", "2", NULL), "--note WHY is required");
    assert_int_equal(parse(&o, "retract", "--note", "no such signature", "2", NULL), EXIT_OK);
    assert_int_equal(o.target, 2);
    assert_string_equal(o.field[FIELD_NOTE], "no such signature");
    expect_usage(&o, parse(&o, "retract", "2", "3", "--note", "x", NULL), "too many operands");
}

/* ---- queries --------------------------------------------------------------------------- */

static void test_state_and_timeline_options(void **state)
{
    struct cli_options o;

    (void)state;
    assert_int_equal(parse(&o, "state", "mmas", "--as-of-seq", "6", NULL), EXIT_OK);
    assert_true(o.has_as_of_seq);
    assert_int_equal(o.as_of_seq, 6);
    assert_null(o.at);
    assert_int_equal(parse(&o, "state", "mmas", "--as-recorded", "2024-12-12T15:04:05Z", NULL),
                     EXIT_OK);
    assert_string_equal(o.as_recorded, "2024-12-12T15:04:05Z");
    expect_usage(
        &o, parse(&o, "state", "mmas", "--as-of-seq", "6", "--as-recorded", "2024-12-12", NULL),
        "not both");
    expect_usage(&o, parse(&o, "state", "mmas", "--as-recorded", "yesterday", NULL),
                 "not an RFC 3339 time");
    expect_usage(&o, parse(&o, "state", "mmas", "--as-of-seq", "6x", NULL), "expected a number");
    expect_usage(&o, parse(&o, "state", "mmas", "--at", "2024-13", NULL), "--at:");
    expect_usage(&o, parse(&o, "state", NULL), "state: missing operands");
    expect_usage(&o, parse(&o, "state", "mmas", "--at", NULL), "option '--at' needs a value");

    assert_int_equal(parse(&o, "timeline", "mmas", "--since", "2024-09", "--until", "2024", NULL),
                     EXIT_OK);
    assert_string_equal(o.since, "2024-09");
    assert_string_equal(o.until, "2024");
    expect_usage(&o, parse(&o, "timeline", "mmas", "--since", "09/2024", NULL), "--since:");
}

static void test_history_filters(void **state)
{
    struct cli_options o;

    (void)state;
    assert_int_equal(parse(&o, "history", NULL), EXIT_OK);
    assert_null(o.coalition);
    assert_false(o.has_limit);
    assert_int_equal(o.types, 0);

    assert_int_equal(parse(&o, "history", "mmas", "--type", "signed", "--type", "adhered",
                           "--country", "Guatemala", "--from-seq", "3", "--limit", "20000",
                           "--order", "date", NULL),
                     EXIT_OK);
    assert_string_equal(o.coalition, "mmas");
    assert_int_equal(o.types, (1u << EVENT_SIGNED) | (1u << EVENT_ADHERED));
    assert_string_equal(o.country, "Guatemala");
    assert_null(o.field[FIELD_COUNTRY]); /* a filter, not an event field */
    assert_true(o.has_from_seq);
    assert_int_equal(o.from_seq, 3);
    assert_true(o.has_limit);
    assert_int_equal(o.limit, 20000); /* more than a page: the client pages */
    assert_true(o.order_by_date);

    expect_usage(&o, parse(&o, "history", "--type", "joined", NULL), "unknown event type");
    expect_usage(&o, parse(&o, "history", "--order", "name", NULL), "expected seq or date");
    expect_usage(&o, parse(&o, "history", "--limit", "0", NULL), "--limit: expected a number");
    expect_usage(&o, parse(&o, "history", "--from-seq", "0", NULL), "--from-seq");
    expect_usage(&o, parse(&o, "history", "--limit", "99999999999999999999999", NULL),
                 "--limit: expected a number");
}

static void test_import_export_follow(void **state)
{
    struct cli_options o;

    (void)state;
    assert_int_equal(parse(&o, "import", NULL), EXIT_OK);
    assert_null(o.file);
    assert_int_equal(o.batch, IMPORT_BATCH_DEFAULT);
    assert_int_equal(parse(&o, "import", "-", "--batch", "10", NULL), EXIT_OK);
    assert_string_equal(o.file, "-");
    assert_int_equal(o.batch, 10);
    expect_usage(&o, parse(&o, "import", "a", "b", NULL), "too many operands");
    expect_usage(&o, parse(&o, "import", "--batch", "0", NULL), "--batch");
    expect_usage(&o, parse(&o, "import", "--batch", "10001", NULL), "--batch");

    assert_int_equal(parse(&o, "export", "mmas", NULL), EXIT_OK);
    assert_int_equal(o.command, CMD_EXPORT);
    assert_string_equal(o.coalition, "mmas");

    assert_int_equal(parse(&o, "follow", "--from-seq", "12", NULL), EXIT_OK);
    assert_null(o.coalition);
    assert_int_equal(o.from_seq, 12);
    expect_usage(&o, parse(&o, "follow", "--from-seq", "0", NULL), "--from-seq");
    expect_usage(&o, parse(&o, "verify", "--limit", "3", NULL), "verify: unknown option");
}

static void test_every_command_has_help(void **state)
{
    (void)state;
    for (int c = CMD_NONE; c < CMD_COUNT; c++) {
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        cli_help((enum command)c, out);
        fclose(out);
        assert_non_null(strstr(text, "usage: rollcall"));
        if (c != CMD_NONE) {
            char expected[64];
            snprintf(expected, sizeof expected, "usage: rollcall %s", cli_command_name(c));
            assert_non_null(strstr(text, expected));
        }
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_global_options),
        cmocka_unit_test(test_options_after_the_command_and_operands),
        cmocka_unit_test(test_record_operands),
        cmocka_unit_test(test_correct_options),
        cmocka_unit_test(test_retract_needs_a_note),
        cmocka_unit_test(test_state_and_timeline_options),
        cmocka_unit_test(test_history_filters),
        cmocka_unit_test(test_import_export_follow),
        cmocka_unit_test(test_every_command_has_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
