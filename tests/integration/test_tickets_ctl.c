/* test_tickets_ctl.c - tickets through the real batonctl (real batond, real PostgreSQL): every ticket verb from intake to reopen with refusals and exit codes, a partner's night on shift, paged lists in priority order, ownership timeout policies, and `batonctl watch` resuming from its cursor file with no gap and no duplicate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <baton/client.h>

#include "ctlrun.h"
#include "harness.h"
#include "registry.h"
#include "shiftfix.h"
#include "ticketfix.h"
#include "watchfix.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* batonctl ticket create as the integration principal; the id to id. */
static void create(const char *ref, const char *lang, int severity, const char *tier, char id[40])
{
	ctlrun_ran(ctlrun(&registry.integ, "--json ticket create --source ctl --ref %s --subject 'Case %s' --customer c-%s"
	                         " --tier %s --language %s --severity %d", ref, ref, ref, tier, lang, severity),
	    0);
	ctlrun_json_lines(ctlrun_out);
	assert_true(ctlrun_json_str(ctlrun_out, "id", id, 40));
	assert_int_equal(strlen(id), 36);
}

/* ---- cases ------------------------------------------------------------------------------- */

static void ticket_verbs_from_intake_to_reopen(void **state)
{
	char id[40], again[40];
	(void)state;

	ctlrun_ran(ctlrun(&registry.integ, "--json ticket create --source ctl --ref fire-1 --subject 'Printer on fire'"
	                         " --customer c-9 --tier priority --channel chat --language de --severity 2"
	                         " --body 'It is burning'"),
	    0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	ctlrun_said(ctlrun_out, "\"created\":true");
	assert_true(ctlrun_json_str(ctlrun_out, "id", id, sizeof(id)));
	ctlrun_json_str_is(ctlrun_out, "status", "queued");
	ctlrun_json_str_is(ctlrun_out, "queue", "in-house");
	ctlrun_json_str_is(ctlrun_out, "channel", "chat");
	assert_int_equal(ctlrun_json_int(ctlrun_out, "priority"), 250); /* 100 * (4 - 2) + 50 */
	/* The same source and reference: the same ticket, nothing new. */
	ctlrun_ran(ctlrun(&registry.integ, "--json ticket create --source ctl --ref fire-1 --subject 'Printer on fire'"
	                         " --customer c-9 --tier priority --channel chat --language de --severity 2"),
	    0);
	ctlrun_said(ctlrun_out, "\"created\":false");
	assert_true(ctlrun_json_str(ctlrun_out, "id", again, sizeof(again)));
	assert_string_equal(again, id);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE source = 'ctl' AND external_ref = 'fire-1'"), 1);
	/* An agent may not create. */
	ctlrun_ran(ctlrun(&registry.wn_agent1, "ticket create --source ctl --ref fire-2 --subject s --customer c --language de"
	                             " --severity 2"),
	    1);
	ctlrun_said(ctlrun_err, "PERMISSION_DENIED");

	/* The queue, as a table and as JSON. */
	ctlrun_ran(ctlrun(&registry.hq_mgr, "ticket list --queue in-house"), 0);
	ctlrun_said(ctlrun_out, "Printer on fire");
	ctlrun_ran(ctlrun(&registry.hq_mgr, "--json ticket list --queue in-house"), 0);
	ctlrun_json_lines(ctlrun_out);
	ctlrun_said(ctlrun_out, id);

	ctlrun_ran(ctlrun(&registry.hq_mgr, "--json ticket take %s", id), 0);
	ctlrun_json_str_is(ctlrun_out, "status", "assigned");
	ctlrun_json_str_is(ctlrun_out, "owner", "hq-manager");
	ctlrun_ran(ctlrun(&registry.lead, "ticket take %s", id), 1);
	ctlrun_said(ctlrun_err, "FAILED_PRECONDITION");
	ctlrun_said(ctlrun_err, "hq-manager");

	ctlrun_ran(ctlrun(&registry.hq_mgr, "--json ticket reply %s --body 'We are on it'", id), 0);
	assert_true(ctlrun_json_int(ctlrun_out, "first_response_unix_ms") > 0);
	ctlrun_ran(ctlrun(&registry.hq_mgr, "ticket note %s --body 'called the customer'", id), 0);
	ctlrun_ran(ctlrun(&registry.hq_mgr, "--json ticket pending %s --reason 'waiting for photos'", id), 0);
	ctlrun_json_str_is(ctlrun_out, "status", "pending");
	ctlrun_json_str_is(ctlrun_out, "pending_reason", "waiting for photos");
	ctlrun_ran(ctlrun(&registry.hq_mgr, "ticket pending %s --reason again", id), 1);
	ctlrun_said(ctlrun_err, "FAILED_PRECONDITION");
	ctlrun_said(ctlrun_err, "pending");
	/* The customer writes, by id and by source and reference: awake again. */
	ctlrun_ran(ctlrun(&registry.integ, "--json ticket reply-customer %s --body 'photos attached'", id), 0);
	ctlrun_json_str_is(ctlrun_out, "status", "assigned");
	ctlrun_ran(ctlrun(&registry.integ, "ticket reply-customer --source ctl --ref fire-1 --body 'and one more'"), 0);

	/* A pass needs a note; then the lead owns it. */
	assert_true(ctlrun(&registry.hq_mgr, "ticket pass %s --to hq-lead", id) != 0);
	ctlrun_said(ctlrun_err, "note");
	assert_int_equal(ticketfix_events(id, "ticket.passed"), 0);
	ctlrun_ran(ctlrun(&registry.hq_mgr, "--json ticket pass %s --to hq-lead --note 'needs a lead'", id), 0);
	ctlrun_json_str_is(ctlrun_out, "owner", "hq-lead");
	ctlrun_ran(ctlrun(&registry.hq_mgr, "ticket note %s --body 'not mine now'", id), 1);
	ctlrun_said(ctlrun_err, "FAILED_PRECONDITION");

	ctlrun_ran(ctlrun(&registry.lead, "--json ticket resolve %s --code replaced --note 'new printer sent'", id), 0);
	ctlrun_json_str_is(ctlrun_out, "status", "resolved");
	ctlrun_json_str_is(ctlrun_out, "resolution_code", "replaced");
	ctlrun_json_str_is(ctlrun_out, "resolved_by", "hq-lead");
	ctlrun_ran(ctlrun(&registry.lead, "ticket resolve %s --code replaced --note twice", id), 1);
	ctlrun_said(ctlrun_err, "FAILED_PRECONDITION");
	ctlrun_ran(ctlrun(&registry.lead, "ticket resolve %s --code 'Not A Code' --note n", id), 1);
	ctlrun_said(ctlrun_err, "INVALID_ARGUMENT");
	ctlrun_ran(ctlrun(&registry.hq_mgr, "--json ticket reopen %s --reason 'still smoking'", id), 0);
	ctlrun_json_str_is(ctlrun_out, "status", "queued");
	assert_int_equal(ctlrun_json_int(ctlrun_out, "reopen_count"), 1);
	ctlrun_ran(ctlrun(&registry.hq_mgr, "ticket reopen %s --reason twice", id), 1);
	ctlrun_said(ctlrun_err, "FAILED_PRECONDITION");

	/* The whole story, for people and as JSON with every event. */
	ctlrun_ran(ctlrun(&registry.hq_mgr, "ticket show %s", id), 0);
	ctlrun_said(ctlrun_out, "Printer on fire");
	ctlrun_said(ctlrun_out, "It is burning");
	ctlrun_said(ctlrun_out, "needs a lead");
	ctlrun_said(ctlrun_out, "still smoking");
	const char *kinds[] = { "ticket.created", "ticket.taken", "ticket.replied", "ticket.noted", "ticket.pending",
		"ticket.customer_replied", "ticket.passed", "ticket.resolved", "ticket.reopened" };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		ctlrun_said(ctlrun_out, kinds[i]);
	ctlrun_ran(ctlrun(&registry.hq_mgr, "--json ticket show %s", id), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	ctlrun_said(ctlrun_out, "\"messages\":[");
	ctlrun_said(ctlrun_out, "\"events\":[");
	assert_int_equal((long)ctlrun_occurrences(ctlrun_out, "\"kind\":\"ticket."), ticketfix_events(id, NULL));
	assert_int_equal((long)ctlrun_occurrences(ctlrun_out, "\"kind\":\"handoff\""), 1);

	/* Usage errors exit 2 and call nobody. */
	ctlrun_ran(ctlrun(&registry.lead, "ticket take"), 2);
	ctlrun_ran(ctlrun(&registry.lead, "ticket frobnicate %s", id), 2);
	ctlrun_ran(ctlrun(&registry.integ, "ticket create --source ctl --ref r --subject s --customer c --language de"
	                         " --severity 9"),
	    2);
}

static void a_partner_agent_works_the_night_shift(void **state)
{
	char id[40];
	(void)state;

	ticketfix_on_shift(&registry.wn_agent1, registry.wn_id, "pl", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	create("night-1", "pl", 1, "strategic", id);
	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json ticket list"), 0);
	ctlrun_said(ctlrun_out, id);
	ctlrun_json_str_is(ctlrun_line_of(ctlrun_out, id), "queue", "warsaw-nights");
	/* Another partner cannot see it, let alone take it. */
	ctlrun_ran(ctlrun(&registry.sl_agent1, "ticket show %s", id), 1);
	ctlrun_said(ctlrun_err, "NOT_FOUND");
	ctlrun_ran(ctlrun(&registry.sl_agent1, "ticket take %s", id), 1);
	ctlrun_said(ctlrun_err, "NOT_FOUND");
	ctlrun_ran(ctlrun(&registry.sl_agent1, "--json ticket list --queue warsaw-nights"), 1);

	ctlrun_ran(ctlrun(&registry.wn_agent1, "ticket take %s", id), 0);
	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json ticket list --mine"), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	ctlrun_said(ctlrun_out, id);
	ctlrun_ran(ctlrun(&registry.wn_agent1, "ticket reply %s --body 'Dzień dobry, już sprawdzamy.'", id), 0);
	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json ticket resolve %s --code solved --note 'reset the password'", id), 0);
	ctlrun_json_str_is(ctlrun_out, "status", "resolved");
	ctlrun_ran(ctlrun(&registry.wn_agent1, "ticket list --mine"), 0);
	assert_null(strstr(ctlrun_out, id));
}

static void lists_page_in_priority_order(void **state)
{
	char id[6][40], ref[32], token[256], table[8192], got[8192] = "";
	const int severities[] = { 4, 1, 3, 2, 1, 4 };
	long long prio[2];
	size_t used = 0, pages = 0;
	(void)state;

	for (int i = 0; i < 6; i++) {
		snprintf(ref, sizeof(ref), "page-%d", i);
		create(ref, "it", severities[i], i % 2 ? "standard" : "priority", id[i]);
	}
	assert_int_equal(registry_sqlf(table, sizeof(table),
	                     "SELECT string_agg(t.id::text, ',' ORDER BY t.rank DESC, t.id) FROM ticket t JOIN org o"
	                     " ON o.id = t.org_id WHERE o.name = 'in-house' AND t.status = 'queued'"),
	    0);
	/* Page by page, following next_page_token. */
	token[0] = '\0';
	do {
		size_t n = 0;
		ctlrun_ran(ctlrun(&registry.lead, "--json ticket list --queue in-house --page-size 2%s%s", token[0] ? " --page " : "",
		        token),
		    0);
		ctlrun_json_lines(ctlrun_out);
		token[0] = '\0';
		for (const char *p = ctlrun_out; p != NULL; p = ctlrun_next_line(p)) {
			char one[40];
			if (ctlrun_json_str(p, "next_page_token", token, sizeof(token)))
				break;
			assert_true(ctlrun_json_str(p, "id", one, sizeof(one)));
			used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", used ? "," : "", one);
			assert_true(n < 2);
			prio[n] = ctlrun_json_int(p, "priority");
			assert_true(n == 0 || prio[n] <= prio[n - 1]);
			n++;
		}
	} while (token[0] != '\0' && ++pages < 100);
	assert_string_equal(got, table);
	for (int i = 0; i < 6; i++)
		ctlrun_said(got, id[i]);

	/* All pages at once: the same. */
	ctlrun_ran(ctlrun(&registry.lead, "--json ticket list --queue in-house --page-size 2 --all-pages"), 0);
	assert_true(ctlrun_json_lines(ctlrun_out) >= 6);
	got[0] = '\0';
	used = 0;
	for (const char *p = ctlrun_out; p != NULL; p = ctlrun_next_line(p)) {
		char one[40];
		if (ctlrun_json_str(p, "id", one, sizeof(one)))
			used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", used ? "," : "", one);
	}
	assert_string_equal(got, table);
	ctlrun_ran(ctlrun(&registry.lead, "ticket list --page-size 501"), 2);
	assert_true(ctlrun(&registry.lead, "ticket list --status bogus") != 0);
	ctlrun_said(ctlrun_err, "bogus");
}

static void ownership_timeouts_are_set_per_organization(void **state)
{
	(void)state;

	ctlrun_ran(ctlrun(&registry.lead, "--json ticket policy set --org warsaw-nights --ownership-timeout 45m"), 0);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "ownership_timeout_s"), 2700);
	assert_int_equal(registry_sqln("SELECT extract(epoch FROM ownership_timeout)::int FROM sla_contract p JOIN org o"
	                               " ON o.id = p.org_id WHERE o.name = 'warsaw-nights' ORDER BY version DESC LIMIT 1"),
	    2700);
	ctlrun_ran(ctlrun(&registry.lead, "ticket policy set --org sol-latino --ownership-timeout 2h"), 0);
	ctlrun_ran(ctlrun(&registry.lead, "ticket policy set --ownership-timeout 45s"), 0);
	assert_int_equal(registry_sqln("SELECT extract(epoch FROM ownership_timeout)::int FROM sla_contract"
	                               " WHERE org_id IS NULL ORDER BY version DESC LIMIT 1"),
	    45);
	ctlrun_ran(ctlrun(&registry.lead, "ticket policy set --ownership-timeout 1800"), 0);
	assert_int_equal(registry_sqln("SELECT extract(epoch FROM ownership_timeout)::int FROM sla_contract"
	                               " WHERE org_id IS NULL ORDER BY version DESC LIMIT 1"),
	    1800);

	/* Refused: not a duration, too long, not a lead. Nothing changes. */
	ctlrun_ran(ctlrun(&registry.lead, "ticket policy set --org warsaw-nights --ownership-timeout soon"), 2);
	assert_true(ctlrun(&registry.lead, "ticket policy set --org warsaw-nights --ownership-timeout 8d") != 0);
	ctlrun_ran(ctlrun(&registry.wn_mgr, "ticket policy set --org warsaw-nights --ownership-timeout 1h"), 1);
	ctlrun_said(ctlrun_err, "PERMISSION_DENIED");
	assert_int_equal(registry_sqln("SELECT extract(epoch FROM ownership_timeout)::int FROM sla_contract p JOIN org o"
	                               " ON o.id = p.org_id WHERE o.name = 'warsaw-nights' ORDER BY version DESC LIMIT 1"),
	    2700);

	/* A partner reads the default and its own, not another's. */
	ctlrun_ran(ctlrun(&registry.wn_agent1, "ticket policy list"), 0);
	ctlrun_said(ctlrun_out, "warsaw-nights");
	ctlrun_said(ctlrun_out, "45m");
	assert_null(strstr(ctlrun_out, "sol-latino"));
	ctlrun_ran(ctlrun(&registry.lead, "--json ticket policy list"), 0);
	assert_true(ctlrun_json_lines(ctlrun_out) >= 3);
	ctlrun_json_str_is(ctlrun_out, "org", ""); /* the default first */
	ctlrun_said(ctlrun_out, "sol-latino");
}

/* The events batonctl watch --json printed, appended to s. */
static void printed_events(watchfix_seen *s)
{
	for (const char *p = ctlrun_out; p != NULL && *p != '\0'; p = ctlrun_next_line(p)) {
		char cursor[48], kind[64], subject[64], org[64];
		assert_true(ctlrun_json_str(p, "cursor", cursor, sizeof(cursor)));
		assert_true(ctlrun_json_str(p, "kind", kind, sizeof(kind)));
		assert_true(ctlrun_json_str(p, "subject", subject, sizeof(subject)));
		assert_true(ctlrun_json_str(p, "org", org, sizeof(org)));
		watchfix_add(s, (long)ctlrun_json_int(p, "id"), cursor, kind, subject, org);
	}
}

static void watch_resumes_from_its_cursor_file(void **state)
{
	char file[400], start[48], saved[48], id[10][40], live[2][40], ref[32];
	watchfix_seen s;
	int rc;
	struct stat st;
	FILE *f;
	(void)state;

	/* A first run with no file starts from now and saves where it got to. */
	snprintf(file, sizeof(file), "%s/watch.cursor", registry.pg.dir);
	remove(file);
	ctlrun_ran(ctlrun(&registry.lead, "watch --cursor-file %s --for 1 --wait-ms 500", file), 0);
	assert_non_null(f = fopen(file, "r"));
	assert_non_null(fgets(start, sizeof(start), f));
	fclose(f);
	start[strcspn(start, "\n")] = '\0';
	assert_true(watchfix_cursor_parse(start, &(uint64_t){ 0 }, &(long){ 0 }));
	/* Loosened by someone: the next save puts 0600 back. */
	assert_int_equal(chmod(file, 0644), 0);

	for (int i = 0; i < 6; i++) {
		snprintf(ref, sizeof(ref), "watch-%d", i);
		create(ref, "en", 3, "standard", id[i]);
	}
	watchfix_init(&s, start);
	ctlrun_ran(ctlrun(&registry.lead, "--json watch --cursor-file %s --kinds ticket. --count 4", file), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 4);
	printed_events(&s);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	for (int i = 6; i < 10; i++) {
		snprintf(ref, sizeof(ref), "watch-%d", i);
		create(ref, "en", 3, "standard", id[i]);
	}
	ctlrun_ran(ctlrun(&registry.lead, "--json watch --cursor-file %s --kinds ticket. --count 6", file), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 6);
	printed_events(&s);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(f = fopen(file, "r"));
	assert_non_null(fgets(saved, sizeof(saved), f));
	fclose(f);
	saved[strcspn(saved, "\n")] = '\0';
	assert_string_equal(saved, s.cursors[s.n - 1]);

	/* Two runs, ten events: the table's, in order, none twice. */
	snprintf(s.cursor, sizeof(s.cursor), "%s", saved);
	watchfix_matches_table(&s, start, "kind LIKE 'ticket.%'");
	for (int i = 0; i < 10; i++)
		assert_int_equal(watchfix_count(&s, "ticket.created", id[i]), 1);
	watchfix_free(&s);

	/* Following live until SIGTERM: what came is printed and saved, and it
	 * exits 0. */
	create("watch-10", "en", 3, "standard", live[0]);
	create("watch-11", "en", 3, "standard", live[1]);
	ctlrun_prefix = "timeout --preserve-status -s TERM 4 ";
	rc = ctlrun(&registry.lead, "--json watch --cursor-file %s --kinds ticket. --wait-ms 1000", file);
	ctlrun_prefix = "";
	ctlrun_ran(rc, 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 2);
	watchfix_init(&s, saved);
	printed_events(&s);
	assert_int_equal(watchfix_count(&s, "ticket.created", live[0]), 1);
	assert_int_equal(watchfix_count(&s, "ticket.created", live[1]), 1);
	assert_non_null(f = fopen(file, "r"));
	assert_non_null(fgets(s.cursor, sizeof(s.cursor), f));
	fclose(f);
	s.cursor[strcspn(s.cursor, "\n")] = '\0';
	watchfix_matches_table(&s, saved, "kind LIKE 'ticket.%'");
	watchfix_free(&s);

	/* From the oldest event on. */
	ctlrun_ran(ctlrun(&registry.lead, "--json watch --from-start --count 3"), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 3);
	watchfix_init(&s, "");
	printed_events(&s);
	snprintf(s.cursor, sizeof(s.cursor), "%s", s.cursors[2]);
	watchfix_matches_table(&s, "", NULL);
	watchfix_free(&s);

	/* For people: one line per event. */
	ctlrun_ran(ctlrun(&registry.lead, "watch --cursor %s --kinds ticket.created --count 2", start), 0);
	ctlrun_said(ctlrun_out, "ticket.created");
	ctlrun_said(ctlrun_out, id[0]);
	ctlrun_said(ctlrun_out, id[1]);
	assert_null(strstr(ctlrun_out, id[2]));
	/* Refused: both cursors, a bad cursor. */
	ctlrun_ran(ctlrun(&registry.lead, "watch --cursor %s --cursor-file %s --count 1", start, file), 2);
	ctlrun_ran(ctlrun(&registry.lead, "watch --cursor not-a-cursor --count 1"), 1);
	ctlrun_said(ctlrun_err, "INVALID_ARGUMENT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(ticket_verbs_from_intake_to_reopen, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_partner_agent_works_the_night_shift, ticketfix_cleanup),
		cmocka_unit_test_teardown(lists_page_in_priority_order, ticketfix_cleanup),
		cmocka_unit_test_teardown(ownership_timeouts_are_set_per_organization, ticketfix_cleanup),
		cmocka_unit_test_teardown(watch_resumes_from_its_cursor_file, ticketfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: batonctl ticket and watch", tests, shiftfix_setup,
	    shiftfix_teardown);
}
