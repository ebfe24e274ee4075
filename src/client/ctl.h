/* ctl.h - what batonctl's verb files share: global options, connecting, calling, reporting. */
#ifndef BATON_CLIENT_CTL_H
#define BATON_CLIENT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/events.pb-c.h"
#include "baton/v1/identity.pb-c.h"
#include "baton/v1/oncall.pb-c.h"
#include "baton/v1/shifts.pb-c.h"
#include "baton/v1/tickets.pb-c.h"
#include "common/textbuf.h"

#define EXIT_RPC   1 /* the call failed: status and message on stderr */
#define EXIT_USAGE 2

typedef struct ctl_globals {
	const char *url;
	const char *key_file;   /* the principal's key file; NULL: none */
	const char *server_key; /* printable key or a file holding it; NULL: none */
	int64_t     timeout_ms;
	bool        json;
} ctl_globals;

/* Prints "batonctl: ..." and a hint to stderr; returns EXIT_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool ctl_parse_int(const char *s, long long min, long long max, long long *out);

/* Prints a failed call (stderr; with --json also a JSON line on stdout);
 * returns EXIT_RPC. */
int ctl_report_failure(const ctl_globals *g, const char *verb, const baton_result *res);

/* Opens a client; with need_key, a key and a server key must be
 * configured. NULL after reporting why. */
baton_client *ctl_connect(const ctl_globals *g, const char *verb, bool need_key);

/*
 * Calls method with msg and unpacks the reply as reply_desc into *reply
 * (caller frees with protobuf_c_message_free_unpacked). A state-changing
 * call is signed, and when its outcome is unknown (connection lost, no
 * reply in time) it is sent again with the same request id, which the
 * server answers at most once. Returns 0, or the exit status after
 * reporting the failure.
 */
int ctl_call(const ctl_globals *g, const char *verb, baton_client *c, const char *method,
    const ProtobufCMessage *msg, bool changes_state, const ProtobufCMessageDescriptor *reply_desc,
    ProtobufCMessage **reply);

/* Formats ms since the epoch as "2026-11-22 21:05Z" ("-" for 0). */
void ctl_time(int64_t unix_ms, char *buf, size_t len);

/* The printf field width ("%-*s") that pads s to width terminal columns:
 * printf counts bytes, so free text in UTF-8 ("Łucja Wiśniewska") needs
 * one more per continuation byte to line up with the rows below it. */
int ctl_cols(const char *s, int width);

/* Shared printing and argument helpers (ctl_identity.c). */
void ctl_json_key(textbuf *t, const Baton__V1__Key *k);
void ctl_print_key_line(const Baton__V1__Key *k);
void ctl_print_json_ok(const char *key, const char *value);
/* A public key given as text or as a file holding it, as printable text
 * (out: BATON_PUBLIC_KEY_TEXT bytes); 0 or EXIT_USAGE after saying why. */
int ctl_public_key_arg(const char *verb, const char *arg, char out[BATON_PUBLIC_KEY_TEXT]);
/* Parses "ARG [--flag VALUE]"; 0, -1 after printing usage for --help, or
 * EXIT_USAGE. */
int ctl_one_arg_with(const char *verb, int argc, char **argv, const char *flag, const char **arg,
    const char **value, const char *usage);

/* Verbs (ctl_identity.c, ctl_key.c). argv[0] is the verb. */
int ctl_keygen(const ctl_globals *g, int argc, char **argv);
int ctl_whoami(const ctl_globals *g, int argc, char **argv);
int ctl_org(const ctl_globals *g, int argc, char **argv);
int ctl_principal(const ctl_globals *g, int argc, char **argv);
int ctl_key(const ctl_globals *g, int argc, char **argv);
/* ctl_slot.c, ctl_swap.c, ctl_oncall.c. */
int ctl_slot(const ctl_globals *g, int argc, char **argv);
int ctl_swap(const ctl_globals *g, int argc, char **argv);
int ctl_oncall(const ctl_globals *g, int argc, char **argv);
int ctl_coverage(const ctl_globals *g, int argc, char **argv);
/* ctl_ticket.c, ctl_watch.c. */
int ctl_ticket(const ctl_globals *g, int argc, char **argv);
int ctl_watch(const ctl_globals *g, int argc, char **argv);
/* ctl_sla.c (also `ticket sla`, from ctl_ticket.c), ctl_escalation.c. */
int ctl_sla(const ctl_globals *g, int argc, char **argv);
int ctl_ticket_sla(const ctl_globals *g, int argc, char **argv);
int ctl_escalate(const ctl_globals *g, int argc, char **argv);
int ctl_escalation(const ctl_globals *g, int argc, char **argv);

/* ctl_audit.c, ctl_report.c. */
int ctl_audit(const ctl_globals *g, int argc, char **argv);
int ctl_report(const ctl_globals *g, int argc, char **argv);

/* ---- files replaced atomically (ctl_file.c) -------------------------------- */

/* A file being written: a temporary file beside path (mode 0600) that
 * ctl_file_commit renames over path, so a reader (or a crash) sees the old
 * file or the whole new one, never a part. */
typedef struct ctl_file {
	int         fd;
	const char *verb; /* for messages: "batonctl VERB: ..." */
	const char *path; /* NULL once discarded */
	char        tmp[4096];
} ctl_file;

/* Each returns 0, or EXIT_RPC after saying on stderr what failed (the
 * temporary file is then removed). verb and path must outlive f. */
int ctl_file_begin(ctl_file *f, const char *verb, const char *path);
int ctl_file_write(ctl_file *f, const void *data, size_t len);
/* Flushes, closes and renames over path, then flushes the folder. */
int ctl_file_commit(ctl_file *f);
/* Closes and removes the temporary file; f NULL or already done is fine. */
void ctl_file_discard(ctl_file *f);
/* begin, write data[0..len), commit. */
int ctl_file_replace(const char *verb, const char *path, const void *data, size_t len);

/* ---- times (ctl_when.c: pure functions, no output) ----------------------- */

/*
 * Parses a time T from the command line: "now", "now+90m", "now-1h",
 * "now+3d" (m, h, d), or ISO 8601 with a zone: "2026-11-27T18:00Z",
 * "2026-11-27T18:00:30Z", "2026-11-27 18:00Z", offsets "+01:00", "-05:00",
 * "+0100" (optional fraction of a second). A time without a zone is
 * refused. Returns 0 with *out_ms (ms since the epoch), or -1 with why
 * (quoting s) in why[0..why_len).
 */
int ctl_parse_when(const char *s, int64_t now_ms, int64_t *out_ms, char *why, size_t why_len)
    __attribute__((warn_unused_result));
/* Whether s is "YYYY-MM-DD" naming a real day. */
bool ctl_local_day_ok(const char *s);
/* Whether s is "HH:MM", 00:00 to 23:59. */
bool ctl_local_hhmm_ok(const char *s);
/* Whether zone is in the time zone database glibc reads ($TZDIR or
 * /usr/share/zoneinfo, Debian's tzdata). */
bool ctl_zone_known(const char *zone);
/* How ctl_time_in_zone writes a time. */
typedef enum ctl_zone_style {
	CTL_ZONE_LONG,  /* "Fri 2026-11-27 18:00" */
	CTL_ZONE_SHORT, /* "Fri 18:00" */
	CTL_ZONE_NAMED, /* "Fri 2026-11-27 18:00 CET" (the zone's abbreviation then) */
} ctl_zone_style;
/*
 * Formats unix_ms as wall-clock time in zone (NULL or "": UTC), using
 * glibc's tz database: sets TZ for the moment and puts it back, so not for
 * threaded programs. Returns 0, or -1 (buf "") if the zone is unknown.
 */
int ctl_time_in_zone(int64_t unix_ms, const char *zone, ctl_zone_style style, char *buf, size_t len);
/* "2026-11-27T18:00:00Z". */
void ctl_time_iso(int64_t unix_ms, char *buf, size_t len);

/* ---- what the shift verbs share (ctl_shifts.c) --------------------------- */

/* A flag of one action: "--name VALUE" (value set) or a switch (value NULL). */
typedef struct ctl_flag {
	const char  *name;
	const char **value; /* where the text goes; NULL for a switch */
	bool        *given; /* set true when the flag is given; may be NULL for a value flag */
} ctl_flag;

/*
 * Parses argv (argv[0] the action) with getopt_long against flags. With
 * arg_name, exactly one positional argument goes to *arg; without, none
 * is allowed. Returns 0; -1 after printing usage for --help; or
 * EXIT_USAGE after saying what is wrong.
 */
int ctl_flags_parse(const char *verb, int argc, char **argv, const ctl_flag *flags, size_t n_flags,
    const char *usage, const char *arg_name, const char **arg);
/* ctl_connect, ctl_call (see there), close: 0 with *reply, or EXIT_RPC. */
int ctl_connect_call(const ctl_globals *g, const char *verb, const char *method, const ProtobufCMessage *msg,
    bool changes_state, const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply);
/* A flag's integer in [min, max]; 0 or EXIT_USAGE. */
int ctl_flag_int(const char *verb, const char *flag, const char *text, long long min, long long max,
    int32_t *out);
/* A flag's time T (see ctl_parse_when); 0 or EXIT_USAGE. */
int ctl_flag_when(const char *verb, const char *flag, const char *text, int64_t now_ms, int64_t *out_ms);
/* "a,b,c" split in place (text is modified) into items[0..*n); "" gives
 * none. 0 or EXIT_USAGE when there are more than max. */
int ctl_flag_list(const char *verb, const char *flag, char *text, char **items, size_t max, size_t *n);
/* --release-cutoff-h H|none as release_cutoff_s: H*3600, -1 for none or
 * 0 (release until the start); 0 or EXIT_USAGE. */
int ctl_flag_cutoff(const char *verb, const char *text, int64_t *out_s);
/* --swap-approval: none, manager or lead; 0 or EXIT_USAGE. */
int ctl_flag_approval(const char *verb, const char *text);

/*
 * Output of the shift verbs. JSON goes through a textbuf that is written
 * to stdout whenever an element is complete (ctl_out_flush), so long
 * lists need no big buffer; ctl_out_end ends the line.
 */
void ctl_out_begin(textbuf *t);
void ctl_out_flush(textbuf *t);
void ctl_out_end(textbuf *t);
void ctl_json_slot(textbuf *t, const Baton__V1__Slot *s);
void ctl_json_claim(textbuf *t, const Baton__V1__Claim *c);
void ctl_json_swap(textbuf *t, const Baton__V1__Swap *w);
/* Ranges as {"from_unix_ms":..,"to_unix_ms":..,"from":"ISO","to":"ISO"}. */
void ctl_json_range(textbuf *t, int64_t from_ms, int64_t to_ms);
/* Tables for people, or one JSON object per line with --json. */
void ctl_print_slots(const ctl_globals *g, Baton__V1__Slot *const *slots, size_t n);
void ctl_print_claims(const ctl_globals *g, Baton__V1__Claim *const *claims, size_t n);
void ctl_print_swaps(const ctl_globals *g, Baton__V1__Swap *const *swaps, size_t n);
/* Every field of a slot, then its claims and swaps (slot show). */
void ctl_print_slot_detail(const ctl_globals *g, const Baton__V1__Slot *s, Baton__V1__Swap *const *swaps,
    size_t n_swaps);

#endif
