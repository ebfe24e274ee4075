/* ctl_watch.c - batonctl watch: follows the event log with long polls, resuming from a cursor kept in a file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baton/v1/events.pb-c.h"
#include "client/ctl.h"
#include "common/clock.h"
#include "common/textbuf.h"

static const char usage_watch[] =
    "Usage: batonctl watch [--cursor C | --cursor-file F] [--from-now | --from-start]\n"
    "           [--kinds K[,K]] [--subject S] [--count N] [--for SECONDS] [--wait-ms MS]\n"
    "Prints events as they happen, oldest first, each once: time (UTC), kind, subject,\n"
    "actor, organization and what changed. With --json: one object per line with every\n"
    "field of the event and its cursor. Partners see their organization's events.\n"
    "  --cursor C       start after C (an event's cursor, or one printed before)\n"
    "  --cursor-file F  start after the cursor saved in F, and save the cursor there\n"
    "                   (mode 0600, replaced atomically) after each batch is printed, so\n"
    "                   that a restart goes on with no gap and no duplicate. A missing\n"
    "                   or empty F starts as --from-now or --from-start say.\n"
    "  --from-now       without a cursor, only what happens from now on (the default)\n"
    "  --from-start     without a cursor, from the oldest event\n"
    "  --kinds K,K      only kinds starting with one of these (ticket., claim.added)\n"
    "  --subject S      only events about S (a ticket's id, a slot's id, ...)\n"
    "  --count N        stop after N events (1..1000000)\n"
    "  --for SECONDS    stop after this long (1..31536000)\n"
    "  --wait-ms MS     how long each call may wait on the server for something to\n"
    "                   happen (0..600000; default 25000, capped by the server's\n"
    "                   --max-call-ms); each call's deadline is --timeout-ms plus this\n"
    "Without --count or --for it runs until SIGINT or SIGTERM and then exits 0: a batch\n"
    "already printed is saved first; one still on its way is left for the next run.\n"
    "A server with no room for another waiting call says when to ask again; watch does.\n";

#define N_ITEMS(a)     (sizeof(a) / sizeof((a)[0]))
#define MAX_KINDS      32
#define CURSOR_BYTES   128
#define SLICE_MS       100
#define MIN_ROUND_MS   1000 /* an empty answer comes at most this often when waits are short */

/* Set by SIGINT/SIGTERM. While a call is on its way nothing of its batch
 * has been printed or saved, so the handler may end the process at once:
 * the next run asks for the same events again. */
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t in_call;

static void on_signal(int sig)
{
	if (in_call)
		_exit(0);
	stop_signal = sig;
}

/* "batonctl watch: <what> '<path>': <errno text>"; returns EXIT_RPC. */
static int watch_fail(const char *what, const char *path, int err)
{
	fprintf(stderr, "batonctl watch: %s '%s': %s\n", what, path, strerror(err));
	return EXIT_RPC;
}

/* ---- the cursor file ------------------------------------------------------ */

/* The saved cursor, or "" when the file is missing or empty. */
static int cursor_file_read(const char *path, char cursor[CURSOR_BYTES])
{
	FILE *f = fopen(path, "r");
	size_t n;

	cursor[0] = '\0';
	if (f == NULL)
		return errno == ENOENT ? 0 : watch_fail("cannot read the cursor file", path, errno);
	if (fgets(cursor, CURSOR_BYTES, f) == NULL && ferror(f)) {
		int err = errno;
		fclose(f);
		return watch_fail("cannot read the cursor file", path, err);
	}
	fclose(f);
	n = strcspn(cursor, "\r\n");
	if (n == CURSOR_BYTES - 1) {
		fprintf(stderr, "batonctl watch: the cursor file '%s' does not hold a cursor (its first line is too long)\n",
		    path);
		return EXIT_RPC;
	}
	cursor[n] = '\0';
	return 0;
}

/* Replaces the file's content by cursor atomically (ctl_file_replace), so
 * a reader (or a crash) sees the old cursor or the new one, never a mix. */
static int cursor_file_write(const char *path, const char *cursor)
{
	char line[CURSOR_BYTES + 1];
	size_t len = (size_t)snprintf(line, sizeof(line), "%s\n", cursor);

	return ctl_file_replace("watch", path, line, len);
}

/* ---- output ------------------------------------------------------------------ */

static const char *or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static void print_event(const ctl_globals *g, const Baton__V1__Event *e)
{
	char at[32];
	textbuf t;

	ctl_time_iso(e->at_unix_ms, at, sizeof(at));
	if (!g->json) {
		printf("%s  %-24s %-36s %-16s %-16s %s\n", at, e->kind, or_dash(e->subject),
		    e->actor[0] != '\0' ? e->actor : "(batond)", or_dash(e->org), e->body_json);
		return;
	}
	ctl_out_begin(&t);
	textbuf_printf(&t, "{\"id\":%lld,\"cursor\":", (long long)e->id);
	textbuf_json_str(&t, e->cursor);
	textbuf_printf(&t, ",\"at_unix_ms\":%lld,\"at\":\"%s\",\"kind\":", (long long)e->at_unix_ms, at);
	textbuf_json_str(&t, e->kind);
	textbuf_puts(&t, ",\"subject\":");
	textbuf_json_str(&t, e->subject);
	textbuf_puts(&t, ",\"org\":");
	textbuf_json_str(&t, e->org);
	textbuf_puts(&t, ",\"actor\":");
	textbuf_json_str(&t, e->actor);
	textbuf_puts(&t, ",\"method\":");
	textbuf_json_str(&t, e->method);
	textbuf_printf(&t, ",\"signed\":%s,\"body\":", e->signed_ ? "true" : "false");
	/* The server sends a JSON object (PostgreSQL's jsonb text): inline it;
	 * anything else goes as a string, so the line stays JSON. */
	size_t n = strlen(e->body_json);
	if (n >= 2 && e->body_json[0] == '{' && e->body_json[n - 1] == '}')
		textbuf_puts(&t, e->body_json);
	else
		textbuf_json_str(&t, e->body_json);
	textbuf_putc(&t, '}');
	ctl_out_end(&t);
}

/* ---- the loop ------------------------------------------------------------------ */

/* Sleeps ms, or less when a signal came or until_ns (if set) passes. */
static void pause_ms(int64_t ms, uint64_t until_ns)
{
	uint64_t end = clock_monotonic_ns() + (uint64_t)ms * 1000000u;

	if (until_ns != 0 && until_ns < end)
		end = until_ns;
	while (!stop_signal) {
		uint64_t now = clock_monotonic_ns();
		if (now >= end)
			break;
		uint64_t ns = end - now < (uint64_t)SLICE_MS * 1000000u ? end - now : (uint64_t)SLICE_MS * 1000000u;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ns };
		nanosleep(&ts, NULL);
	}
}

static int signals_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
		fprintf(stderr, "batonctl watch: cannot catch SIGINT and SIGTERM: %s\n", strerror(errno));
		return EXIT_RPC;
	}
	return 0;
}

typedef struct watch_opts {
	const char *cursor, *cursor_file, *kinds, *subject, *count_text, *for_text, *wait_text;
	bool        from_now, from_start;
	char       *kind_list[MAX_KINDS];
	char        kinds_text[4096];
	size_t      n_kinds;
	long long   count, for_s, wait_ms;
} watch_opts;

static int opts_finish(watch_opts *o)
{
	if (o->cursor != NULL && o->cursor_file != NULL)
		return ctl_usage_error("watch: give --cursor or --cursor-file, not both");
	if (o->from_now && o->from_start)
		return ctl_usage_error("watch: give --from-now or --from-start, not both");
	if (o->cursor != NULL && (o->from_now || o->from_start))
		return ctl_usage_error("watch: --from-now and --from-start are for starting without a cursor");
	if (o->cursor != NULL && strlen(o->cursor) >= CURSOR_BYTES)
		return ctl_usage_error("watch: --cursor is too long to be a cursor");
	if (o->count_text != NULL && !ctl_parse_int(o->count_text, 1, 1000000, &o->count))
		return ctl_usage_error("watch: --count must be 1..1000000, not '%s'", o->count_text);
	if (o->for_text != NULL && !ctl_parse_int(o->for_text, 1, 31536000, &o->for_s))
		return ctl_usage_error("watch: --for must be seconds 1..31536000, not '%s'", o->for_text);
	o->wait_ms = 25000;
	if (o->wait_text != NULL && !ctl_parse_int(o->wait_text, 0, 600000, &o->wait_ms))
		return ctl_usage_error("watch: --wait-ms must be 0..600000, not '%s'", o->wait_text);
	if (o->kinds != NULL && strlen(o->kinds) >= sizeof(o->kinds_text))
		return ctl_usage_error("watch: --kinds is too long");
	snprintf(o->kinds_text, sizeof(o->kinds_text), "%s", o->kinds != NULL ? o->kinds : "");
	return ctl_flag_list("watch", "kinds", o->kinds_text, o->kind_list, MAX_KINDS, &o->n_kinds);
}

/* Calls Watch until count or for is reached, or a signal comes; prints
 * each batch, then saves the cursor it ends at. */
static int watch_loop(const ctl_globals *g, baton_client *c, watch_opts *o, char cursor[CURSOR_BYTES])
{
	uint64_t until_ns = o->for_s ? clock_monotonic_ns() + (uint64_t)o->for_s * 1000000000u : 0;
	ctl_globals call_g = *g;
	long long printed = 0;
	int rc = 0;

	while (!stop_signal) {
		Baton__V1__WatchRequest req = BATON__V1__WATCH_REQUEST__INIT;
		Baton__V1__WatchReply *rep = NULL;
		uint64_t now = clock_monotonic_ns();
		int64_t wait = o->wait_ms;
		bool asked_now = strcmp(cursor, "now") == 0;

		if (until_ns != 0) {
			if (now >= until_ns)
				break;
			if ((int64_t)((until_ns - now) / 1000000u) < wait)
				wait = (int64_t)((until_ns - now) / 1000000u);
		}
		req.cursor = cursor;
		req.kinds = o->kind_list;
		req.n_kinds = o->n_kinds;
		req.subject = (char *)(o->subject != NULL ? o->subject : "");
		req.wait_ms = wait;
		req.max_events = o->count ? (int32_t)(o->count - printed < 1000 ? o->count - printed : 1000) : 0;
		/* The wait happens inside the call: give it room on top of the
		 * usual deadline. */
		call_g.timeout_ms = g->timeout_ms + wait;
		in_call = 1;
		if (stop_signal) {
			in_call = 0;
			break;
		}
		rc = ctl_call(&call_g, "watch", c, "/baton.v1.Events/Watch", &req.base, false,
		    &baton__v1__watch_reply__descriptor, (ProtobufCMessage **)&rep);
		in_call = 0;
		if (rc != 0)
			break;
		for (size_t i = 0; i < rep->n_events; i++)
			print_event(g, rep->events[i]);
		printed += (long long)rep->n_events;
		if (fflush(stdout) != 0) {
			rc = watch_fail("cannot write the events to", "stdout", errno);
			baton__v1__watch_reply__free_unpacked(rep, NULL);
			break;
		}
		if (strlen(rep->cursor) >= CURSOR_BYTES || rep->cursor[0] == '\0') {
			fprintf(stderr, "batonctl watch: the server sent no usable cursor\n");
			rc = EXIT_RPC;
			baton__v1__watch_reply__free_unpacked(rep, NULL);
			break;
		}
		if (strcmp(rep->cursor, cursor) != 0) {
			if (o->cursor_file != NULL && (rc = cursor_file_write(o->cursor_file, rep->cursor)) != 0) {
				baton__v1__watch_reply__free_unpacked(rep, NULL);
				break;
			}
			snprintf(cursor, CURSOR_BYTES, "%s", rep->cursor);
		}
		int64_t retry_ms = rep->retry_after_ms;
		size_t got = rep->n_events;
		baton__v1__watch_reply__free_unpacked(rep, NULL);
		if (o->count && printed >= o->count)
			break;
		if (retry_ms > 0)
			pause_ms(retry_ms, until_ns);
		else if (got == 0 && !asked_now && wait < MIN_ROUND_MS)
			pause_ms(MIN_ROUND_MS - wait, until_ns);
	}
	return rc;
}

int ctl_watch(const ctl_globals *g, int argc, char **argv)
{
	watch_opts o;
	const ctl_flag flags[] = {
		{ "cursor", &o.cursor, NULL }, { "cursor-file", &o.cursor_file, NULL },
		{ "from-now", NULL, &o.from_now }, { "from-start", NULL, &o.from_start },
		{ "kinds", &o.kinds, NULL }, { "subject", &o.subject, NULL }, { "count", &o.count_text, NULL },
		{ "for", &o.for_text, NULL }, { "wait-ms", &o.wait_text, NULL },
	};
	char cursor[CURSOR_BYTES];
	baton_client *c;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = ctl_flags_parse("watch", argc, argv, flags, N_ITEMS(flags), usage_watch, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = opts_finish(&o)) != 0)
		return rc;
	cursor[0] = '\0';
	if (o.cursor != NULL)
		snprintf(cursor, sizeof(cursor), "%s", o.cursor);
	else if (o.cursor_file != NULL && (rc = cursor_file_read(o.cursor_file, cursor)) != 0)
		return rc;
	if (cursor[0] == '\0' && o.cursor == NULL && !o.from_start)
		snprintf(cursor, sizeof(cursor), "now");
	if ((rc = signals_catch()) != 0)
		return rc;
	if ((c = ctl_connect(g, "watch", true)) == NULL)
		return EXIT_RPC;
	rc = watch_loop(g, c, &o, cursor);
	baton_client_close(c);
	return rc;
}
