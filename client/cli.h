/*
 * cli.h — the command line of `rollcall` (cli.md): global options, one
 * command, its operands and options, parsed into one struct, and the exit
 * codes.
 *
 * Parsing checks the grammar: known commands and options, operand counts,
 * numbers, query dates and times, option values from a closed set. The
 * content of an event (record, correct) is checked later against the event
 * schema, as the daemon would, and fails with exit 1 rather than 2.
 */
#ifndef ROLLCALL_CLI_H
#define ROLLCALL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"
#include "output.h"

enum exit_code {
    EXIT_OK = 0,
    EXIT_ERROR = 1,     /* the daemon answered with an error (or a bad input file) */
    EXIT_USAGE = 2,     /* the command line is wrong */
    EXIT_NO_DAEMON = 3, /* no daemon at the socket, or the connection failed */
    EXIT_CONFLICT = 4,  /* expect_head mismatch or id reuse */
    EXIT_DAMAGE = 5,    /* verify found damage */
};

enum command {
    CMD_NONE,
    CMD_RECORD,
    CMD_CORRECT,
    CMD_RETRACT,
    CMD_IMPORT,
    CMD_EXPORT,
    CMD_STATE,
    CMD_TIMELINE,
    CMD_HISTORY,
    CMD_COALITIONS,
    CMD_FOLLOW,
    CMD_STATUS,
    CMD_VERIFY,
    CMD_COUNT,
};

enum cli_action {
    ACTION_RUN,
    ACTION_HELP,    /* --help: print cli_help(command) */
    ACTION_VERSION, /* --version */
};

struct cli_options {
    enum cli_action action;
    enum command command;
    const char *socket; /* --socket, or NULL for the default */
    enum out_format format;

    /*
     * Event fields by enum event_field: record's operands (type, coalition,
     * country, date) and options; correct's changes. unset marks fields
     * correct removes from the replacement fact.
     */
    const char *field[FIELD_STRING_COUNT];
    bool unset[FIELD_STRING_COUNT];
    const char *on;     /* correct, retract: the date of the meta event */
    const char *reason; /* correct: the correction's own note */

    uint64_t target; /* correct, retract: SEQ */
    bool has_expect_head;
    uint64_t expect_head;

    const char *coalition; /* state, timeline, history, export, follow */
    const char *file;      /* import: NULL or "-" for stdin */
    unsigned batch;        /* import: events per append */

    const char *at, *since, *until, *as_recorded, *country;
    bool has_as_of_seq, has_from_seq, has_limit;
    uint64_t as_of_seq, from_seq, limit;
    unsigned types; /* history: a bit per enum event_type; 0 = all */
    bool order_by_date;

    char error[256]; /* the usage error, when cli_parse returns EXIT_USAGE */
};

/*
 * Parses argv. Returns EXIT_OK (see opts->action) or EXIT_USAGE with
 * opts->error set. argv is permuted (getopt_long); strings in opts point
 * into it.
 */
int cli_parse(int argc, char **argv, struct cli_options *opts);

/* The name a user types: CMD_STATE -> "state". */
const char *cli_command_name(enum command command);

/* Prints the help of a command (CMD_NONE: of rollcall itself) to out. */
void cli_help(enum command command, FILE *out);

/* Default events per import batch: well under the 1 MiB request limit. */
#define IMPORT_BATCH_DEFAULT 1000

#endif
