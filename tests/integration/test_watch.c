/* test_watch.c - Watch, the event log's long poll (real batond, real PostgreSQL): every event once and in order from the start, across a reconnect, across two instances and a late commit, under many writers; a long poll woken through another instance; partner scoping, filters, "now", bad requests, the waiter cap, and a shutdown ending a wait. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include <baton/client.h>

#include "harness.h"
#include "registry.h"
#include "shiftfix.h"
#include "ticketfix.h"
#include "watchfix.h"

/* ---- helpers ---------------------------------------------------------------------- */

/* A new ticket in lang through c (an integration principal's client). */
static void create_via(baton_client *c, const char *lang, char id[40])
{
	ticketfix_spec spec = { .language = lang, .subject = "Watch case" };
	ticketfix_create_must(c, &spec, id);
}

static void create(const char *lang, char id[40])
{
	create_via(registry.integ.client, lang, id);
}

/* A client of b for the first admin, opened and closed by the case itself. */
static baton_client *admin_client(const harness_batond *b)
{
	baton_client *c = NULL;
	assert_int_equal(harness_client(b, NULL, &c), 0);
	return c;
}

/* ---- every event once, in order ------------------------------------------------------------ */

static void from_the_start_every_event_once_in_order(void **state)
{
	Baton__V1__WatchReply *r = NULL;
	watchfix_seen s;
	char id[40], msg[512];
	size_t at;
	(void)state;

	create("en", id);
	watchfix_init(&s, "");
	watchfix_follow(registry.admin, &s, NULL, NULL, 7);
	/* The registry's set-up alone wrote dozens; pages of 7 took many calls. */
	assert_true(s.n > 20);
	watchfix_matches_table(&s, "", NULL);
	assert_int_equal(watchfix_count(&s, "ticket.created", id), 1);

	/* The event as a watcher sees it: who, how, about what. */
	shiftfix_expect("Watch", ticketfix_watch(registry.admin, "", "ticket.created", id, 0, 10, &r, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_int_equal(r->n_events, 1);
	assert_string_equal(r->events[0]->kind, "ticket.created");
	assert_string_equal(r->events[0]->subject, id);
	assert_string_equal(r->events[0]->actor, "hq-integration");
	assert_string_equal(r->events[0]->method, TK_CREATE);
	assert_true(r->events[0]->signed_);
	assert_true(r->events[0]->at_unix_ms > 0);
	assert_non_null(strstr(r->events[0]->body_json, "\"routed\""));
	for (at = 0; at < s.n && s.ids[at] != r->events[0]->id; at++)
		;
	assert_true(at < s.n);
	assert_string_equal(s.cursors[at], r->events[0]->cursor);
	baton__v1__watch_reply__free_unpacked(r, NULL);

	/* Watched again from the start in pages of another size: the same. */
	{
		watchfix_seen again;
		watchfix_init(&again, "");
		watchfix_follow(registry.admin, &again, NULL, NULL, 1000);
		assert_true(again.n >= s.n);
		for (size_t i = 0; i < s.n; i++)
			assert_int_equal(again.ids[i], s.ids[i]);
		watchfix_matches_table(&again, "", NULL);
		watchfix_free(&again);
	}
	watchfix_free(&s);
}

static void resuming_after_a_reconnect_leaves_no_gap_and_no_duplicate(void **state)
{
	char start[48], saved[48], id[14][40];
	baton_client *c = admin_client(&registry.srv);
	watchfix_seen s, tail;
	(void)state;

	watchfix_now(c, start);
	for (int i = 0; i < 10; i++)
		create("en", id[i]);
	watchfix_init(&s, start);
	/* Two full pages, then the client goes away mid-stream. */
	assert_int_equal(watchfix_page(c, &s, NULL, NULL, 0, 4, NULL), 4);
	assert_int_equal(watchfix_page(c, &s, NULL, NULL, 0, 4, NULL), 4);
	snprintf(saved, sizeof(saved), "%s", s.cursor);
	assert_string_equal(saved, s.cursors[s.n - 1]);
	baton_client_close(c);

	for (int i = 10; i < 14; i++)
		create("en", id[i]);
	c = admin_client(&registry.srv);
	watchfix_follow(c, &s, NULL, NULL, 3);
	baton_client_close(c);
	watchfix_matches_table(&s, start, NULL);
	for (int i = 0; i < 14; i++)
		assert_int_equal(watchfix_count(&s, "ticket.created", id[i]), 1);

	/* Any event's own cursor resumes right after it. */
	watchfix_init(&tail, s.cursors[2]);
	watchfix_follow(registry.admin, &tail, NULL, NULL, 5);
	assert_true(tail.n >= s.n - 3);
	for (size_t i = 3; i < s.n; i++)
		assert_int_equal(tail.ids[i - 3], s.ids[i]);
	watchfix_matches_table(&tail, s.cursors[2], NULL);
	watchfix_free(&tail);
	watchfix_free(&s);
}

/* ---- two instances -------------------------------------------------------------------------- */

static void two_instances_hand_out_one_stream(void **state)
{
	harness_batond *b = registry_extra_start(registry.pg.conninfo, NULL, true);
	baton_client *integ_b = registry_client_for(b, registry.integ.key_file);
	baton_client *admin_b = registry_client_for(b, NULL);
	char start[48], id[10][40];
	watchfix_seen s;
	(void)state;

	watchfix_now(admin_b, start);
	for (int i = 0; i < 10; i++)
		create_via(i % 2 ? integ_b : registry.integ.client, "en", id[i]);
	/* Pages from A and B in turn, each going on from the other's cursor. */
	watchfix_init(&s, start);
	for (int page = 0; page < 200 && watchfix_page(page % 2 ? admin_b : registry.admin, &s, NULL, NULL, 0, 3, NULL) > 0;
	     page++)
		;
	watchfix_follow(admin_b, &s, NULL, NULL, 3);
	watchfix_matches_table(&s, start, NULL);
	for (int i = 0; i < 10; i++)
		assert_int_equal(watchfix_count(&s, "ticket.created", id[i]), 1);
	watchfix_free(&s);
}

/* A long poll on the registry's batond, in a thread. */
typedef struct long_poll {
	char          cursor[48];
	int64_t       wait_ms;
	int           calls;      /* Watch calls made (an empty reply asks again) */
	int64_t       elapsed_ms; /* from the first call until events came */
	watchfix_seen got;
	baton_status  status;
} long_poll;

static void *long_poll_run(void *arg)
{
	long_poll *lp = arg;
	int64_t t0 = harness_now_ms();
	char msg[512];
	size_t got = 0;

	for (lp->calls = 0; lp->calls < 4 && lp->got.n == 0; lp->calls++) {
		lp->status = watchfix_try(registry.admin, &lp->got, "ticket.created", NULL, lp->wait_ms, 100, &got, NULL, msg,
		    sizeof(msg));
		lp->elapsed_ms = harness_now_ms() - t0;
		if (lp->status != BATON_OK)
			break;
	}
	return NULL;
}

static void a_long_poll_is_woken_by_a_change_through_another_instance(void **state)
{
	harness_batond *b = registry_extra_start(registry.pg.conninfo, NULL, true);
	baton_client *integ_b = registry_client_for(b, registry.integ.key_file);
	/* Below batond's longest call (30 s by default), so the wait is this. */
	long_poll lp = { .wait_ms = 25000 };
	Baton__V1__CreateTicketReply *made = NULL;
	ticketfix_spec spec = { .language = "en", .subject = "Wake up" };
	char start[48], msg[512];
	baton_status created;
	pthread_t thread;
	(void)state;

	watchfix_now(registry.admin, start);
	watchfix_init(&lp.got, start);
	assert_int_equal(pthread_create(&thread, NULL, long_poll_run, &lp), 0);
	harness_sleep_ms(1500); /* the watcher is waiting by now */
	created = ticketfix_create(integ_b, &spec, &made, msg, sizeof(msg));
	pthread_join(thread, NULL);

	shiftfix_expect("CreateTicket through B", created, msg, BATON_OK, NULL);
	shiftfix_expect("long Watch", lp.status, "", BATON_OK, NULL);
	assert_int_equal(lp.got.n, 1);
	assert_string_equal(lp.got.kinds[0], "ticket.created");
	assert_string_equal(lp.got.subjects[0], made->ticket->id);
	baton__v1__create_ticket_reply__free_unpacked(made, NULL);
	/* The first call brought it: a wait that runs out ends without another
	 * look, so only the bell rung by the commit through B can have woken
	 * it (without it, the first call ends empty and a second finds it). */
	if (lp.calls != 1)
		print_error("the event came in call %d after %lld ms of a %lld ms wait: nothing woke the first\n", lp.calls,
		    (long long)lp.elapsed_ms, (long long)lp.wait_ms);
	assert_int_equal(lp.calls, 1);
	watchfix_matches_table(&lp.got, start, "kind LIKE 'ticket.created%'");
	watchfix_free(&lp.got);
}

/* Many writers, through two instances, while one watcher follows. */
enum { WRITERS = 8, EACH = 12 };
typedef struct writer {
	baton_client *c;
	int           made;
	pthread_t     thread;
} writer;

static void *writer_run(void *arg)
{
	writer *w = arg;
	char ref[64];

	for (int i = 0; i < EACH; i++) {
		ticketfix_spec spec = { .language = "en", .ref = ticketfix_fresh_ref(ref), .subject = "Busy" };
		w->made += ticketfix_create(w->c, &spec, NULL, NULL, 0) == BATON_OK;
	}
	return NULL;
}

static void many_writers_and_a_follower_agree_with_the_table(void **state)
{
	harness_batond *b = registry_extra_start(registry.pg.conninfo, NULL, true);
	baton_client *admin_b = registry_client_for(b, NULL);
	writer w[WRITERS];
	watchfix_seen s;
	char start[48];
	int made = 0, failed = 0;
	(void)state;

	watchfix_now(registry.admin, start);
	watchfix_init(&s, start);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (writer){ .c = i % 2 ? registry_client_for(b, registry.integ.key_file)
		                             : registry_client_for(&registry.srv, registry.integ.key_file) };
		assert_int_equal(pthread_create(&w[i].thread, NULL, writer_run, &w[i]), 0);
	}
	/* Follow while they write: long polls of small pages, from A and B in
	 * turn (failures counted, so the writers are joined before any check). */
	for (int page = 0; page < 200 && watchfix_count(&s, "ticket.created", NULL) < WRITERS * EACH; page++) {
		size_t got;
		char msg[512];
		if (watchfix_try(page % 2 ? admin_b : registry.admin, &s, "ticket.", NULL, 1000, 5, &got, NULL, msg,
		        sizeof(msg)) != BATON_OK) {
			print_error("Watch: %s\n", msg);
			failed++;
		}
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(w[i].thread, NULL);
		made += w[i].made;
	}
	assert_int_equal(failed, 0);
	assert_int_equal(made, WRITERS * EACH);
	watchfix_follow(registry.admin, &s, "ticket.", NULL, 5);
	assert_int_equal(watchfix_count(&s, "ticket.created", NULL), WRITERS * EACH);
	watchfix_matches_table(&s, start, "kind LIKE 'ticket.%'");
	watchfix_free(&s);
}

/* ---- a late commit ---------------------------------------------------------------------------- */

static PGconn *late; /* the slow writer; the case's teardown ends it */

static int late_cleanup(void **state)
{
	PQfinish(late);
	late = NULL;
	return ticketfix_cleanup(state);
}

static void late_sql(const char *sql)
{
	PGresult *r = PQexec(late, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		print_error("%s: %s\n", sql, PQerrorMessage(late));
	assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
}

static void an_event_that_commits_late_is_not_skipped(void **state)
{
	char conninfo[600], start[48], id[3][40];
	watchfix_seen s;
	(void)state;

	watchfix_now(registry.admin, start);
	harness_pg_conninfo_for(&registry.pg, "baton", conninfo, sizeof(conninfo));
	late = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(late), CONNECTION_OK);
	/* An event written first (a lower transaction id) but committed last. */
	late_sql("BEGIN");
	late_sql("SELECT set_config('baton.scope', 'all', true)");
	late_sql("INSERT INTO event (kind, subject_id, body) VALUES ('test.late', 'late-commit', '{}')");
	for (int i = 0; i < 3; i++)
		create("en", id[i]);

	/* A watcher now: whatever it is handed, it goes on from its cursor. */
	watchfix_init(&s, start);
	for (int page = 0; page < 50 && watchfix_page(registry.admin, &s, NULL, NULL, 0, 2, NULL) > 0; page++)
		;
	assert_false(watchfix_has(&s, "test.late", "late-commit"));
	late_sql("COMMIT");
	watchfix_follow(registry.admin, &s, NULL, NULL, 2);

	/* Nothing skipped: the late one, and the tickets after it, once each. */
	assert_int_equal(watchfix_count(&s, "test.late", "late-commit"), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(watchfix_count(&s, "ticket.created", id[i]), 1);
	watchfix_matches_table(&s, start, NULL);
	for (size_t i = 0; i < s.n && strcmp(s.kinds[i], "test.late") != 0; i++)
		for (int k = 0; k < 3; k++)
			assert_string_not_equal(s.subjects[i], id[k]);
	watchfix_free(&s);
}

/* ---- who sees what ------------------------------------------------------------------------------- */

static void a_partner_sees_its_organizations_events_and_its_queues_tickets(void **state)
{
	char start[48], pl[40], es[40], in_house[40], where[200], msg[512];
	watchfix_seen wn, sl;
	(void)state;

	watchfix_now(registry.admin, start);
	ticketfix_on_shift(&registry.wn_agent1, registry.wn_id, "pl", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	create("pl", pl);
	create("es", es);
	create("de", in_house);
	shiftfix_expect("TakeTicket", ticketfix_take(registry.wn_agent1.client, pl, NULL, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	/* A lead moves the in-house one into warsaw-nights' queue: news to both. */
	shiftfix_expect("PassTicket", ticketfix_pass(registry.lead.client, in_house, NULL, "warsaw-nights", "for you",
	                                  NULL, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);

	watchfix_init(&wn, start);
	watchfix_follow(registry.wn_agent1.client, &wn, NULL, NULL, 4);
	snprintf(where, sizeof(where), "org_id = '%s' OR also_org_id = '%s'", registry.wn_id, registry.wn_id);
	watchfix_matches_table(&wn, start, where);
	assert_true(watchfix_has(&wn, "ticket.created", pl));
	assert_true(watchfix_has(&wn, "ticket.taken", pl));
	assert_true(watchfix_has(&wn, "ticket.passed", in_house));
	assert_false(watchfix_has(&wn, "ticket.created", in_house));
	assert_false(watchfix_has(&wn, NULL, es));
	/* Its own, and the one event of another's that moved a ticket to it. */
	for (size_t i = 0; i < wn.n; i++) {
		bool own = strcmp(wn.orgs[i], "warsaw-nights") == 0;
		bool moved_in = strcmp(wn.subjects[i], in_house) == 0 && strcmp(wn.kinds[i], "ticket.passed") == 0;
		if (!own && !moved_in)
			print_error("warsaw-nights saw %s about %s of '%s'\n", wn.kinds[i], wn.subjects[i], wn.orgs[i]);
		assert_true(own || moved_in);
	}

	watchfix_init(&sl, start);
	watchfix_follow(registry.sl_agent1.client, &sl, "ticket.", NULL, 100);
	snprintf(where, sizeof(where), "(org_id = '%s' OR also_org_id = '%s') AND kind LIKE 'ticket.%%'", registry.sl_id,
	    registry.sl_id);
	watchfix_matches_table(&sl, start, where);
	assert_int_equal(watchfix_count(&sl, NULL, NULL), 1);
	assert_true(watchfix_has(&sl, "ticket.created", es));
	watchfix_free(&wn);
	watchfix_free(&sl);
}

static void kinds_and_subject_filter_and_the_cursor_passes_over_the_rest(void **state)
{
	char start[48], one[40], two[40], msg[512], where[160];
	watchfix_seen s, rest;
	(void)state;

	watchfix_now(registry.admin, start);
	create("en", one);
	create("en", two);
	shiftfix_expect("TakeTicket", ticketfix_take(registry.lead.client, one, NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	shiftfix_expect("NoteTicket", ticketfix_note(registry.lead.client, one, "looking", NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);

	watchfix_init(&s, start);
	watchfix_follow(registry.admin, &s, "ticket.created", NULL, 100);
	watchfix_matches_table(&s, start, "kind LIKE 'ticket.created%'");
	assert_int_equal(watchfix_count(&s, NULL, NULL), watchfix_count(&s, "ticket.created", NULL));
	assert_true(watchfix_has(&s, "ticket.created", one) && watchfix_has(&s, "ticket.created", two));
	/* Its cursor went past what it left out: nothing of before comes again. */
	watchfix_init(&rest, s.cursor);
	watchfix_follow(registry.admin, &rest, NULL, NULL, 100);
	assert_false(watchfix_has(&rest, NULL, one));
	assert_false(watchfix_has(&rest, NULL, two));
	watchfix_free(&rest);
	watchfix_free(&s);

	watchfix_init(&s, start);
	watchfix_follow(registry.admin, &s, "ticket.taken,ticket.noted", NULL, 1);
	watchfix_matches_table(&s, start, "kind LIKE 'ticket.taken%' OR kind LIKE 'ticket.noted%'");
	assert_int_equal(watchfix_count(&s, "ticket.taken", one), 1);
	assert_int_equal(watchfix_count(&s, "ticket.noted", one), 1);
	watchfix_free(&s);

	watchfix_init(&s, start);
	watchfix_follow(registry.admin, &s, NULL, one, 2);
	snprintf(where, sizeof(where), "subject_id = '%s'", one);
	watchfix_matches_table(&s, start, where);
	assert_int_equal(s.n, 3); /* created, taken, noted */
	watchfix_free(&s);

	watchfix_init(&s, start);
	watchfix_follow(registry.admin, &s, "ticket.created", two, 2);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.subjects[0], two);
	watchfix_free(&s);

	/* Prefixes are text, not patterns. */
	watchfix_init(&s, start);
	watchfix_follow(registry.admin, &s, "%,_icket.,ticket.%,ticket._aken", NULL, 100);
	assert_int_equal(s.n, 0);
	watchfix_free(&s);
}

static void cursor_now_starts_after_everything_so_far(void **state)
{
	char before[40], after[40], now[48];
	watchfix_seen s;
	uint64_t xid;
	long id;
	(void)state;

	create("en", before);
	watchfix_now(registry.admin, now);
	assert_true(watchfix_cursor_parse(now, &xid, &id));
	create("en", after);
	watchfix_init(&s, now);
	watchfix_follow(registry.admin, &s, NULL, NULL, 100);
	assert_false(watchfix_has(&s, NULL, before));
	assert_int_equal(watchfix_count(&s, "ticket.created", after), 1);
	watchfix_matches_table(&s, now, NULL);
	watchfix_free(&s);
}

static void bad_cursors_and_limits_are_invalid_arguments(void **state)
{
	static const char *const bad[] = { "abc", "12", "12.", ".5", "1.2.3", "-1.5", "1.-5", "x.1", "1.x", "1 .2",
		" 1.2", "1.2 ", "now.1", "0x10.1", "99999999999999999999999.1", "1.99999999999999999999999" };
	char msg[512];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		baton_status s = ticketfix_watch(registry.admin, bad[i], NULL, NULL, 0, 10, NULL, msg, sizeof(msg));
		if (s != BATON_INVALID_ARGUMENT || strstr(msg, "cursor") == NULL)
			print_error("cursor '%s': %s \"%s\"\n", bad[i], baton_status_str(s), msg);
		assert_int_equal(s, BATON_INVALID_ARGUMENT);
		assert_non_null(strstr(msg, "cursor"));
	}
	shiftfix_expect("max_events 1001", ticketfix_watch(registry.admin, "", NULL, NULL, 0, 1001, NULL, msg, sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, "max_events");
	shiftfix_expect("max_events -1", ticketfix_watch(registry.admin, "", NULL, NULL, 0, -1, NULL, msg, sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, "max_events");
	shiftfix_expect("wait_ms -1", ticketfix_watch(registry.admin, "", NULL, NULL, -1, 10, NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "wait_ms");
}

/* ---- the waiter cap --------------------------------------------------------------------------------- */

typedef struct capped_poll {
	baton_client *c;
	char          cursor[48];
	int           refused; /* replies with retry_after_ms */
	size_t        events;
	baton_status  status;
	pthread_t     thread;
} capped_poll;

static void *capped_poll_run(void *arg)
{
	capped_poll *p = arg;
	watchfix_seen s;
	char msg[512];

	watchfix_init(&s, p->cursor);
	for (int i = 0; i < 5 && p->events == 0; i++) {
		int64_t retry = 0;
		p->status = watchfix_try(p->c, &s, "ticket.created", NULL, 20000, 100, &p->events, &retry, msg, sizeof(msg));
		if (p->status != BATON_OK)
			break;
		if (retry > 0) {
			p->refused++;
			harness_sleep_ms(200);
		}
	}
	watchfix_free(&s);
	return NULL;
}

static void the_waiter_cap_answers_retry_after(void **state)
{
	const char *flags[] = { "--watch-waiters=1", NULL };
	harness_batond *b = registry_extra_start(registry.pg.conninfo, flags, true);
	baton_client *first = registry_client_for(b, NULL), *second = registry_client_for(b, NULL);
	capped_poll waiting = { .c = first };
	ticketfix_spec spec = { .language = "en", .subject = "Wake up" };
	int64_t retry = -1, unwaited_retry = -1;
	size_t got = 0, capped_got = 0, unwaited_got = 0;
	baton_status s = BATON_OK, unwaited = BATON_UNKNOWN, created;
	bool capped = false;
	char msg[512], why[512] = "";
	watchfix_seen probe;
	(void)state;

	watchfix_now(first, waiting.cursor);
	assert_int_equal(pthread_create(&waiting.thread, NULL, capped_poll_run, &waiting), 0);
	/* While that one waits, one more that would wait is told to come back
	 * (nothing here fails the case until the waiting thread is joined). */
	for (int i = 0; i < 50 && !capped && s == BATON_OK; i++) {
		harness_sleep_ms(100);
		watchfix_init(&probe, waiting.cursor);
		s = watchfix_try(second, &probe, "ticket.created", NULL, 500, 100, &got, &retry, why, sizeof(why));
		capped = s == BATON_OK && retry > 0;
		capped_got = got;
		watchfix_free(&probe);
	}
	/* One that does not wait is answered as ever. */
	if (capped) {
		watchfix_init(&probe, waiting.cursor);
		unwaited = watchfix_try(second, &probe, NULL, NULL, 0, 100, &unwaited_got, &unwaited_retry, msg, sizeof(msg));
		watchfix_free(&probe);
	}
	created = ticketfix_create(registry.integ.client, &spec, NULL, msg, sizeof(msg)); /* wakes the waiting one */
	pthread_join(waiting.thread, NULL);

	shiftfix_expect("probing Watch", s, why, BATON_OK, NULL);
	assert_true(capped);
	assert_int_equal(retry, 1000);
	assert_int_equal(capped_got, 0);
	shiftfix_expect("Watch without a wait", unwaited, "", BATON_OK, NULL);
	assert_int_equal(unwaited_retry, 0);
	shiftfix_expect("CreateTicket", created, msg, BATON_OK, NULL);
	shiftfix_expect("waiting Watch", waiting.status, "", BATON_OK, NULL);
	assert_true(waiting.events >= 1);

	/* Room again: a wait is a wait, with nothing to come back for. */
	watchfix_init(&probe, "now");
	watchfix_page(second, &probe, NULL, NULL, 0, 100, NULL);
	assert_int_equal(watchfix_page(second, &probe, "no.such.kind", NULL, 300, 100, &retry), 0);
	assert_int_equal(retry, 0);
	watchfix_free(&probe);
}

/* ---- shutdown ---------------------------------------------------------------------------------------- */

typedef struct drained_poll {
	baton_client *c;
	watchfix_seen s;
	size_t        got;
	baton_status  status;
} drained_poll;

static void *drained_poll_run(void *arg)
{
	drained_poll *p = arg;
	char msg[512];

	p->status = watchfix_try(p->c, &p->s, "no.such.kind", NULL, 25000, 100, &p->got, NULL, msg, sizeof(msg));
	return NULL;
}

static void a_shutdown_ends_a_waiting_watch(void **state)
{
	harness_batond *b = registry_extra_start(registry.pg.conninfo, NULL, true);
	drained_poll p = { .c = registry_client_for(b, NULL) };
	char start[48];
	pthread_t thread;
	int rc;
	(void)state;

	watchfix_now(p.c, start);
	watchfix_init(&p.s, start);
	assert_int_equal(pthread_create(&thread, NULL, drained_poll_run, &p), 0);
	harness_sleep_ms(1000); /* waiting by now */
	/* A Watch still waiting would hold the exit for its 25 s; the drain (0.5 s)
	 * ends it at once, so five are plenty. */
	rc = harness_batond_stop(b, SIGTERM, 5000);
	pthread_join(thread, NULL);
	if (rc != 0)
		harness_log_print(b);
	assert_int_equal(rc, 0);
	shiftfix_expect("the waiting Watch", p.status, "", BATON_OK, NULL);
	assert_int_equal(p.got, 0);
	watchfix_free(&p.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(from_the_start_every_event_once_in_order, ticketfix_cleanup),
		cmocka_unit_test_teardown(resuming_after_a_reconnect_leaves_no_gap_and_no_duplicate, ticketfix_cleanup),
		cmocka_unit_test_teardown(two_instances_hand_out_one_stream, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_long_poll_is_woken_by_a_change_through_another_instance, ticketfix_cleanup),
		cmocka_unit_test_teardown(many_writers_and_a_follower_agree_with_the_table, ticketfix_cleanup),
		cmocka_unit_test_teardown(an_event_that_commits_late_is_not_skipped, late_cleanup),
		cmocka_unit_test_teardown(a_partner_sees_its_organizations_events_and_its_queues_tickets, ticketfix_cleanup),
		cmocka_unit_test_teardown(kinds_and_subject_filter_and_the_cursor_passes_over_the_rest, ticketfix_cleanup),
		cmocka_unit_test_teardown(cursor_now_starts_after_everything_so_far, ticketfix_cleanup),
		cmocka_unit_test_teardown(bad_cursors_and_limits_are_invalid_arguments, ticketfix_cleanup),
		cmocka_unit_test_teardown(the_waiter_cap_answers_retry_after, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_shutdown_ends_a_waiting_watch, ticketfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: watch", tests, shiftfix_setup, shiftfix_teardown);
}
