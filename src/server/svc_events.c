/* svc_events.c - baton.v1.Events: Watch, the event log after a cursor in commit order, as a long poll the event bell wakes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "server/event_bell.h"
#include "server/event_cursor.h"
#include "server/services.h"
#include "server/tickets.h"

#define EVENTS_DEFAULT   100
#define EVENTS_MAX       1000
#define MARGIN_MS        250  /* of the deadline, kept for the last look and the reply */
#define RETRY_MS         1000 /* retry_after_ms when every waiter slot is taken */
#define KINDS_MAX        32
#define KIND_BYTES       100
#define SUBJECT_BYTES    200
#define HELD_POLL_MIN_MS 20   /* events held back behind a running transaction: look again soon */
#define HELD_POLL_MAX_MS 500
#define DEAF_POLL_MS     1000 /* the bell is not listening: look this often */

/* What one Watch looks for; the cursor moves as it looks. */
typedef struct watch_query {
	uint64_t    xid; /* the cursor: events after (xid, id) */
	int64_t     id;
	bool        now;     /* the cursor was "now": just tell it */
	const char *kinds;   /* LIKE patterns joined by \x1f; NULL: every kind */
	const char *subject; /* NULL: every subject */
	int32_t     limit;
} watch_query;

static baton_status cursor_parse(rpc_call *call, const char *text, watch_query *q)
{
	switch (event_cursor_parse(text, &q->xid, &q->id)) {
	case EVENT_CURSOR_START: /* from the oldest event: (0, 0) */
	case EVENT_CURSOR_AT:
		return BATON_OK;
	case EVENT_CURSOR_NOW:
		q->now = true;
		return BATON_OK;
	case EVENT_CURSOR_BAD:
		break;
	}
	return status_set(&call->status, BATON_INVALID_ARGUMENT,
	    "cursor '%.80s' is not one Watch gave out: pass \"\" (from the oldest event), \"now\", or an "
	    "Event's or WatchReply's cursor", text);
}

/* kinds as LIKE prefix patterns (metacharacters escaped) joined by \x1f,
 * which string_to_array splits again; printable ASCII only, so the
 * separator cannot occur in them. */
static baton_status kinds_parse(rpc_call *call, char *const *kinds, size_t n, watch_query *q)
{
	char *buf, *p;

	if (n == 0)
		return BATON_OK;
	if (n > KINDS_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "kinds: at most %d prefixes, not %zu", KINDS_MAX,
		    n);
	if ((buf = arena_alloc(call->arena, n * (2 * KIND_BYTES + 2) + 1)) == NULL)
		return shifts_oom(call);
	p = buf;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(kinds[i]);
		if (len == 0 || len > KIND_BYTES)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "kinds[%zu] must be a prefix of 1..%d characters (\"ticket.\", \"claim.added\")", i, KIND_BYTES);
		if (i > 0)
			*p++ = '\x1f';
		for (size_t k = 0; k < len; k++) {
			char c = kinds[i][k];
			if (c < 0x21 || c > 0x7e)
				return status_set(&call->status, BATON_INVALID_ARGUMENT,
				    "kinds[%zu] '%.100s' may hold only printable ASCII without spaces", i, kinds[i]);
			if (c == '\\' || c == '%' || c == '_')
				*p++ = '\\';
			*p++ = c;
		}
		*p++ = '%';
	}
	*p = '\0';
	q->kinds = buf;
	return BATON_OK;
}

static baton_status request_parse(rpc_call *call, const Baton__V1__WatchRequest *req, watch_query *q)
{
	baton_status s;

	memset(q, 0, sizeof(*q));
	if ((s = cursor_parse(call, req->cursor, q)) != BATON_OK ||
	    (s = kinds_parse(call, req->kinds, req->n_kinds, q)) != BATON_OK)
		return s;
	if (strlen(req->subject) > SUBJECT_BYTES)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "subject is %zu bytes; at most %d",
		    strlen(req->subject), SUBJECT_BYTES);
	q->subject = req->subject[0] != '\0' ? req->subject : NULL;
	if (req->max_events < 0 || req->max_events > EVENTS_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "max_events must be 1..%d (0: %d), not %d",
		    EVENTS_MAX, EVENTS_DEFAULT, req->max_events);
	q->limit = req->max_events != 0 ? req->max_events : EVENTS_DEFAULT;
	if (req->wait_ms < 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "wait_ms must be 0 or more, not %lld",
		    (long long)req->wait_ms);
	return BATON_OK;
}

/* The filters both queries share: $1 xid, $2 id (the cursor), $3 xmin,
 * $4 kinds, $5 subject. */
#define WATCH_AFTER_CURSOR \
	"(e.xid, e.id) > ($1::xid8, $2::bigint)" \
	" AND ($4::text IS NULL OR e.kind LIKE ANY (string_to_array($4, chr(31))))" \
	" AND ($5::text IS NULL OR e.subject_id = $5)"

/*
 * The events after q's cursor whose transactions have ended (xid below
 * the oldest one still running), in (xid, id) order, into rep. The cursor
 * moves to the last event's when the page is full, else to "<xmin>.0":
 * everything below it has been considered. With held, also whether
 * matching events are already written but held back behind a transaction
 * still running (then look again soon; no notification will come).
 */
static baton_status look_in_tx(rpc_call *call, watch_query *q, Baton__V1__WatchReply *rep, bool *held)
{
	char xid[24], id[24], xmin_text[24], limit[16];
	const char *params[6] = { xid, id, xmin_text, q->kinds, q->subject, limit };
	PGresult *res = NULL;
	uint64_t xmin;
	baton_status s;
	int n;

	rep->n_events = 0;
	if ((s = db_exec(call->db, &res, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text", 0, NULL,
	         &call->status)) != BATON_OK)
		return s;
	snprintf(xmin_text, sizeof(xmin_text), "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	if (!event_cursor_digits(xmin_text, strlen(xmin_text), &xmin))
		return status_set(&call->status, BATON_INTERNAL, "the database gave no snapshot horizon");
	if (q->now) {
		q->xid = xmin;
		q->id = 0;
		return BATON_OK;
	}
	snprintf(xid, sizeof(xid), "%llu", (unsigned long long)q->xid);
	snprintf(id, sizeof(id), "%lld", (long long)q->id);
	snprintf(limit, sizeof(limit), "%d", q->limit);
	if ((s = db_exec(call->db, &res,
	         "SELECT " EVENTS_COLS " FROM " EVENTS_FROM " WHERE " WATCH_AFTER_CURSOR " AND e.xid < $3::xid8"
	         " ORDER BY e.xid, e.id LIMIT $6::int",
	         6, params, &call->status)) != BATON_OK)
		return s;
	n = PQntuples(res);
	if (n > 0 && (rep->events = arena_alloc(call->arena, (size_t)n * sizeof(*rep->events))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < n; r++) {
		if ((s = events_from_row(call, res, r, 0, &rep->events[r])) != BATON_OK) {
			PQclear(res);
			return s;
		}
		rep->n_events++;
	}
	if (n == q->limit) {
		const char *last_xid = PQgetvalue(res, n - 1, 1);
		if (!event_cursor_digits(last_xid, strlen(last_xid), &q->xid)) {
			PQclear(res);
			return status_set(&call->status, BATON_INTERNAL, "an event has a malformed xid");
		}
		q->id = rep->events[n - 1]->id;
	} else if (xmin > q->xid) {
		/* Never backwards: a cursor past xmin stays where it is. */
		q->xid = xmin;
		q->id = 0;
	}
	PQclear(res);
	if (n == 0 && held != NULL) {
		if ((s = db_exec(call->db, &res,
		         "SELECT EXISTS (SELECT 1 FROM event e WHERE " WATCH_AFTER_CURSOR " AND e.xid >= $3::xid8)", 5,
		         params, &call->status)) != BATON_OK)
			return s;
		*held = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
	}
	return BATON_OK;
}

/* One look in its own short transaction, of the caller's scope (partners
 * see their organization's events); rep->cursor is where to go on. */
static baton_status look(rpc_call *call, watch_query *q, Baton__V1__WatchReply *rep, bool *held)
{
	db_scope scope = rpc_call_scope(call);
	char cursor[EVENT_CURSOR_TEXT];
	baton_status s;

	if ((s = db_tx_begin_scoped(call->db, rpc_call_remaining_ms(call), &scope, &call->status)) != BATON_OK) {
		if (s == BATON_UNAUTHENTICATED) /* revoked or disabled since the handshake */
			session_drop_key(call->server->sessions, call->caller.key_id);
		return s;
	}
	if ((s = look_in_tx(call, q, rep, held)) != BATON_OK) {
		db_tx_rollback(call->db);
		return s;
	}
	if ((s = db_tx_commit(call->db, &call->status)) != BATON_OK)
		return s;
	event_cursor_format(cursor, q->xid, q->id);
	if ((rep->cursor = arena_strndup(call->arena, cursor, strlen(cursor))) == NULL)
		return shifts_oom(call);
	return BATON_OK;
}

/* Takes one of the instance's waiter slots, if one is free. */
static bool waiter_enter(rpc_server *srv)
{
	if (atomic_fetch_add(&srv->watch_waiting, 1) < srv->watch_waiters_max)
		return true;
	atomic_fetch_sub(&srv->watch_waiting, 1);
	return false;
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Looks; if nothing is there and the caller will wait, waits for the bell
 * (a waiter slot held meanwhile), then looks again, until events come,
 * the wait is over, or the server drains. Each look is a transaction of
 * its own, so a waiting call holds no snapshot and no locks.
 */
static baton_status watch(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__WatchRequest *req = (const Baton__V1__WatchRequest *)request;
	Baton__V1__WatchReply *rep = (Baton__V1__WatchReply *)reply;
	rpc_server *srv = call->server;
	bool waiting = false, held = false, just_the_cursor;
	int64_t wait_ms, held_poll_ms = 0;
	uint64_t until_ns;
	watch_query q;
	baton_status s;

	if (call->db == NULL)
		return status_set(&call->status, BATON_UNAVAILABLE, "database unavailable");
	if ((s = request_parse(call, req, &q)) != BATON_OK)
		return s;
	just_the_cursor = q.now;
	wait_ms = req->wait_ms;
	if (wait_ms > rpc_call_remaining_ms(call) - MARGIN_MS)
		wait_ms = rpc_call_remaining_ms(call) - MARGIN_MS;
	if (wait_ms < 0)
		wait_ms = 0;
	until_ns = clock_monotonic_ns() + (uint64_t)wait_ms * 1000000u;

	for (;;) {
		/* Read before looking: a bell that rings during the look is not lost. */
		uint64_t seen = event_bell_generation(srv->bell), now, wake;
		if ((s = look(call, &q, rep, wait_ms > 0 ? &held : NULL)) != BATON_OK)
			break;
		if (rep->n_events > 0 || just_the_cursor || wait_ms == 0 || atomic_load(&srv->draining))
			break;
		if ((now = clock_monotonic_ns()) >= until_ns)
			break;
		if (!waiting && !(waiting = waiter_enter(srv))) {
			rep->retry_after_ms = RETRY_MS;
			break;
		}
		wake = until_ns;
		if (held) {
			held_poll_ms = held_poll_ms == 0 ? HELD_POLL_MIN_MS
			                                 : (2 * held_poll_ms > HELD_POLL_MAX_MS ? HELD_POLL_MAX_MS : 2 * held_poll_ms);
			wake = earlier(wake, now + (uint64_t)held_poll_ms * 1000000u);
		} else {
			held_poll_ms = 0;
		}
		if (!event_bell_listening(srv->bell))
			wake = earlier(wake, now + (uint64_t)DEAF_POLL_MS * 1000000u);
		/* Draining: answer what we have (nothing new) at once. A wait
		 * that simply ran out ends without another look: what was
		 * committed meanwhile rang the bell, and if a ring was lost
		 * (the listener reconnecting), the caller's next Watch from the
		 * same cursor finds it. So an answer with events is one the bell
		 * (or a poll while held or deaf) brought. */
		event_bell_wake woke = event_bell_wait(srv->bell, seen, wake, &srv->draining);
		if (woke == EVENT_BELL_STOPPED || (woke == EVENT_BELL_TIMEOUT && wake == until_ns))
			break;
	}
	if (waiting)
		atomic_fetch_sub(&srv->watch_waiting, 1);
	return s;
}

static const rpc_method_impl methods[] = {
	{ "Watch", watch, 0, ROLES_ANY },
};

const rpc_service_impl svc_events = {
	&baton__v1__events__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
