/*
 * cli.c — the command line of `rollcall`: parsing and help.
 *
 * Global options come before the command (getopt stops at the first
 * operand); each command then parses its own options, which may come before,
 * between or after its operands. --socket, --format and --json are accepted
 * in both places, so `rollcall state mmas --json` works as one expects.
 */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "protocol.h"

/* ---- options ---------------------------------------------------------------- */

enum option_id {
    OPT_HELP = 'h',
    OPT_SOCKET = 256,
    OPT_FORMAT,
    OPT_JSON,
    OPT_VERSION,
    OPT_EXPECT_HEAD,
    OPT_UNSET,
    OPT_ON,
    OPT_REASON,
    OPT_BATCH,
    OPT_AT,
    OPT_AS_OF_SEQ,
    OPT_AS_RECORDED,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_FROM_SEQ,
    OPT_LIMIT,
    OPT_ORDER,
    OPT_FIELD, /* OPT_FIELD + enum event_field: --country, --note, ... */
};

struct option_def {
    const char *name;
    int has_arg;
    int id;
};

static const struct option_def option_defs[] = {
    { "help", no_argument, OPT_HELP },
    { "socket", required_argument, OPT_SOCKET },
    { "format", required_argument, OPT_FORMAT },
    { "json", no_argument, OPT_JSON },
    { "version", no_argument, OPT_VERSION },
    { "expect-head", required_argument, OPT_EXPECT_HEAD },
    { "unset", required_argument, OPT_UNSET },
    { "on", required_argument, OPT_ON },
    { "reason", required_argument, OPT_REASON },
    { "batch", required_argument, OPT_BATCH },
    { "at", required_argument, OPT_AT },
    { "as-of-seq", required_argument, OPT_AS_OF_SEQ },
    { "as-recorded", required_argument, OPT_AS_RECORDED },
    { "since", required_argument, OPT_SINCE },
    { "until", required_argument, OPT_UNTIL },
    { "from-seq", required_argument, OPT_FROM_SEQ },
    { "limit", required_argument, OPT_LIMIT },
    { "order", required_argument, OPT_ORDER },
    { "type", required_argument, OPT_FIELD + FIELD_TYPE },
    { "country", required_argument, OPT_FIELD + FIELD_COUNTRY },
    { "date", required_argument, OPT_FIELD + FIELD_DATE },
    { "name", required_argument, OPT_FIELD + FIELD_NAME },
    { "basis", required_argument, OPT_FIELD + FIELD_BASIS },
    { "purpose", required_argument, OPT_FIELD + FIELD_PURPOSE },
    { "venue", required_argument, OPT_FIELD + FIELD_VENUE },
    { "speaker", required_argument, OPT_FIELD + FIELD_SPEAKER },
    { "commitment", required_argument, OPT_FIELD + FIELD_COMMITMENT },
    { "text", required_argument, OPT_FIELD + FIELD_TEXT },
    { "id", required_argument, OPT_FIELD + FIELD_ID },
    { "source", required_argument, OPT_FIELD + FIELD_SOURCE },
    { "note", required_argument, OPT_FIELD + FIELD_NOTE },
};

#define COMMON_OPTIONS "help socket format json "
#define FACT_OPTIONS   "name basis purpose venue speaker commitment text source note "

/* ---- commands ----------------------------------------------------------------- */

struct command_def {
    const char *name;
    const char *options; /* names from option_defs, space-separated */
    int min_operands, max_operands;
    const char *usage;
    const char *help;
};

static const struct command_def commands[CMD_COUNT] = {
    [CMD_RECORD] =
        {
            "record",
            COMMON_OPTIONS FACT_OPTIONS "id expect-head",
            3,
            4,
            "record TYPE COALITION [COUNTRY] DATE [options]",
            "Append one fact and print its seq.\n"
            "\n"
            "TYPE is established, signed, ratified, adhered, withdrew or announced.\n"
            "COUNTRY is required for signed, ratified, adhered and withdrew, optional\n"
            "for announced (without it the coalition itself speaks), and not taken by\n"
            "established. DATE is YYYY-MM-DD, YYYY-MM or YYYY.\n"
            "\n"
            "  --name N, --basis B, --purpose P   established: the coalition\n"
            "  --venue V, --speaker P             announced: where and who\n"
            "  --commitment C, --text T           announced: what was pledged or said\n"
            "  --source S                         citation: URL, document, press release\n"
            "  --note N                           free text\n"
            "  --id ID                            idempotency key: recording the same\n"
            "                                     event again prints the original seq\n"
            "  --expect-head N                    append only if the log's last seq is N\n",
        },
    [CMD_CORRECT] =
        {
            "correct",
            COMMON_OPTIONS FACT_OPTIONS "type country date unset on reason id expect-head",
            1,
            1,
            "correct SEQ [--type T] [--country C] [--date D] [field options] [options]",
            "Append a `corrected` event for the fact at SEQ: its current reading (its\n"
            "latest correction, else the fact itself) with the given fields changed.\n"
            "\n"
            "  --type T, --country C, --date D    change the fact's type, country, date\n"
            "  --name, --basis, --purpose, --venue, --speaker, --commitment, --text,\n"
            "  --source, --note                   change that field of the fact\n"
            "  --unset FIELD                      remove FIELD from the fact (repeatable)\n"
            "  --reason TEXT                      the correction's own note: why\n"
            "  --on DATE                          date the correction (default: today, UTC)\n"
            "  --id ID                            idempotency key of the correction\n"
            "  --expect-head N                    append only if the log's last seq is N\n",
        },
    [CMD_RETRACT] =
        {
            "retract",
            COMMON_OPTIONS "note source on id expect-head",
            1,
            1,
            "retract SEQ --note WHY [options]",
            "Append a `retracted` event: from now on the fact at SEQ never happened.\n"
            "\n"
            "  --note WHY                         why (required)\n"
            "  --source S                         citation for the retraction\n"
            "  --on DATE                          date the retraction (default: today, UTC)\n"
            "  --id ID                            idempotency key\n"
            "  --expect-head N                    append only if the log's last seq is N\n",
        },
    [CMD_IMPORT] =
        {
            "import",
            COMMON_OPTIONS "batch",
            0,
            1,
            "import [FILE|-] [--batch N]",
            "Append events from JSON Lines (one event object per line; standard input\n"
            "when FILE is - or absent), in batches, each atomic. Every line is checked\n"
            "first: a bad line stops the import (exit 1) naming the line and the field;\n"
            "the batches before it stay appended. Lines that carry `seq` (an export)\n"
            "must continue the log exactly: each batch is sent with expect_head = its\n"
            "first seq - 1. Prints how many events were appended and the new head.\n"
            "\n"
            "  --batch N                          events per append (default 1000)\n",
        },
    [CMD_EXPORT] =
        {
            "export",
            COMMON_OPTIONS,
            0,
            1,
            "export [COALITION]",
            "Print every event (of COALITION, if given) as JSON Lines, with seq and\n"
            "recorded, whatever the format. `rollcall import` of a whole export into an\n"
            "empty store reproduces the same log.\n",
        },
    [CMD_STATE] =
        {
            "state",
            COMMON_OPTIONS "at as-of-seq as-recorded",
            1,
            1,
            "state COALITION [--at DATE] [--as-of-seq N | --as-recorded TIME]",
            "Membership of COALITION: members by ordinal, pledged and former states.\n"
            "\n"
            "  --at DATE                          as of this effective date (default: today)\n"
            "  --as-of-seq N                      as the log stood at seq N\n"
            "  --as-recorded TIME                 as the log stood at TIME (RFC 3339)\n",
        },
    [CMD_TIMELINE] =
        {
            "timeline",
            COMMON_OPTIONS "since until as-of-seq as-recorded",
            1,
            1,
            "timeline COALITION [--since D] [--until D]",
            "Every membership change of COALITION in date order, with the member count\n"
            "after it.\n"
            "\n"
            "  --since D, --until D               effective dates, inclusive\n"
            "  --as-of-seq N, --as-recorded TIME  as the log stood then\n",
        },
    [CMD_HISTORY] =
        {
            "history",
            COMMON_OPTIONS "country type since until from-seq limit order",
            0,
            1,
            "history [COALITION] [--country C] [--type T]... [--since D] [--until D]\n"
            "        [--from-seq N] [--limit N] [--order seq|date]",
            "Events, in seq order (or by effective date with --order date).\n"
            "\n"
            "  --country C                        events about this country\n"
            "  --type T                           events of this type (repeatable)\n"
            "  --since D, --until D               effective dates, inclusive\n"
            "  --from-seq N                       start at seq N\n"
            "  --limit N                          at most N events (default: all)\n"
            "  --order seq|date                   order of the output\n",
        },
    [CMD_COALITIONS] =
        {
            "coalitions",
            COMMON_OPTIONS,
            0,
            0,
            "coalitions",
            "The coalitions, with their member counts today and their numbers of events.\n",
        },
    [CMD_FOLLOW] =
        {
            "follow",
            COMMON_OPTIONS "from-seq",
            0,
            1,
            "follow [COALITION] [--from-seq N]",
            "Print events as they are appended, until interrupted.\n"
            "\n"
            "  --from-seq N                       start with the stored events from seq N\n",
        },
    [CMD_STATUS] =
        {
            "status",
            COMMON_OPTIONS,
            0,
            0,
            "status",
            "Daemon and store figures.\n",
        },
    [CMD_VERIFY] =
        {
            "verify",
            COMMON_OPTIONS,
            0,
            0,
            "verify",
            "Check every record of the log. Exit 0 only if all are sound, 5 if damage\n"
            "was found.\n",
        },
};

const char *cli_command_name(enum command command)
{
    return command > CMD_NONE && command < CMD_COUNT ? commands[command].name : "rollcall";
}

static enum command command_from_name(const char *name)
{
    for (int c = CMD_NONE + 1; c < CMD_COUNT; c++) {
        if (strcmp(commands[c].name, name) == 0)
            return (enum command)c;
    }
    return CMD_NONE;
}

/* ---- help --------------------------------------------------------------------- */

static const char global_help[] =
    "usage: rollcall [--socket PATH] [--format table|json|tsv] [--json] COMMAND ...\n"
    "\n"
    "The client of rollcalld: records coalition membership events and asks who\n"
    "was in, when.\n"
    "\n"
    "commands:\n"
    "  record      append one fact\n"
    "  correct     append a correction of a fact\n"
    "  retract     append a retraction of a fact\n"
    "  import      append events from JSON Lines\n"
    "  export      print every event as JSON Lines\n"
    "  state       membership of a coalition, now or then\n"
    "  timeline    membership changes with the running count\n"
    "  history     events\n"
    "  coalitions  the coalitions, with member counts\n"
    "  follow      print events as they are appended\n"
    "  status      daemon and store figures\n"
    "  verify      check every record of the log\n"
    "\n"
    "options (also accepted after the command):\n"
    "  --socket PATH     the daemon's socket (default: $ROLLCALL_SOCKET, else\n"
    "                    /run/rollcall/rollcall.sock for root, else\n"
    "                    $XDG_RUNTIME_DIR/rollcall.sock or /tmp/rollcall-$UID/rollcall.sock)\n"
    "  --format FORMAT   table (the default on a terminal), json, or tsv (the\n"
    "                    default otherwise)\n"
    "  --json            --format json\n"
    "  -h, --help        this help; `rollcall COMMAND --help` for a command's\n"
    "  --version         the version\n"
    "\n"
    "exit codes: 0 success, 1 the daemon answered with an error (or bad input),\n"
    "2 usage error, 3 no daemon at the socket, 4 conflict, 5 verify found damage.\n";

void cli_help(enum command command, FILE *out)
{
    if (command <= CMD_NONE || command >= CMD_COUNT) {
        fputs(global_help, out);
        return;
    }
    fprintf(out, "usage: rollcall %s\n\n%s", commands[command].usage, commands[command].help);
    fputs("\nAlso: --socket PATH, --format table|json|tsv, --json, --help.\n", out);
}

/* ---- parsing helpers ------------------------------------------------------------- */

static int usage(struct cli_options *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage(struct cli_options *opts, const char *fmt, ...)
{
    va_list ap;
    size_t n = 0;

    /* Every message about a command's arguments starts with the command. */
    if (opts->command != CMD_NONE)
        n = (size_t)snprintf(opts->error, sizeof opts->error,
                             "%s: ", cli_command_name(opts->command));
    va_start(ap, fmt);
    vsnprintf(opts->error + n, sizeof opts->error - n, fmt, ap);
    va_end(ap);
    return EXIT_USAGE;
}

/* A decimal number in [min, max]: digits only, no sign, no blanks. */
static bool parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t value = 0;

    if (text[0] == '\0')
        return false;
    for (const char *s = text; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned digit = (unsigned)(*s - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    if (value < min || value > max)
        return false;
    *out = value;
    return true;
}

static int number_option(struct cli_options *opts, const char *option, const char *text,
                         uint64_t min, uint64_t max, uint64_t *out)
{
    if (!parse_number(text, min, max, out))
        return usage(opts, "--%s: expected a number from %llu to %llu, got '%s'", option,
                     (unsigned long long)min, (unsigned long long)max, text);
    return EXIT_OK;
}

static int date_option(struct cli_options *opts, const char *option, const char *text,
                       const char **out)
{
    struct rc_date date;
    const char *why = "not a date";

    if (!rc_date_parse(text, strlen(text), &date, &why))
        return usage(opts, "--%s: %s (got '%s'; a date is YYYY-MM-DD, YYYY-MM or YYYY)", option,
                     why, text);
    *out = text;
    return EXIT_OK;
}

static int format_option(struct cli_options *opts, const char *text)
{
    if (strcmp(text, "table") == 0)
        opts->format = FORMAT_TABLE;
    else if (strcmp(text, "json") == 0)
        opts->format = FORMAT_JSON;
    else if (strcmp(text, "tsv") == 0)
        opts->format = FORMAT_TSV;
    else
        return usage(opts, "--format: expected table, json or tsv, got '%s'", text);
    return EXIT_OK;
}

static int type_option(struct cli_options *opts, const char *option, const char *text,
                       enum event_type *type)
{
    if (!event_type_from_name(text, strlen(text), type))
        return usage(opts,
                     "--%s: unknown event type '%s' (established, signed, ratified, adhered, "
                     "withdrew, announced, corrected, retracted)",
                     option, text);
    return EXIT_OK;
}

/* --unset FIELD: a field a fact may lack. type and date it can't. */
static int unset_option(struct cli_options *opts, const char *text)
{
    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        if (strcmp(event_field_name(f), text) != 0)
            continue;
        if (f == FIELD_ID)
            return usage(opts, "--unset id: a fact carries no id");
        if (f == FIELD_TYPE || f == FIELD_DATE || f == FIELD_COALITION)
            return usage(opts, "--unset %s: a fact can't be without its %s", text, text);
        opts->unset[f] = true;
        return EXIT_OK;
    }
    return usage(opts, "--unset: no field '%s'", text);
}

/* Builds the getopt_long table of a command from its option names. */
static size_t build_long_options(const char *names, struct option *table, size_t size)
{
    size_t n = 0;

    while (*names != '\0' && n + 1 < size) {
        size_t len = strcspn(names, " ");
        for (size_t d = 0; d < sizeof option_defs / sizeof option_defs[0]; d++) {
            if (strlen(option_defs[d].name) == len &&
                memcmp(option_defs[d].name, names, len) == 0) {
                table[n++] = (struct option){ option_defs[d].name, option_defs[d].has_arg, NULL,
                                              option_defs[d].id };
                break;
            }
        }
        names += len;
        while (*names == ' ')
            names++;
    }
    table[n] = (struct option){ NULL, 0, NULL, 0 };
    return n;
}

/* Names the option getopt just refused, for the message. */
static const char *refused_option(char **argv, char *buf, size_t size)
{
    if (optopt != 0 && optopt < 256) {
        snprintf(buf, size, "-%c", optopt);
        return buf;
    }
    return argv[optind - 1];
}

/* ---- one option of a command --------------------------------------------------- */

static int command_option(struct cli_options *opts, int id, const char *name, const char *arg)
{
    enum command cmd = opts->command;
    enum event_type type;
    int rc;

    switch (id) {
    case OPT_HELP:
        opts->action = ACTION_HELP;
        return EXIT_OK;
    case OPT_SOCKET:
        opts->socket = arg;
        return EXIT_OK;
    case OPT_FORMAT:
        return format_option(opts, arg);
    case OPT_JSON:
        opts->format = FORMAT_JSON;
        return EXIT_OK;
    case OPT_EXPECT_HEAD:
        opts->has_expect_head = true;
        return number_option(opts, name, arg, 0, INT64_MAX, &opts->expect_head);
    case OPT_UNSET:
        return unset_option(opts, arg);
    case OPT_ON:
        return date_option(opts, name, arg, &opts->on);
    case OPT_REASON:
        opts->reason = arg;
        return EXIT_OK;
    case OPT_BATCH: {
        uint64_t batch = 0;
        if ((rc = number_option(opts, name, arg, 1, RC_MAX_BATCH, &batch)) == EXIT_OK)
            opts->batch = (unsigned)batch;
        return rc;
    }
    case OPT_AT:
        return date_option(opts, name, arg, &opts->at);
    case OPT_SINCE:
        return date_option(opts, name, arg, &opts->since);
    case OPT_UNTIL:
        return date_option(opts, name, arg, &opts->until);
    case OPT_AS_OF_SEQ:
        opts->has_as_of_seq = true;
        return number_option(opts, name, arg, 0, INT64_MAX, &opts->as_of_seq);
    case OPT_AS_RECORDED: {
        int64_t us;
        if (!rc_time_parse(arg, strlen(arg), &us))
            return usage(opts, "--as-recorded: not an RFC 3339 time: '%s'", arg);
        opts->as_recorded = arg;
        return EXIT_OK;
    }
    case OPT_FROM_SEQ:
        opts->has_from_seq = true;
        return number_option(opts, name, arg, 1, INT64_MAX, &opts->from_seq);
    case OPT_LIMIT:
        opts->has_limit = true;
        return number_option(opts, name, arg, 1, INT64_MAX, &opts->limit);
    case OPT_ORDER:
        if (strcmp(arg, "seq") != 0 && strcmp(arg, "date") != 0)
            return usage(opts, "--order: expected seq or date, got '%s'", arg);
        opts->order_by_date = strcmp(arg, "date") == 0;
        return EXIT_OK;
    default:
        break;
    }

    /* An event field; history reads --country and --type as filters. */
    enum event_field field = (enum event_field)(id - OPT_FIELD);
    if (cmd == CMD_HISTORY && field == FIELD_COUNTRY) {
        opts->country = arg;
        return EXIT_OK;
    }
    if (field == FIELD_TYPE) {
        if ((rc = type_option(opts, name, arg, &type)) != EXIT_OK)
            return rc;
        if (cmd == CMD_HISTORY) {
            opts->types |= 1u << type;
            return EXIT_OK;
        }
        if (!event_type_is_fact(type))
            return usage(opts, "--type: a fact's type can't be '%s'", arg);
    }
    opts->field[field] = arg;
    return EXIT_OK;
}

/* ---- operands ------------------------------------------------------------------ */

static int record_operands(struct cli_options *opts, char **operands, int count)
{
    enum event_type type;

    if (!event_type_from_name(operands[0], strlen(operands[0]), &type))
        return usage(opts,
                     "unknown event type '%s' (established, signed, ratified, adhered, "
                     "withdrew or announced)",
                     operands[0]);
    if (type == EVENT_CORRECTED)
        return usage(opts, "use `rollcall correct SEQ` to correct a fact");
    if (type == EVENT_RETRACTED)
        return usage(opts, "use `rollcall retract SEQ --note WHY` to retract a fact");
    /* After TYPE: COALITION DATE, or COALITION COUNTRY DATE for types with a country. */
    bool takes_country = event_type_is_membership(type) || type == EVENT_ANNOUNCED;
    if (count == 4 && !takes_country)
        return usage(opts, "%s takes COALITION DATE (an '%s' event has no country)", operands[0],
                     operands[0]);
    if (count == 3 && event_type_is_membership(type))
        return usage(opts, "%s takes COALITION COUNTRY DATE", operands[0]);
    opts->field[FIELD_TYPE] = operands[0];
    opts->field[FIELD_COALITION] = operands[1];
    if (count == 4)
        opts->field[FIELD_COUNTRY] = operands[2];
    opts->field[FIELD_DATE] = operands[count - 1];
    return EXIT_OK;
}

static int seq_operand(struct cli_options *opts, const char *text)
{
    if (!parse_number(text, 1, INT64_MAX, &opts->target))
        return usage(opts, "SEQ must be a positive number, got '%s'", text);
    return EXIT_OK;
}

static int check_correct(struct cli_options *opts)
{
    bool change = false;

    for (int f = 0; f < FIELD_STRING_COUNT; f++) {
        if (f == FIELD_ID)
            continue; /* the correction's own id changes nothing in the fact */
        if (opts->field[f] && opts->unset[f])
            return usage(opts, "--%s and --unset %s contradict each other", event_field_name(f),
                         event_field_name(f));
        change |= opts->field[f] != NULL || opts->unset[f];
    }
    if (!change)
        return usage(opts, "nothing to change: give a field option or --unset FIELD");
    return EXIT_OK;
}

static int command_operands(struct cli_options *opts, char **operands, int count)
{
    const struct command_def *def = &commands[opts->command];

    if (count < def->min_operands || count > def->max_operands)
        return usage(opts, "%s (usage: rollcall %s)",
                     count < def->min_operands ? "missing operands" : "too many operands",
                     def->usage);
    switch (opts->command) {
    case CMD_RECORD:
        return record_operands(opts, operands, count);
    case CMD_CORRECT: {
        int rc = seq_operand(opts, operands[0]);
        return rc != EXIT_OK ? rc : check_correct(opts);
    }
    case CMD_RETRACT:
        if (opts->field[FIELD_NOTE] == NULL)
            return usage(opts, "--note WHY is required: say why the fact never happened");
        return seq_operand(opts, operands[0]);
    case CMD_IMPORT:
        opts->file = count ? operands[0] : NULL;
        return EXIT_OK;
    case CMD_STATE:
        if (opts->has_as_of_seq && opts->as_recorded)
            return usage(opts, "give --as-of-seq or --as-recorded, not both");
        opts->coalition = operands[0];
        return EXIT_OK;
    case CMD_TIMELINE:
        if (opts->has_as_of_seq && opts->as_recorded)
            return usage(opts, "give --as-of-seq or --as-recorded, not both");
        opts->coalition = operands[0];
        return EXIT_OK;
    case CMD_EXPORT:
    case CMD_HISTORY:
    case CMD_FOLLOW:
        opts->coalition = count ? operands[0] : NULL;
        return EXIT_OK;
    default:
        return EXIT_OK;
    }
}

/* ---- the whole line ------------------------------------------------------------- */

static int parse_command(int argc, char **argv, struct cli_options *opts)
{
    const struct command_def *def = &commands[opts->command];
    struct option table[sizeof option_defs / sizeof option_defs[0] + 1];
    char buf[8];
    int id, rc;

    build_long_options(def->options, table, sizeof table / sizeof table[0]);
    optind = 0; /* GNU: start afresh, argv[0] being the command */
    opterr = 0;
    while ((id = getopt_long(argc, argv, ":h", table, NULL)) != -1) {
        if (id == '?')
            return usage(opts, "unknown option '%s'", refused_option(argv, buf, sizeof buf));
        if (id == ':')
            return usage(opts, "option '%s' needs a value", refused_option(argv, buf, sizeof buf));
        const char *name = "";
        for (size_t t = 0; table[t].name; t++) {
            if (table[t].val == id)
                name = table[t].name;
        }
        if ((rc = command_option(opts, id, name, optarg)) != EXIT_OK)
            return rc;
    }
    if (opts->action == ACTION_HELP)
        return EXIT_OK;
    return command_operands(opts, argv + optind, argc - optind);
}

int cli_parse(int argc, char **argv, struct cli_options *opts)
{
    static const struct option global[] = {
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
        { "socket", required_argument, NULL, OPT_SOCKET },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "json", no_argument, NULL, OPT_JSON },
        { NULL, 0, NULL, 0 },
    };
    char buf[8];
    int id, rc;

    memset(opts, 0, sizeof *opts);
    opts->batch = IMPORT_BATCH_DEFAULT;
    optind = 0;
    opterr = 0;
    /* '+': stop at the command; what follows it is the command's. */
    while ((id = getopt_long(argc, argv, "+:h", global, NULL)) != -1) {
        if (id == '?')
            return usage(opts, "unknown option '%s'", refused_option(argv, buf, sizeof buf));
        if (id == ':')
            return usage(opts, "option '%s' needs a value", refused_option(argv, buf, sizeof buf));
        if (id == OPT_VERSION) {
            opts->action = ACTION_VERSION;
            return EXIT_OK;
        }
        /* --help, --socket, --format, --json: as a command's own options are. */
        if ((rc = command_option(opts, id, "", optarg)) != EXIT_OK)
            return rc;
    }
    if (opts->action == ACTION_HELP)
        return EXIT_OK;
    if (optind >= argc)
        return usage(opts, "no command given (see rollcall --help)");

    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        opts->action = ACTION_HELP;
        if (optind + 1 < argc && (opts->command = command_from_name(argv[optind + 1])) == CMD_NONE)
            return usage(opts, "help: unknown command '%s'", argv[optind + 1]);
        return EXIT_OK;
    }
    if ((opts->command = command_from_name(name)) == CMD_NONE)
        return usage(opts, "unknown command '%s' (see rollcall --help)", name);
    return parse_command(argc - optind, argv + optind, opts);
}
