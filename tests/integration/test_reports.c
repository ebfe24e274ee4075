/* test_reports.c - Reports on a hand-built scenario with known answers (real batond, real PostgreSQL): every figure of a partner's row and its agents' rows, who sees which organization, the period's checks, and batonctl report as a table, JSON lines and CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "baton/v1/reports.pb-c.h"
#include "ctlrun.h"
#include "harness.h"
#include "registry.h"
#include "shiftfix.h"
#include "slafix.h"
#include "ticketfix.h"

#define REPORT "/baton.v1.Reports/Report"

/* An admin with a key file of its own, for batonctl sla set. */
static fixture_person rep_admin;

/*
 * The scenario, built once by the first case that needs it. warsaw-nights
 * has two slots of 2 seats, A [slot, +1 h) and B [+1 h, +2 h); the period is
 * [start, start + 2 h), start a whole second after A's seats were claimed
 * and before the first ticket, so every ticket event and all of B fall
 * inside it, and A from start on.
 */
static struct {
	bool    built;
	int64_t slot_ms;        /* slot A's start: a minute before the scenario began */
	int64_t start_ms, end_ms;
	int64_t a2_released_ms; /* when wn-agent2's seat on the first slot was released, mid-shift */
	char    from_iso[32], to_iso[32];
} sc;

static int group_setup(void **state)
{
	if (shiftfix_setup(state) != 0)
		return -1;
	return registry_person_add(registry.admin, registry.in_house_id, "rep-admin", "admin", &rep_admin);
}

static void iso(int64_t unix_ms, char out[32])
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A pl ticket (routed to warsaw-nights, whose people hold the pl seats). */
static void ticket(int32_t severity, const char *lang, char id[40])
{
	ticketfix_spec spec = { .language = lang, .severity = severity };

	ticketfix_create_must(registry.integ.client, &spec, id);
}

static void must(const char *what, baton_status s, const char *msg)
{
	shiftfix_expect(what, s, msg, BATON_OK, NULL);
}

/* The steps, in the order they run; what each one adds is in the expected
 * rows below. */
static void scenario_build(void)
{
	char msg[512], slot_a[40], slot_b[40], claim_a2[40], claim_b2[40], sl_slot[40], queue_status[64], owner[64];
	char queue[64], t1[40], t2[40], t3[40], t4[40], t5[40], t6[40], t7[40];
	const fixture_person *a1 = &registry.wn_agent1, *a2 = &registry.wn_agent2;
	Baton__V1__Escalation *esc4 = NULL, *esc5 = NULL;
	char esc4_id[40], esc5_id[40];

	if (sc.built)
		return;
	sc.slot_ms = (shiftfix_now_ms() - SH_MINUTE_MS) / 1000 * 1000;

	/* warsaw-nights owes a P1 first response within 2 s (24/7); the other
	 * priorities keep the default's targets (hours). */
	ctlrun_ran(ctlrun(&rep_admin, "sla set --org warsaw-nights --always-open --target P1=2s/1h/1h --warn-percent 50"),
	    0);

	/* Coverage: slot A [start, +1 h) and slot B [+1 h, +2 h), 2 pl seats
	 * each, open to warsaw-nights. Both agents hold A; on B agent1 holds a
	 * seat and agent2's is released before B starts. */
	shiftfix_slot spec_a = { .queue = "support", .language = "pl", .seats = 2, .orgs = "warsaw-nights",
		.starts_ms = sc.slot_ms, .ends_ms = sc.slot_ms + SH_HOUR_MS, .note = "reports A" };
	shiftfix_slot spec_b = { .queue = "support", .language = "pl", .seats = 2, .orgs = "warsaw-nights",
		.starts_ms = sc.slot_ms + SH_HOUR_MS, .ends_ms = sc.slot_ms + 2 * SH_HOUR_MS, .note = "reports B" };
	shiftfix_slot_must(registry.lead.client, &spec_a, slot_a);
	shiftfix_slot_must(registry.lead.client, &spec_b, slot_b);
	shiftfix_claim_must(registry.lead.client, slot_a, a1->handle, NULL);
	shiftfix_claim_must(registry.lead.client, slot_a, a2->handle, claim_a2);
	shiftfix_claim_must(registry.lead.client, slot_b, a1->handle, NULL);
	shiftfix_claim_must(registry.lead.client, slot_b, a2->handle, claim_b2);
	must("release agent2's seat on B before it starts", shiftfix_release(registry.lead.client, claim_b2, NULL, msg,
	                                                        sizeof(msg)), msg);
	/* sol-latino: one es seat, for the other partner's row. */
	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", sc.slot_ms + 2 * SH_HOUR_MS, sl_slot, NULL);

	/* The period starts at the next whole second, after every seat of A was
	 * claimed (a seat claimed after its slot began promises only from then)
	 * and before the first ticket. */
	sc.start_ms = (shiftfix_now_ms() / 1000 + 1) * 1000;
	sc.end_ms = sc.start_ms + 2 * SH_HOUR_MS;
	iso(sc.start_ms, sc.from_iso);
	iso(sc.end_ms, sc.to_iso);
	while (shiftfix_now_ms() < sc.start_ms + 50)
		harness_sleep_ms(50);

	/* T6, the breach: P1, taken by agent2 at once; nobody answers within 2 s. */
	ticket(1, "pl", t6);
	ticketfix_row(t6, queue_status, owner, queue);
	assert_string_equal(queue, "warsaw-nights");
	must("agent2 takes T6", ticketfix_take(a2->client, t6, NULL, msg, sizeof(msg)), msg);

	/* T1, a first-contact resolution: agent1 takes, replies once, resolves. */
	ticket(3, "pl", t1);
	must("agent1 takes T1", ticketfix_take(a1->client, t1, NULL, msg, sizeof(msg)), msg);
	must("agent1 replies T1", ticketfix_reply(a1->client, t1, "Done on our side", NULL, msg, sizeof(msg)), msg);
	must("agent1 resolves T1", ticketfix_resolve(a1->client, t1, "fixed", "one answer", NULL, msg, sizeof(msg)), msg);

	/* T2, the hot potato: agent1 takes it and passes it on having done
	 * nothing; agent2 replies twice and resolves. */
	ticket(3, "pl", t2);
	must("agent1 takes T2", ticketfix_take(a1->client, t2, NULL, msg, sizeof(msg)), msg);
	must("agent1 passes T2", ticketfix_pass(a1->client, t2, a2->handle, NULL, "not mine", NULL, msg, sizeof(msg)),
	    msg);
	must("agent2 replies T2", ticketfix_reply(a2->client, t2, "Looking", NULL, msg, sizeof(msg)), msg);
	must("agent2 replies T2 again", ticketfix_reply(a2->client, t2, "Fixed", NULL, msg, sizeof(msg)), msg);
	must("agent2 resolves T2", ticketfix_resolve(a2->client, t2, "fixed", "two answers", NULL, msg, sizeof(msg)),
	    msg);

	/* T3, a pass after a reply (progress, not a hot potato): agent2 takes,
	 * replies, passes to agent1, who resolves it. */
	ticket(3, "pl", t3);
	must("agent2 takes T3", ticketfix_take(a2->client, t3, NULL, msg, sizeof(msg)), msg);
	must("agent2 replies T3", ticketfix_reply(a2->client, t3, "Asked billing", NULL, msg, sizeof(msg)), msg);
	must("agent2 passes T3", ticketfix_pass(a2->client, t3, a1->handle, NULL, "billing answered, close it", NULL,
	                             msg, sizeof(msg)),
	    msg);
	must("agent1 resolves T3", ticketfix_resolve(a1->client, t3, "fixed", "closed", NULL, msg, sizeof(msg)), msg);

	/* T4, an escalation approved: agent1 takes and escalates; the lead
	 * approves and owns it (in-house now). */
	ticket(3, "pl", t4);
	must("agent1 takes T4", ticketfix_take(a1->client, t4, NULL, msg, sizeof(msg)), msg);
	must("agent1 escalates T4", slafix_escalate(a1->client, t4, "customer wants a manager", false, &esc4, msg,
	                                sizeof(msg)),
	    msg);
	snprintf(esc4_id, sizeof(esc4_id), "%s", esc4->id);
	must("the lead approves T4's", slafix_decide(registry.lead.client, esc4_id, false, NULL, "mine now", NULL, msg,
	                                   sizeof(msg)),
	    msg);

	/* T5, an escalation rejected: agent2 takes, replies, escalates; the
	 * lead rejects; agent2 resolves (one reply, but escalated: no first
	 * contact resolution). */
	ticket(3, "pl", t5);
	must("agent2 takes T5", ticketfix_take(a2->client, t5, NULL, msg, sizeof(msg)), msg);
	must("agent2 replies T5", ticketfix_reply(a2->client, t5, "Checking", NULL, msg, sizeof(msg)), msg);
	must("agent2 escalates T5", slafix_escalate(a2->client, t5, "refund above my limit", false, &esc5, msg,
	                                sizeof(msg)),
	    msg);
	snprintf(esc5_id, sizeof(esc5_id), "%s", esc5->id);
	must("the lead rejects T5's", slafix_decide(registry.lead.client, esc5_id, true, NULL, "refund it, you may",
	                                  NULL, msg, sizeof(msg)),
	    msg);
	must("agent2 resolves T5", ticketfix_resolve(a2->client, t5, "refunded", "done", NULL, msg, sizeof(msg)), msg);
	slafix_escalation_free(esc4);
	slafix_escalation_free(esc5);

	/* T6 breaches while agent2 holds it (the worker also raises an SLA
	 * escalation); agent2's late reply ends the first response clock missed. */
	assert_true(slafix_wait_at_least(1, "SELECT count(*) FROM event WHERE subject_id = '%s'"
	                                    " AND kind = 'ticket.sla_breached'", t6));
	assert_true(slafix_wait_at_least(1, "SELECT count(*) FROM escalation WHERE ticket_id = '%s'", t6));
	must("agent2 replies T6 late", ticketfix_reply(a2->client, t6, "Sorry for the wait", NULL, msg, sizeof(msg)), msg);

	/* T7, sol-latino's: agent1 there takes, replies, resolves. */
	ticket(3, "es", t7);
	ticketfix_row(t7, queue_status, owner, queue);
	assert_string_equal(queue, "sol-latino");
	must("sl-agent1 takes T7", ticketfix_take(registry.sl_agent1.client, t7, NULL, msg, sizeof(msg)), msg);
	must("sl-agent1 replies T7", ticketfix_reply(registry.sl_agent1.client, t7, "Listo", NULL, msg, sizeof(msg)),
	    msg);
	must("sl-agent1 resolves T7", ticketfix_resolve(registry.sl_agent1.client, t7, "fixed", "ok", NULL, msg,
	                                  sizeof(msg)),
	    msg);

	/* Last, agent2's seat on A is released mid-shift: the shift-end hand-off
	 * takes T6 (still agent2's, replied to: no hot potato) back to the queue. */
	must("release agent2's seat on A mid-shift", shiftfix_release(registry.lead.client, claim_a2, NULL, msg,
	                                                 sizeof(msg)),
	    msg);
	sc.a2_released_ms = registry_sqln("SELECT (extract(epoch FROM released_at) * 1000)::bigint FROM claim"
	                                  " WHERE id = '%s'", claim_a2);
	assert_true(sc.a2_released_ms > sc.start_ms && sc.a2_released_ms < sc.slot_ms + SH_HOUR_MS);
	assert_true(slafix_wait_at_least(1, "SELECT count(*) FROM event WHERE subject_id = '%s'"
	                                    " AND kind = 'ticket.handed_off'", t6));
	assert_true(shiftfix_now_ms() < sc.end_ms);
	sc.built = true;
}

/* ---- the expected figures ------------------------------------------------------------ */

/* Hours between two instants in ms. */
static double hours(int64_t from_ms, int64_t to_ms)
{
	return (double)(to_ms - from_ms) / (double)SH_HOUR_MS;
}

/*
 * warsaw-nights' rows for the period, figure by figure from the steps:
 *   taken        agent1 T1 T2 T4, agent2 T6 T3 T5                        6 (3, 3)
 *   resolved     agent1 T1 T3, agent2 T2 T5                               4 (2, 2)
 *   first resp.  met: T1 (agent1), T2 T3 T5 (agent2); missed: T6 (agent2);
 *                T4's still runs (nobody replied)                         4/1 (1/0, 3/1)
 *   resolution   met: T1 T3 (agent1), T2 T5 (agent2)                      4/0 (2/0, 2/0)
 *   first contact T1 only (T2 passed, two replies; T3 passed; T5 escalated) 1 of 4 (1 of 2, 0 of 2)
 *   touches      replies in the resolved cycles: T1 1, T3 1 (agent2's) for
 *                agent1; T2 2, T5 1 for agent2                            5/4 (2/2, 3/2)
 *   hand-offs    agent1 passed T2; agent2 passed T3; T6 handed off from
 *                agent2 at the shift's end                                3 (1, 2)
 *   hot potato   T2 (agent1 did nothing with it)                          1 (1, 0)
 *   escalations  raised T4 (agent1), T5 (agent2), T6 (the SLA worker:
 *                the organization only); approved T4 (agent1 raised it);
 *                rejected T5 (agent2's)                                   3/1/1/0
 *   breaches     T6, while agent2 held it                                 1 (0, 1)
 *   coverage     with a = the part of A inside the period (just under 1 h):
 *                promised A 2 seats × a + B agent1's 1 h (agent2's B seat
 *                was released before B began): 2a + 1 (agent1 a + 1,
 *                agent2 a); held: agent2's A seat only until its release;
 *                gap, the seat-hours wanted but not held: B's second seat
 *                (1 h) and A's second seat after the release.
 */
static void expected_rows(Baton__V1__ReportRow *org, Baton__V1__ReportRow *ag1, Baton__V1__ReportRow *ag2)
{
	double a = hours(sc.start_ms, sc.slot_ms + SH_HOUR_MS); /* A inside the period: a seat's promise */
	double a2_held = hours(sc.start_ms, sc.a2_released_ms);

	baton__v1__report_row__init(org);
	baton__v1__report_row__init(ag1);
	baton__v1__report_row__init(ag2);
	org->org = ag1->org = ag2->org = "warsaw-nights";
	org->agent = "";
	ag1->agent = "wn-agent1";
	ag2->agent = "wn-agent2";

	org->tickets_taken = 6, ag1->tickets_taken = 3, ag2->tickets_taken = 3;
	org->tickets_resolved = 4, ag1->tickets_resolved = 2, ag2->tickets_resolved = 2;
	org->first_responses_met = 4, ag1->first_responses_met = 1, ag2->first_responses_met = 3;
	org->first_responses_missed = 1, ag1->first_responses_missed = 0, ag2->first_responses_missed = 1;
	org->first_response_within_sla = 0.8, ag1->first_response_within_sla = 1.0, ag2->first_response_within_sla = 0.75;
	org->resolutions_met = 4, ag1->resolutions_met = 2, ag2->resolutions_met = 2;
	org->resolution_within_sla = ag1->resolution_within_sla = ag2->resolution_within_sla = 1.0;
	org->first_contact_resolutions = 1, ag1->first_contact_resolutions = 1;
	org->first_contact_resolution_rate = 0.25, ag1->first_contact_resolution_rate = 0.5;
	org->touches_per_resolved = 1.25, ag1->touches_per_resolved = 1.0, ag2->touches_per_resolved = 1.5;
	org->handoffs = 3, ag1->handoffs = 1, ag2->handoffs = 2;
	org->handoffs_without_progress = 1, ag1->handoffs_without_progress = 1;
	org->escalations_raised = 3, ag1->escalations_raised = 1, ag2->escalations_raised = 1;
	org->escalations_approved = 1, ag1->escalations_approved = 1;
	org->escalations_rejected = 1, ag2->escalations_rejected = 1;
	org->sla_breaches = 1, ag2->sla_breaches = 1;
	org->coverage_promised_hours = 2 * a + 1.0, ag1->coverage_promised_hours = a + 1.0, ag2->coverage_promised_hours = a;
	org->coverage_held_hours = a + 1.0 + a2_held, ag1->coverage_held_hours = a + 1.0, ag2->coverage_held_hours = a2_held;
	org->coverage_gap_hours = 1.0 + (a - a2_held);
}

/* Fails the case unless got has every figure of want: counts exactly,
 * shares and hours to 1e-6 (the release instant is read back in ms). */
static void row_is(const Baton__V1__ReportRow *got, const Baton__V1__ReportRow *want)
{
	const ProtobufCMessageDescriptor *d = &baton__v1__report_row__descriptor;
	int bad = 0;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *g = (const char *)got + f->offset, *w = (const char *)want + f->offset;
		if (f->type == PROTOBUF_C_TYPE_STRING && strcmp(*(char *const *)g, *(char *const *)w) != 0) {
			print_error("%s/%s: %s is \"%s\", want \"%s\"\n", want->org, want->agent, f->name, *(char *const *)g,
			    *(char *const *)w);
			bad++;
		} else if (f->type == PROTOBUF_C_TYPE_INT64 && *(const int64_t *)g != *(const int64_t *)w) {
			print_error("%s/%s: %s is %lld, want %lld\n", want->org, want->agent, f->name,
			    (long long)*(const int64_t *)g, (long long)*(const int64_t *)w);
			bad++;
		} else if (f->type == PROTOBUF_C_TYPE_DOUBLE) {
			double dg = *(const double *)g, dw = *(const double *)w;
			if (dg - dw > 1e-6 || dw - dg > 1e-6) {
				print_error("%s/%s: %s is %.9f, want %.9f\n", want->org, want->agent, f->name, dg, dw);
				bad++;
			}
		}
	}
	assert_int_equal(bad, 0);
}

/* Report as c for the scenario's period; on OK the reply (caller frees). */
static baton_status report(baton_client *c, const char *org, bool by_agent, Baton__V1__ReportReply **out, char *msg,
    size_t msg_len)
{
	Baton__V1__ReportRequest req = BATON__V1__REPORT_REQUEST__INIT;

	req.from_unix_ms = sc.start_ms;
	req.to_unix_ms = sc.end_ms;
	req.org = (char *)(org != NULL ? org : "");
	req.by_agent = by_agent;
	*out = NULL;
	return shiftfix_call(c, REPORT, &req.base, &baton__v1__report_reply__descriptor, (ProtobufCMessage **)out, msg,
	    msg_len);
}

static Baton__V1__ReportReply *report_must(baton_client *c, const char *org, bool by_agent)
{
	Baton__V1__ReportReply *r;
	char msg[512];

	must("Report", report(c, org, by_agent, &r, msg, sizeof(msg)), msg);
	assert_int_equal(r->from_unix_ms, sc.start_ms);
	assert_int_equal(r->to_unix_ms, sc.end_ms);
	return r;
}

/* The index of org's row (agent "" or a handle) in r, or -1. */
static int row_of(const Baton__V1__ReportReply *r, const char *org, const char *agent)
{
	for (size_t i = 0; i < r->n_rows; i++)
		if (strcmp(r->rows[i]->org, org) == 0 && strcmp(r->rows[i]->agent, agent) == 0)
			return (int)i;
	return -1;
}

/* ---- cases ------------------------------------------------------------------------------ */

/*
 * Every figure of warsaw-nights' row and of its two agents' rows, as the
 * partner's manager and as the lead see them (the same: row-level security
 * must not hide part of a partner's own record from it), and the rows in
 * order: the organization, then its agents by handle, and nobody else of it.
 */
static void the_partner_figures_are_the_known_answers(void **state)
{
	Baton__V1__ReportRow org, ag1, ag2;
	Baton__V1__ReportReply *r;
	int i;
	(void)state;

	scenario_build();
	expected_rows(&org, &ag1, &ag2);

	r = report_must(registry.wn_mgr.client, NULL, true);
	assert_int_equal(r->n_rows, 3);
	row_is(r->rows[0], &org);
	row_is(r->rows[1], &ag1);
	row_is(r->rows[2], &ag2);
	baton__v1__report_reply__free_unpacked(r, NULL);

	r = report_must(registry.lead.client, "warsaw-nights", true);
	assert_int_equal(r->n_rows, 3);
	row_is(r->rows[0], &org);
	row_is(r->rows[1], &ag1);
	row_is(r->rows[2], &ag2);
	baton__v1__report_reply__free_unpacked(r, NULL);

	/* Without by_agent: the organization's row alone, the same figures. */
	r = report_must(registry.lead.client, registry.wn_id, false);
	assert_int_equal(r->n_rows, 1);
	row_is(r->rows[0], &org);
	baton__v1__report_reply__free_unpacked(r, NULL);

	/* Every organization for the lead, by name, each agent right after its
	 * organization. */
	r = report_must(registry.lead.client, NULL, true);
	for (size_t k = 1; k < r->n_rows; k++) {
		const Baton__V1__ReportRow *p = r->rows[k - 1], *q = r->rows[k];
		int by_org = strcmp(p->org, q->org);
		assert_true(by_org <= 0);
		if (by_org == 0)
			assert_true(q->agent[0] != '\0' && (p->agent[0] == '\0' || strcmp(p->agent, q->agent) < 0));
		else
			assert_string_equal(q->agent, "");
	}
	i = row_of(r, "warsaw-nights", "");
	assert_true(i >= 0);
	row_is(r->rows[i], &org);
	assert_true(row_of(r, "warsaw-nights", "wn-manager") < 0);
	assert_true(row_of(r, "in-house", "") >= 0);
	assert_true(row_of(r, "cap-north", "") >= 0);
	i = row_of(r, "sol-latino", "sl-agent1");
	assert_true(i >= 0);
	assert_int_equal(r->rows[i]->tickets_taken, 1);
	assert_int_equal(r->rows[i]->tickets_resolved, 1);
	assert_int_equal(r->rows[i]->first_contact_resolutions, 1);
	baton__v1__report_reply__free_unpacked(r, NULL);
}

/* Partners and in-house agents and managers see their own organization only;
 * asking for another, by name or id, is PERMISSION_DENIED; integrations may
 * not ask at all. */
static void partners_see_only_their_own_organization(void **state)
{
	Baton__V1__ReportReply *r;
	char msg[512];
	(void)state;

	scenario_build();
	r = report_must(registry.sl_agent1.client, NULL, false);
	assert_int_equal(r->n_rows, 1);
	assert_string_equal(r->rows[0]->org, "sol-latino");
	assert_int_equal(r->rows[0]->tickets_taken, 1);
	baton__v1__report_reply__free_unpacked(r, NULL);

	r = report_must(registry.wn_agent1.client, NULL, true);
	assert_int_equal(r->n_rows, 3);
	for (size_t k = 0; k < r->n_rows; k++)
		assert_string_equal(r->rows[k]->org, "warsaw-nights");
	baton__v1__report_reply__free_unpacked(r, NULL);

	r = report_must(registry.hq_mgr.client, NULL, false);
	assert_int_equal(r->n_rows, 1);
	assert_string_equal(r->rows[0]->org, "in-house");
	baton__v1__report_reply__free_unpacked(r, NULL);

	shiftfix_expect("a partner asks for another", report(registry.sl_mgr.client, "warsaw-nights", false, &r, msg,
	                                                  sizeof(msg)),
	    msg, BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("a partner asks for another by id", report(registry.wn_agent1.client, registry.sl_id, true, &r,
	                                                        msg, sizeof(msg)),
	    msg, BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("a partner asks for the in-house one", report(registry.wn_mgr.client, "in-house", false, &r, msg,
	                                                          sizeof(msg)),
	    msg, BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("an in-house manager asks for a partner", report(registry.hq_mgr.client, "warsaw-nights", false,
	                                                              &r, msg, sizeof(msg)),
	    msg, BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("an integration", report(registry.integ.client, NULL, false, &r, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);
	/* Their own, asked for by name, is fine. */
	r = report_must(registry.sl_mgr.client, "sol-latino", false);
	assert_int_equal(r->n_rows, 1);
	baton__v1__report_reply__free_unpacked(r, NULL);
}

/* The period: the end after the start, at most 400 days; an unknown
 * organization. */
static void periods_and_organizations_are_checked(void **state)
{
	Baton__V1__ReportRequest req = BATON__V1__REPORT_REQUEST__INIT;
	Baton__V1__ReportReply *r = NULL;
	char msg[512];
	(void)state;

	scenario_build();
	req.from_unix_ms = sc.start_ms;
	req.to_unix_ms = sc.start_ms;
	shiftfix_expect("an empty period", shiftfix_call(registry.lead.client, REPORT, &req.base,
	                                       &baton__v1__report_reply__descriptor, (ProtobufCMessage **)&r, msg,
	                                       sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, NULL);
	req.to_unix_ms = sc.start_ms + 401 * SH_DAY_MS;
	shiftfix_expect("401 days", shiftfix_call(registry.lead.client, REPORT, &req.base,
	                                &baton__v1__report_reply__descriptor, (ProtobufCMessage **)&r, msg, sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, "400");
	req.to_unix_ms = sc.start_ms + 400 * SH_DAY_MS;
	must("400 days", shiftfix_call(registry.lead.client, REPORT, &req.base, &baton__v1__report_reply__descriptor,
	                     (ProtobufCMessage **)&r, msg, sizeof(msg)),
	    msg);
	baton__v1__report_reply__free_unpacked(r, NULL);
	r = NULL;
	req.org = "no-such-org";
	shiftfix_expect("an unknown organization", shiftfix_call(registry.lead.client, REPORT, &req.base,
	                                               &baton__v1__report_reply__descriptor, (ProtobufCMessage **)&r,
	                                               msg, sizeof(msg)),
	    msg, BATON_NOT_FOUND, NULL);
}

/* batonctl report through the real binary: the table (organization rows,
 * agents indented under them, shares as percentages), one JSON object per
 * row, CSV with a header; usage errors exit 2 before any call. */
static void batonctl_report_prints_table_json_and_csv(void **state)
{
	const char *line;
	char want[512];
	(void)state;

	scenario_build();
	/* The table. */
	ctlrun_ran(ctlrun(&registry.lead, "report --from %s --to %s --org warsaw-nights --by agent", sc.from_iso,
	               sc.to_iso),
	    0);
	ctlrun_said(ctlrun_out, "ORGANIZATION/AGENT");
	line = strstr(ctlrun_out, "\nwarsaw-nights ");
	assert_non_null(line);
	line++;
	assert_non_null(strstr(line, "25.0% (1/4)"));
	assert_true(strncmp(ctlrun_next_line(line), "  wn-agent1 ", 12) == 0);
	assert_true(strncmp(ctlrun_next_line(ctlrun_next_line(line)), "  wn-agent2 ", 12) == 0);
	ctlrun_said(ctlrun_out, "80.0% (4/5)");
	ctlrun_said(ctlrun_out, "100.0% (4/4)");
	ctlrun_said(ctlrun_out, "75.0% (3/4)");
	assert_int_equal(ctlrun_occurrences(ctlrun_out, "\nwarsaw-nights "), 3); /* one line in each table */
	assert_int_equal(ctlrun_occurrences(ctlrun_out, "\n  wn-agent2 "), 3);

	/* JSON: one object per row, every field. */
	ctlrun_ran(ctlrun(&registry.wn_mgr, "--json report --from %s --to %s --by agent", sc.from_iso, sc.to_iso), 0);
	assert_int_equal(ctlrun_json_lines(ctlrun_out), 3);
	ctlrun_json_str_is(ctlrun_out, "org", "warsaw-nights");
	ctlrun_json_str_is(ctlrun_out, "agent", "");
	assert_int_equal(ctlrun_json_int(ctlrun_out, "tickets_taken"), 6);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "handoffs_without_progress"), 1);
	ctlrun_said(ctlrun_out, "\"first_response_within_sla\":0.800,");
	ctlrun_said(ctlrun_out, "\"touches_per_resolved\":1.250,");
	line = ctlrun_next_line(ctlrun_out);
	ctlrun_json_str_is(line, "agent", "wn-agent1");
	ctlrun_json_str_is(ctlrun_next_line(line), "agent", "wn-agent2");

	/* CSV: the header names every field, numbers plain, CRLF line ends. */
	ctlrun_ran(ctlrun(&registry.wn_mgr, "report --from %s --to %s --by agent --csv", sc.from_iso, sc.to_iso), 0);
	assert_int_equal(ctlrun_occurrences(ctlrun_out, "\r\n"), 4);
	assert_int_equal(ctlrun_occurrences(ctlrun_out, "\n"), 4);
	ctlrun_said(ctlrun_out, "org,agent,tickets_taken,tickets_resolved,first_responses_met,first_responses_missed,"
	                        "first_response_within_sla,resolutions_met,resolutions_missed,resolution_within_sla,"
	                        "first_contact_resolutions,first_contact_resolution_rate,touches_per_resolved,handoffs,"
	                        "handoffs_without_progress,escalations_raised,escalations_approved,escalations_rejected,"
	                        "escalations_expired,sla_breaches,coverage_promised_hours,coverage_held_hours,"
	                        "coverage_gap_hours\r\n");
	assert_true(strncmp(ctlrun_out, "org,agent,", 10) == 0);
	ctlrun_said(ctlrun_out, "\r\nwarsaw-nights,,6,4,4,1,0.8,4,0,1,1,0.25,1.25,3,1,3,1,1,0,1,");
	snprintf(want, sizeof(want), "\r\nwarsaw-nights,wn-agent1,3,2,1,0,1,2,0,1,1,0.5,1,1,1,1,");
	ctlrun_said(ctlrun_out, want);
	ctlrun_said(ctlrun_out, "\r\nwarsaw-nights,wn-agent2,3,2,3,1,0.75,2,0,1,0,0,1.5,2,0,1,");

	/* What only the server can judge: exit 1 with its status. */
	ctlrun_ran(ctlrun(&registry.wn_agent1, "report --from %s --to %s --org sol-latino", sc.from_iso, sc.to_iso), 1);
	ctlrun_said(ctlrun_err, "PERMISSION_DENIED");
	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json report --from %s --to %s --org sol-latino", sc.from_iso,
	               sc.to_iso),
	    1);
	ctlrun_said(ctlrun_out, "\"status\":\"PERMISSION_DENIED\"");
	ctlrun_ran(ctlrun(&registry.lead, "report --from 2025-01-01T00:00Z --to 2026-03-01T00:00Z"), 1);
	ctlrun_said(ctlrun_err, "INVALID_ARGUMENT");
}

/* Command lines batonctl refuses before calling anyone (exit 2), and what
 * its message names. */
static const char *const refused[][2] = {
	{ "report", "--from" },
	{ "report --from now-1d", "--to" },
	{ "report --from yesterday --to now", "not a time" },
	{ "report --from now --to now-1h", "after --from" },
	{ "report --from now-1d --to now --by team", "'agent'" },
	{ "report --from now-1d --to now --bogus", "unknown" },
	{ "report --from now-1d --to now extra", "unexpected" },
	{ "--json report --from now-1d --to now --csv", "not both" },
};

static void report_usage_errors_exit_2(void **state)
{
	(void)state;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ctlrun_ran(ctlrun(&registry.lead, "%s", refused[i][0]), 2);
		ctlrun_said(ctlrun_err, refused[i][1]);
		assert_string_equal(ctlrun_out, "");
	}
	ctlrun_ran(ctlrun(NULL, "report --help"), 0);
	ctlrun_said(ctlrun_out, "--by agent");
	ctlrun_said(ctlrun_out, "--csv");
	ctlrun_ran(ctlrun(NULL, "--help"), 0);
	ctlrun_said(ctlrun_out, "  report ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(the_partner_figures_are_the_known_answers, shiftfix_cleanup),
		cmocka_unit_test_teardown(partners_see_only_their_own_organization, shiftfix_cleanup),
		cmocka_unit_test_teardown(periods_and_organizations_are_checked, shiftfix_cleanup),
		cmocka_unit_test_teardown(batonctl_report_prints_table_json_and_csv, shiftfix_cleanup),
		cmocka_unit_test_teardown(report_usage_errors_exit_2, shiftfix_cleanup),
	};

	/* The maintenance pass (the SLA worker, the shift-end hand-off) every
	 * 200 ms, so a 2 s target breaches in time. */
	setenv("BATON_MAINTENANCE_MS", "200", 1);
	return cmocka_run_group_tests_name("integration: reports", tests, group_setup, shiftfix_teardown);
}
