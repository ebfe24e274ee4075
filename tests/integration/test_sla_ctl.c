/* test_sla_ctl.c - SLA contracts, a ticket's clocks and escalations through the real batonctl (real batond, real PostgreSQL): sla set/show round trips, usage errors, who may set, the Friday 17:30 Warsaw deadline, ticket sla with a replay, and escalations raised, listed, shown, approved and rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctlrun.h"
#include "harness.h"
#include "registry.h"
#include "shiftfix.h"
#include "ticketfix.h"

/* An admin with a key file of its own (the first admin's is not one). */
static fixture_person sla_admin;

static int group_setup(void **state)
{
	if (shiftfix_setup(state) != 0)
		return -1;
	return registry_person_add(registry.admin, registry.in_house_id, "sla-admin", "admin", &sla_admin);
}

/* The latest version of org's contract ("" the default) as the database holds it. */
static long latest_version(const char *org)
{
	if (org[0] == '\0')
		return registry_sqln("SELECT max(version) FROM sla_contract WHERE org_id IS NULL");
	return registry_sqln("SELECT max(c.version) FROM sla_contract c JOIN org o ON o.id = c.org_id WHERE o.name = '%s'",
	    org);
}

/* Rows of table (sla_hours, sla_holiday, sla_target) of org's latest version. */
static long rows_of_latest(const char *table, const char *org)
{
	return registry_sqln("SELECT count(*) FROM %s x JOIN sla_contract c ON c.id = x.contract_id JOIN org o"
	                     " ON o.id = c.org_id WHERE o.name = '%s' AND c.version = (SELECT max(version)"
	                     " FROM sla_contract WHERE org_id = o.id)", table, org);
}

/* A ticket created through batonctl by the integration; its id to id. */
static void ticket_new(const char *ref, char id[40])
{
	ctlrun_ran(ctlrun(&registry.integ, "--json ticket create --source slactl --ref %s --subject 'Case %s'"
	                                   " --customer c-%s --language en --severity 2", ref, ref, ref),
	    0);
	assert_true(ctlrun_json_str(ctlrun_out, "id", id, 40));
	assert_int_equal(strlen(id), 36);
}

/* ---- cases ------------------------------------------------------------------------------- */

static void contracts_round_trip(void **state)
{
	char version[16];
	long v;
	(void)state;

	ctlrun_ran(ctlrun(&sla_admin, "sla set --org warsaw-nights --time-zone Europe/Warsaw"
	                              " --hours 'mon-fri 09:00-18:00' --hours 'sat 10:00-12:00,13:00-14:00'"
	                              " --holiday 2026-12-25=Christmas --holiday 2026-12-26 --target P1=1h/2h/8h"
	                              " --target p2=2h/4h/1d --warn-percent 75 --escalation-urgent 10m"
	                              " --note 'from the ctl test'"),
	    0);
	ctlrun_said(ctlrun_out, "warsaw-nights version");
	ctlrun_said(ctlrun_out, "Europe/Warsaw");
	ctlrun_said(ctlrun_out, "mon-fri 09:00-18:00");
	ctlrun_said(ctlrun_out, "sat 10:00-12:00,13:00-14:00");
	ctlrun_said(ctlrun_out, "2026-12-25  Christmas");
	ctlrun_said(ctlrun_out, "75% of a target");
	ctlrun_said(ctlrun_out, "urgent 10m");
	v = latest_version("warsaw-nights");
	assert_true(v >= 1);
	assert_int_equal(rows_of_latest("sla_hours", "warsaw-nights"), 7);
	assert_int_equal(rows_of_latest("sla_holiday", "warsaw-nights"), 2);
	assert_int_equal(rows_of_latest("sla_target", "warsaw-nights"), 4);

	/* The same as JSON: every field under its proto name. */
	ctlrun_ran(ctlrun(&registry.lead, "--json sla show --org warsaw-nights"), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	ctlrun_json_str_is(ctlrun_out, "org", "warsaw-nights");
	ctlrun_json_str_is(ctlrun_out, "time_zone", "Europe/Warsaw");
	ctlrun_json_str_is(ctlrun_out, "note", "from the ctl test");
	assert_int_equal(ctlrun_json_int(ctlrun_out, "version"), v);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "warn_percent"), 75);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "escalation_urgent_s"), 600);
	ctlrun_said(ctlrun_out, "\"always_open\":false");
	ctlrun_said(ctlrun_out, "\"inherited\":false");
	ctlrun_said(ctlrun_out, "{\"priority\":1,\"first_response_s\":3600,\"next_response_s\":7200,\"resolution_s\":28800}");
	ctlrun_said(ctlrun_out, "{\"priority\":2,\"first_response_s\":7200,\"next_response_s\":14400,\"resolution_s\":86400}");
	/* P3 and P4 were not given: as the version before (the default's). */
	ctlrun_said(ctlrun_out, "{\"priority\":3,\"first_response_s\":28800,");
	ctlrun_said(ctlrun_out, "{\"day\":\"2026-12-25\",\"name\":\"Christmas\"}");

	/* A change of one thing keeps the rest, in a new version. */
	ctlrun_ran(ctlrun(&sla_admin, "--json sla set --org warsaw-nights --warn-percent 90"), 0);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "version"), v + 1);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "warn_percent"), 90);
	ctlrun_json_str_is(ctlrun_out, "created_by", "sla-admin");
	assert_int_equal(rows_of_latest("sla_hours", "warsaw-nights"), 7);
	assert_int_equal(rows_of_latest("sla_holiday", "warsaw-nights"), 2);
	/* The version before is still there, unchanged. */
	snprintf(version, sizeof(version), "%ld", v);
	ctlrun_ran(ctlrun(&registry.lead, "--json sla show --org warsaw-nights --version %s", version), 0);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "warn_percent"), 75);
	/* --always-open ends the hours; --no-holidays clears the holidays. */
	ctlrun_ran(ctlrun(&sla_admin, "sla set --org warsaw-nights --always-open --no-holidays"), 0);
	ctlrun_said(ctlrun_out, "24/7");
	assert_int_equal(rows_of_latest("sla_hours", "warsaw-nights"), 0);
	assert_int_equal(rows_of_latest("sla_holiday", "warsaw-nights"), 0);

	/* An organization without a contract of its own: the default's. */
	ctlrun_ran(ctlrun(&registry.lead, "sla show --org sol-latino"), 0);
	ctlrun_said(ctlrun_out, "inherited from the default");
	ctlrun_ran(ctlrun(&registry.lead, "--json sla show --org sol-latino"), 0);
	ctlrun_said(ctlrun_out, "\"inherited\":true");
	/* A partner reads its own and the default. */
	ctlrun_ran(ctlrun(&registry.wn_agent1, "sla show --org warsaw-nights"), 0);
	ctlrun_ran(ctlrun(&registry.wn_agent1, "sla show"), 0);
	ctlrun_said(ctlrun_out, "(default)");
}

/* A command line batonctl must refuse before calling anyone: exit 2, and
 * what stderr must name ("" if nothing in particular). */
typedef struct usage_case {
	const char *args;
	const char *says;
} usage_case;

static const usage_case usage_cases[] = {
	{ "sla set", "nothing to change" },
	{ "sla set --hours 'funday 09:00-18:00'", "--hours" },
	{ "sla set --hours 'mon 09:00'", "HH:MM-HH:MM" },
	{ "sla set --hours 'mon 18:00-09:00'", "closes before it opens" },
	{ "sla set --hours 'mon-fri 09:00-18:00' --hours 'fri 17:00-20:00'", "overlaps" },
	{ "sla set --always-open --hours 'mon 09:00-10:00'", "not both" },
	{ "sla set --target P9=1h/1h/1h", "P1..P4" },
	{ "sla set --target P1=1h/2h/31d", "out of range" },
	{ "sla set --holiday 2026-02-30", "real day" },
	{ "sla set --warn-percent 100", "1..99" },
	{ "sla set --ownership-timeout 8d", "out of range" },
	{ "sla set --bogus 1", "unknown" },
	{ "sla show --version zero", "--version" },
	{ "sla due --target 1h", "--from" },
	{ "sla due --from friday --target 1h", "not a time" },
	{ "sla frobnicate", "set, show, due" },
	{ "ticket sla", "ID" },
	{ "escalate 00000000-0000-0000-0000-000000000000", "--reason" },
	{ "escalation reject 00000000-0000-0000-0000-000000000000", "--note" },
	{ "escalation list --page-size 501", "1..500" },
	{ "escalation frobnicate", "list, show, approve, reject" },
};

static void usage_errors_exit_2(void **state)
{
	(void)state;

	for (size_t i = 0; i < sizeof(usage_cases) / sizeof(usage_cases[0]); i++) {
		ctlrun_ran(ctlrun(&sla_admin, "%s", usage_cases[i].args), 2);
		ctlrun_said(ctlrun_err, usage_cases[i].says);
	}
	/* --help of each group lists its flags and exits 0. */
	ctlrun_ran(ctlrun(NULL, "sla --help"), 0);
	ctlrun_said(ctlrun_out, "--always-open");
	ctlrun_said(ctlrun_out, "--recompute");
	ctlrun_ran(ctlrun(NULL, "escalation --help"), 0);
	ctlrun_said(ctlrun_out, "--assign");
	ctlrun_ran(ctlrun(NULL, "sla set --help"), 0);
	ctlrun_said(ctlrun_out, "--escalation-normal");
	/* What only the server can judge: exit 1 with its status. */
	ctlrun_ran(ctlrun(&sla_admin, "sla set --org warsaw-nights --time-zone Mars/Olympus_Mons"), 1);
	ctlrun_said(ctlrun_err, "INVALID_ARGUMENT");
}

static void only_admins_set_contracts(void **state)
{
	long before = latest_version("warsaw-nights");
	(void)state;

	ctlrun_ran(ctlrun(&registry.wn_mgr, "sla set --org warsaw-nights --warn-percent 50"), 1);
	ctlrun_said(ctlrun_err, "PERMISSION_DENIED");
	ctlrun_ran(ctlrun(&registry.wn_mgr, "--json sla set --warn-percent 50"), 1);
	ctlrun_said(ctlrun_out, "\"status\":\"PERMISSION_DENIED\"");
	ctlrun_ran(ctlrun(&registry.lead, "sla set --org warsaw-nights --warn-percent 50"), 1);
	ctlrun_said(ctlrun_err, "PERMISSION_DENIED");
	assert_int_equal(latest_version("warsaw-nights"), before);
}

static void friday_evening_in_warsaw_is_due_monday_morning(void **state)
{
	/* A Friday a week or more ahead (SlaDeadline uses the version in force
	 * at the start, so the start must come after the version set here);
	 * PostgreSQL says where its 17:30 and the Monday's 09:30 in Warsaw
	 * fall, DST weekend or not. */
	static const char friday[] = "(SELECT d FROM generate_series(current_date + 7, current_date + 13, interval '1 day') d"
	                             " WHERE extract(isodow FROM d) = 5)";
	char from[40], due[40], local[40];
	(void)state;

	assert_int_equal(registry_sqlf(from, sizeof(from), "SELECT to_char((%s::date + time '17:30') AT TIME ZONE"
	                     " 'Europe/Warsaw' AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI\"Z\"')", friday),
	    0);
	assert_int_equal(registry_sqlf(due, sizeof(due), "SELECT to_char((%s::date + 3 + time '09:30') AT TIME ZONE"
	                     " 'Europe/Warsaw' AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI\"Z\"')", friday),
	    0);
	assert_int_equal(registry_sqlf(local, sizeof(local), "SELECT to_char(%s::date + 3, '\"Mon\" YYYY-MM-DD \"09:30\"')",
	                     friday),
	    0);
	ctlrun_ran(ctlrun(&sla_admin, "sla set --org warsaw-nights --time-zone Europe/Warsaw"
	                              " --hours 'mon-fri 09:00-18:00' --no-holidays"),
	    0);
	/* 30 minutes on Friday, 30 on Monday. */
	ctlrun_ran(ctlrun(&registry.lead, "sla due --org warsaw-nights --from %s --target 1h", from), 0);
	ctlrun_said(ctlrun_out, due);
	ctlrun_said(ctlrun_out, local);
	ctlrun_said(ctlrun_out, "Europe/Warsaw");
	ctlrun_ran(ctlrun(&registry.lead, "--json sla due --org warsaw-nights --from %s --target 3600", from), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "version"), latest_version("warsaw-nights"));
	ctlrun_json_str_is(ctlrun_out, "time_zone", "Europe/Warsaw");
	assert_int_equal(ctlrun_json_int(ctlrun_out, "due_unix_ms"),
	    registry_sqln("SELECT (extract(epoch FROM (%s::date + 3 + time '09:30') AT TIME ZONE 'Europe/Warsaw')"
	                  " * 1000)::bigint", friday));
}

static void a_fresh_ticket_has_running_clocks_that_replay_the_same(void **state)
{
	char id[40];
	(void)state;

	ticket_new("clocks-1", id);
	ctlrun_ran(ctlrun(&registry.lead, "ticket sla %s", id), 0);
	ctlrun_said(ctlrun_out, "CLOCK");
	assert_non_null(strstr(ctlrun_line_of(ctlrun_out, "first_response"), "running"));
	assert_non_null(strstr(ctlrun_line_of(ctlrun_out, "resolution"), "running"));
	assert_null(strstr(ctlrun_out, "recomputed"));
	ctlrun_ran(ctlrun(&registry.lead, "ticket sla %s --recompute", id), 0);
	ctlrun_said(ctlrun_out, "recomputed from events: same");
	ctlrun_ran(ctlrun(&registry.lead, "--json ticket sla %s --recompute", id), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	ctlrun_said(ctlrun_out, "\"recomputed\":true,\"recomputed_matches\":true");
	ctlrun_said(ctlrun_out, "{\"clock\":\"first_response\",\"cycle\":1,\"state\":\"running\"");
	ctlrun_said(ctlrun_out, "{\"clock\":\"resolution\",\"cycle\":1,\"state\":\"running\"");
	/* A ticket nobody has. */
	ctlrun_ran(ctlrun(&registry.lead, "ticket sla 00000000-0000-0000-0000-000000000000"), 1);
	ctlrun_said(ctlrun_err, "NOT_FOUND");
}

static void escalations_are_approved_and_rejected(void **state)
{
	char id[40], esc[40], esc2[40], status[64], owner[64], queue[64];
	(void)state;

	ticket_new("esc-1", id);
	ctlrun_ran(ctlrun(&registry.hq_mgr, "ticket take %s", id), 0);
	ctlrun_ran(ctlrun(&registry.hq_mgr, "--json escalate %s --reason 'the customer threatens to leave'", id), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	assert_true(ctlrun_json_str(ctlrun_out, "id", esc, sizeof(esc)));
	ctlrun_json_str_is(ctlrun_out, "state", "open");
	ctlrun_json_str_is(ctlrun_out, "urgency", "normal");
	ctlrun_json_str_is(ctlrun_out, "source", "agent");
	ctlrun_json_str_is(ctlrun_out, "raised_by", "hq-manager");
	/* One open escalation per ticket. */
	ctlrun_ran(ctlrun(&registry.hq_mgr, "escalate %s --reason again", id), 1);
	ctlrun_said(ctlrun_err, "FAILED_PRECONDITION");

	ctlrun_ran(ctlrun(&registry.lead, "escalation list --open"), 0);
	ctlrun_said(ctlrun_out, esc);
	ctlrun_ran(ctlrun(&registry.lead, "--json escalation list --ticket %s", id), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	ctlrun_ran(ctlrun(&registry.lead, "escalation show %s", esc), 0);
	ctlrun_said(ctlrun_out, "the customer threatens to leave");
	ctlrun_said(ctlrun_out, "escalation.requested");
	ctlrun_ran(ctlrun(&registry.lead, "--json escalation show %s", esc), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	ctlrun_said(ctlrun_out, "\"history\":[");

	/* A partner, and an in-house manager, may not decide. */
	ctlrun_ran(ctlrun(&registry.wn_mgr, "escalation approve %s", esc), 1);
	ctlrun_said(ctlrun_err, "PERMISSION_DENIED");
	ctlrun_ran(ctlrun(&registry.hq_mgr, "escalation approve %s", esc), 1);
	ctlrun_said(ctlrun_err, "PERMISSION_DENIED");
	ticketfix_row(id, status, owner, queue);
	assert_string_equal(owner, "hq-manager");

	/* The lead approves: the lead owns the ticket now. */
	ctlrun_ran(ctlrun(&registry.lead, "--json escalation approve %s --note 'I will call them'", esc), 0);
	ctlrun_json_str_is(ctlrun_out, "state", "approved");
	ctlrun_json_str_is(ctlrun_out, "decided_by", "hq-lead");
	ctlrun_json_str_is(ctlrun_out, "new_owner", "hq-lead");
	ticketfix_row(id, status, owner, queue);
	assert_string_equal(owner, "hq-lead");
	assert_string_equal(status, "assigned");
	ctlrun_ran(ctlrun(&registry.lead, "escalation reject %s --note late", esc), 1);
	ctlrun_said(ctlrun_err, "FAILED_PRECONDITION");
	ctlrun_ran(ctlrun(&registry.lead, "escalation show %s", esc), 0);
	ctlrun_said(ctlrun_out, "escalation.approved");

	/* Raised again by the new owner, urgent, and rejected with guidance. */
	ctlrun_ran(ctlrun(&registry.lead, "--json escalate %s --reason 'need billing' --urgent", id), 0);
	assert_true(ctlrun_json_str(ctlrun_out, "id", esc2, sizeof(esc2)));
	ctlrun_json_str_is(ctlrun_out, "urgency", "urgent");
	ctlrun_ran(ctlrun(&sla_admin, "escalation reject %s --note 'refund it first, then close'", esc2), 0);
	ctlrun_said(ctlrun_out, "rejected");
	ticketfix_row(id, status, owner, queue);
	assert_string_equal(owner, "hq-lead");
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s'"
	                               " AND body LIKE '%%refund it first%%'", id),
	    1);
	ctlrun_ran(ctlrun(&registry.lead, "--json escalation list --ticket %s", id), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 2);
	ctlrun_ran(ctlrun(&registry.lead, "--json escalation list --open --ticket %s", id), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 0);
	assert_int_equal(ticketfix_events(id, "ticket.escalation_approved"), 1);
	assert_int_equal(ticketfix_events(id, "ticket.escalation_rejected"), 1);
}

/*
 * The "done when", end to end through batonctl: a ticket about to
 * breach is warned about, the breach raises an escalation that reaches the
 * lead on call, that lead approves it, and the clocks replay the same from
 * the events. Fails if the worker does not run (no escalation within the
 * bounded wait), if routing ignores the rotation (assignee not hq-lead),
 * or if a step is missing from the events (the replay differs).
 */
static void a_breach_reaches_the_lead_on_call_who_approves_it(void **state)
{
	char id[40], esc[40], start[32], status[64], owner[64], queue[64];
	int64_t until;
	(void)state;

	/* hq-lead is on call at level 1 from an hour ago, for a day. */
	assert_int_equal(registry_sqlf(start, sizeof(start),
	                     "SELECT to_char(now() AT TIME ZONE 'UTC' - interval '1 hour', 'YYYY-MM-DD HH24:MI')"),
	    0);
	ctlrun_ran(ctlrun(&registry.lead, "oncall rotation add sla-first --tz UTC --start '%s' --turn-hours 24"
	                                  " --members hq-lead", start),
	    0);
	/* sol-latino owes a first response within 2 s of open time (24/7),
	 * warned at half of it. */
	ctlrun_ran(ctlrun(&sla_admin, "sla set --org sol-latino --always-open --target P2=2s/1h/1h --warn-percent 50"), 0);
	ticket_new("breach-1", id);
	ctlrun_ran(ctlrun(&registry.lead, "ticket pass %s --to-queue sol-latino --note 'yours tonight'", id), 0);

	/* The maintenance pass (every 200 ms) warns, then breaches and escalates. */
	until = harness_now_ms() + 30000;
	do {
		harness_sleep_ms(200);
		ctlrun_ran(ctlrun(&registry.lead, "--json escalation list --open --ticket %s", id), 0);
	} while (ctlrun_json_lines(ctlrun_out) == 0 && harness_now_ms() < until);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 1);
	assert_true(ctlrun_json_str(ctlrun_out, "id", esc, sizeof(esc)));
	ctlrun_json_str_is(ctlrun_out, "source", "sla");
	ctlrun_json_str_is(ctlrun_out, "urgency", "urgent");
	ctlrun_json_str_is(ctlrun_out, "clock", "first_response");
	ctlrun_json_str_is(ctlrun_out, "assignee", "hq-lead");
	assert_int_equal(ctlrun_json_int(ctlrun_out, "level"), 1);
	assert_int_equal(ticketfix_events(id, "ticket.sla_warning"), 1);
	assert_int_equal(ticketfix_events(id, "ticket.sla_breached"), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event w JOIN event b ON b.subject_id = w.subject_id"
	                               " WHERE w.subject_id = '%s' AND w.kind = 'ticket.sla_warning'"
	                               " AND b.kind = 'ticket.sla_breached' AND w.id < b.id", id),
	    1);
	ctlrun_ran(ctlrun(&registry.lead, "escalation list --mine --open"), 0);
	ctlrun_said(ctlrun_out, esc);

	/* The lead on call takes it over. */
	ctlrun_ran(ctlrun(&registry.lead, "--json escalation approve %s --note 'calling them now'", esc), 0);
	ctlrun_json_str_is(ctlrun_out, "state", "approved");
	ctlrun_json_str_is(ctlrun_out, "new_owner", "hq-lead");
	ticketfix_row(id, status, owner, queue);
	assert_string_equal(status, "assigned");
	assert_string_equal(owner, "hq-lead");
	assert_string_equal(queue, "in-house");
	ctlrun_ran(ctlrun(&registry.lead, "ticket sla %s --recompute", id), 0);
	assert_non_null(strstr(ctlrun_line_of(ctlrun_out, "first_response"), "running"));
	ctlrun_said(ctlrun_out, "recomputed from events: same");
	ctlrun_ran(ctlrun(&registry.lead, "escalation show %s", esc), 0);
	ctlrun_said(ctlrun_out, "escalation.requested");
	ctlrun_said(ctlrun_out, "escalation.approved");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(contracts_round_trip, ticketfix_cleanup),
		cmocka_unit_test_teardown(usage_errors_exit_2, ticketfix_cleanup),
		cmocka_unit_test_teardown(only_admins_set_contracts, ticketfix_cleanup),
		cmocka_unit_test_teardown(friday_evening_in_warsaw_is_due_monday_morning, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_fresh_ticket_has_running_clocks_that_replay_the_same, ticketfix_cleanup),
		cmocka_unit_test_teardown(escalations_are_approved_and_rejected, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_breach_reaches_the_lead_on_call_who_approves_it, ticketfix_cleanup),
	};

	/* The maintenance pass (the SLA worker) every 200 ms, so targets of
	 * seconds fire in time. */
	setenv("BATON_MAINTENANCE_MS", "200", 1);
	return cmocka_run_group_tests_name("integration: batonctl sla and escalation", tests, group_setup,
	    shiftfix_teardown);
}
