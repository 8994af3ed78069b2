/*
 * keys.h — every key of the wire contract's maps, spelled once: the
 * parameters of requests, the fields of results and errors, and the fields of
 * events. rollcalld, rollcall and the event schema (event.c) all use these
 * names; neither program spells a key itself.
 */
#ifndef ROLLCALL_KEYS_H
#define ROLLCALL_KEYS_H

/* Request parameters (protocol.md, per method). */
#define RC_KEY_CLIENT      "client"
#define RC_KEY_COALITION   "coalition"
#define RC_KEY_AT          "at"
#define RC_KEY_AS_OF_SEQ   "as_of_seq"
#define RC_KEY_AS_RECORDED "as_recorded"
#define RC_KEY_SINCE       "since"
#define RC_KEY_UNTIL       "until"
#define RC_KEY_COUNTRY     "country"
#define RC_KEY_TYPES       "types"
#define RC_KEY_FROM_SEQ    "from_seq"
#define RC_KEY_LIMIT       "limit"
#define RC_KEY_ORDER       "order"
#define RC_KEY_EVENTS      "events"
#define RC_KEY_EXPECT_HEAD "expect_head"

/* Results: hello and status. */
#define RC_KEY_SERVER     "server"
#define RC_KEY_VERSION    "version"
#define RC_KEY_PROTOCOL   "protocol"
#define RC_KEY_WRITER     "writer"
#define RC_KEY_HEAD       "head"
#define RC_KEY_UPTIME_S   "uptime_s"
#define RC_KEY_SEGMENTS   "segments"
#define RC_KEY_BYTES      "bytes"
#define RC_KEY_DATA_DIR   "data_dir"
#define RC_KEY_FSYNC      "fsync"
#define RC_KEY_CLIENTS    "clients"
#define RC_KEY_FOLLOWERS  "followers"
#define RC_KEY_READ_ONLY  "read_only"
#define RC_KEY_LAST_ERROR "last_error"

/* Results: append, history, follow_ended. */
#define RC_KEY_SEQS     "seqs"
#define RC_KEY_RECORDED "recorded"
#define RC_KEY_NEXT_SEQ "next_seq"

/* Results: state, timeline, coalitions. */
#define RC_KEY_SLUG          "slug"
#define RC_KEY_ESTABLISHED   "established"
#define RC_KEY_COUNT         "count"
#define RC_KEY_MEMBERS       "members"
#define RC_KEY_PLEDGED       "pledged"
#define RC_KEY_FORMER        "former"
#define RC_KEY_STATUS        "status"
#define RC_KEY_LEFT          "left"
#define RC_KEY_ORDINAL       "ordinal"
#define RC_KEY_ACTS          "acts"
#define RC_KEY_ANNOUNCEMENTS "announcements"
#define RC_KEY_COMMITMENTS   "commitments"
#define RC_KEY_POINTS        "points"
#define RC_KEY_COALITIONS    "coalitions"

/* Results: verify. */
#define RC_KEY_OK      "ok"
#define RC_KEY_CHECKED "checked"
#define RC_KEY_ERRORS  "errors"
#define RC_KEY_SEGMENT "segment"
#define RC_KEY_OFFSET  "offset"

/* Errors: the error map and its details. */
#define RC_KEY_CODE    "code"
#define RC_KEY_MESSAGE "message"
#define RC_KEY_FIELD   "field"
#define RC_KEY_INDEX   "index"

/* Event fields (events.md): also the keys of the event maps in results. */
#define RC_KEY_SEQ        "seq"
#define RC_KEY_TYPE       "type"
#define RC_KEY_DATE       "date"
#define RC_KEY_NAME       "name"
#define RC_KEY_BASIS      "basis"
#define RC_KEY_PURPOSE    "purpose"
#define RC_KEY_VENUE      "venue"
#define RC_KEY_SPEAKER    "speaker"
#define RC_KEY_COMMITMENT "commitment"
#define RC_KEY_TEXT       "text"
#define RC_KEY_ID         "id"
#define RC_KEY_SOURCE     "source"
#define RC_KEY_NOTE       "note"
#define RC_KEY_TARGET     "target"
#define RC_KEY_FACT       "fact"

#endif
