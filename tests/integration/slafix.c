/* slafix.c - the SLA and escalation tests' contracts, calls, clocks and waits (see slafix.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "slafix.h"

/* ---- contracts ------------------------------------------------------------------ */

enum { MAX_HOURS = 32, MAX_HOLIDAYS = 16 };

/* Parses spec->hours into h (MAX_HOURS); returns how many. */
static size_t hours_parse(const char *text, Baton__V1__SlaHours *h, char (*times)[2][8])
{
	char copy[512], *save = NULL;
	size_t n = 0;

	if (text == NULL)
		return 0;
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *seg = strtok_r(copy, ";", &save); seg != NULL; seg = strtok_r(NULL, ";", &save)) {
		char days[8], opens[8], closes[8];

		if (sscanf(seg, " %7[1-7] %5[0-9:]-%5[0-9:]", days, opens, closes) != 3)
			fail_msg("slafix: bad hours \"%s\"", seg);
		for (const char *d = days; *d != '\0'; d++) {
			assert_true(n < MAX_HOURS);
			h[n] = (Baton__V1__SlaHours)BATON__V1__SLA_HOURS__INIT;
			h[n].weekday = *d - '0';
			snprintf(times[n][0], 8, "%s", opens);
			snprintf(times[n][1], 8, "%s", closes);
			h[n].opens = times[n][0];
			h[n].closes = times[n][1];
			n++;
		}
	}
	return n;
}

/* Parses "day[=name],..." into d (MAX_HOLIDAYS), pointing into copy; returns how many. */
static size_t holidays_parse(const char *text, Baton__V1__SlaHoliday *d, char *copy, size_t copy_len)
{
	char *save = NULL;
	size_t n = 0;

	if (text == NULL)
		return 0;
	snprintf(copy, copy_len, "%s", text);
	for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');

		assert_true(n < MAX_HOLIDAYS);
		d[n] = (Baton__V1__SlaHoliday)BATON__V1__SLA_HOLIDAY__INIT;
		if (eq != NULL)
			*eq++ = '\0';
		d[n].day = item;
		d[n].name = eq != NULL ? eq : "";
		n++;
	}
	return n;
}

baton_status slafix_contract_set(baton_client *c, const slafix_contract *spec, Baton__V1__SlaContract **out,
    char *msg, size_t msg_len)
{
	Baton__V1__SetSlaContractRequest req = BATON__V1__SET_SLA_CONTRACT_REQUEST__INIT;
	Baton__V1__SlaContract k = BATON__V1__SLA_CONTRACT__INIT;
	Baton__V1__SetSlaContractReply *rep = NULL;
	Baton__V1__SlaHours hours[MAX_HOURS], *hours_p[MAX_HOURS];
	Baton__V1__SlaHoliday days[MAX_HOLIDAYS], *days_p[MAX_HOLIDAYS];
	Baton__V1__SlaTarget targets[4], *targets_p[4];
	char times[MAX_HOURS][2][8], days_text[512];
	baton_status s;

	k.org = (char *)(spec->org != NULL ? spec->org : "");
	k.time_zone = (char *)(spec->time_zone != NULL ? spec->time_zone : "UTC");
	k.always_open = spec->always_open;
	k.n_hours = hours_parse(spec->hours, hours, times);
	for (size_t i = 0; i < k.n_hours; i++)
		hours_p[i] = &hours[i];
	k.hours = hours_p;
	k.n_holidays = holidays_parse(spec->holidays, days, days_text, sizeof(days_text));
	for (size_t i = 0; i < k.n_holidays; i++)
		days_p[i] = &days[i];
	k.holidays = days_p;
	k.n_targets = spec->priorities > 0 ? (size_t)spec->priorities : 4;
	for (size_t i = 0; i < k.n_targets; i++) {
		targets[i] = (Baton__V1__SlaTarget)BATON__V1__SLA_TARGET__INIT;
		targets[i].priority = (int32_t)i + 1;
		targets[i].first_response_s = spec->first_response_s ? spec->first_response_s : 3600;
		targets[i].next_response_s = spec->next_response_s ? spec->next_response_s : 7200;
		targets[i].resolution_s = spec->resolution_s ? spec->resolution_s : 28800;
		targets_p[i] = &targets[i];
	}
	k.targets = targets_p;
	k.warn_percent = spec->warn_percent ? spec->warn_percent : 80;
	k.ownership_timeout_s = spec->ownership_timeout_s ? spec->ownership_timeout_s : 3600;
	k.escalation_normal_s = spec->escalation_normal_s ? spec->escalation_normal_s : 3600;
	k.escalation_urgent_s = spec->escalation_urgent_s ? spec->escalation_urgent_s : 900;
	k.note = (char *)(spec->note != NULL ? spec->note : "");
	req.contract = &k;
	if (out != NULL)
		*out = NULL;
	s = shiftfix_call(c, SLA_SET, &req.base, &baton__v1__set_sla_contract_reply__descriptor,
	    (ProtobufCMessage **)&rep, msg, msg_len);
	if (rep != NULL) {
		if (out != NULL) {
			*out = rep->contract;
			rep->contract = NULL;
		}
		baton__v1__set_sla_contract_reply__free_unpacked(rep, NULL);
	}
	return s;
}

int32_t slafix_contract_must(const slafix_contract *spec)
{
	Baton__V1__SlaContract *k = NULL;
	char msg[512];
	baton_status s = slafix_contract_set(registry.admin, spec, &k, msg, sizeof(msg));
	int32_t version;

	shiftfix_expect("SetSlaContract", s, msg, BATON_OK, NULL);
	assert_non_null(k);
	version = k->version;
	baton__v1__sla_contract__free_unpacked(k, NULL);
	return version;
}

baton_status slafix_contract_show(baton_client *c, const char *org, int32_t version,
    Baton__V1__ShowSlaContractReply **out, char *msg, size_t msg_len)
{
	Baton__V1__ShowSlaContractRequest req = BATON__V1__SHOW_SLA_CONTRACT_REQUEST__INIT;

	req.org = (char *)(org != NULL ? org : "");
	req.version = version;
	return shiftfix_call(c, SLA_SHOW, &req.base, &baton__v1__show_sla_contract_reply__descriptor,
	    (ProtobufCMessage **)out, msg, msg_len);
}

baton_status slafix_deadline(baton_client *c, const char *org, int64_t from_ms, int64_t seconds, int64_t *due,
    Baton__V1__SlaDeadlineReply **out, char *msg, size_t msg_len)
{
	Baton__V1__SlaDeadlineRequest req = BATON__V1__SLA_DEADLINE_REQUEST__INIT;
	Baton__V1__SlaDeadlineReply *rep = NULL;
	baton_status s;

	req.org = (char *)(org != NULL ? org : "");
	req.from_unix_ms = from_ms;
	req.seconds = seconds;
	s = shiftfix_call(c, SLA_DEADLINE, &req.base, &baton__v1__sla_deadline_reply__descriptor,
	    (ProtobufCMessage **)&rep, msg, msg_len);
	if (due != NULL)
		*due = rep != NULL ? rep->due_unix_ms : -1;
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__sla_deadline_reply__free_unpacked(rep, NULL);
	return s;
}

int slafix_contracts_set(const slafix_contract *k, size_t n)
{
	char msg[512];

	for (size_t i = 0; i < n; i++) {
		baton_status s = slafix_contract_set(registry.admin, &k[i], NULL, msg, sizeof(msg));
		if (s != BATON_OK) {
			fprintf(stderr, "SetSlaContract %s: %s: %s\n", k[i].org != NULL ? k[i].org : "(default)",
			    baton_status_str(s), msg);
			return -1;
		}
	}
	return 0;
}

int slafix_orgs_add(const char *names, const char *langs, char (*ids)[40])
{
	char copy[512], *save = NULL;
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", names);
	for (char *name = strtok_r(copy, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save), n++) {
		baton_result res;
		baton_status s = fixture_org_add(registry.admin, name, "overflow", langs, "UTC", ids[n], &res);

		if (s != BATON_OK)
			fprintf(stderr, "AddOrg %s: %s: %s\n", name, baton_status_str(s), res.message);
		baton_result_clear(&res);
		if (s != BATON_OK)
			return -1;
	}
	return 0;
}

/* ---- a ticket's clocks -------------------------------------------------------------- */

baton_status slafix_ticket_sla(baton_client *c, const char *ticket, bool recompute, Baton__V1__TicketSlaReply **out,
    char *msg, size_t msg_len)
{
	Baton__V1__TicketSlaRequest req = BATON__V1__TICKET_SLA_REQUEST__INIT;

	req.ticket = (char *)ticket;
	req.recompute = recompute;
	return shiftfix_call(c, SLA_TICKET, &req.base, &baton__v1__ticket_sla_reply__descriptor,
	    (ProtobufCMessage **)out, msg, msg_len);
}

Baton__V1__TicketSlaReply *slafix_sla_must(baton_client *c, const char *ticket)
{
	Baton__V1__TicketSlaReply *r = NULL;
	char msg[512];

	shiftfix_expect("TicketSla", slafix_ticket_sla(c, ticket, false, &r, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_non_null(r);
	return r;
}

void slafix_print(const char *what, const Baton__V1__TicketSlaReply *r)
{
	print_message("%s: ticket %s, %s v%d (%s)%s, %zu clocks\n", what, r->ticket, r->responsible_org,
	    r->contract_version, r->time_zone, r->paused ? ", paused" : "", r->n_clocks);
	for (size_t i = 0; i < r->n_clocks; i++) {
		const Baton__V1__SlaClock *k = r->clocks[i];
		print_message("  %s/%d %s target %lld used %.3f started %lld warn %lld due %lld warned %lld breached %lld"
		              " ended %lld (%s v%d)\n", k->clock, k->cycle, k->state, (long long)k->target_s, k->used_s,
		    (long long)k->started_unix_ms, (long long)k->warn_unix_ms, (long long)k->due_unix_ms,
		    (long long)k->warned_unix_ms, (long long)k->breached_unix_ms, (long long)k->ended_unix_ms,
		    k->contract_org, k->contract_version);
	}
}

bool slafix_has_clock(const Baton__V1__TicketSlaReply *r, const char *clock, int cycle)
{
	for (size_t i = 0; i < r->n_clocks; i++)
		if (strcmp(r->clocks[i]->clock, clock) == 0 && r->clocks[i]->cycle == cycle)
			return true;
	return false;
}

const Baton__V1__SlaClock *slafix_clock(const Baton__V1__TicketSlaReply *r, const char *clock, int cycle)
{
	for (size_t i = 0; i < r->n_clocks; i++)
		if (strcmp(r->clocks[i]->clock, clock) == 0 && r->clocks[i]->cycle == cycle)
			return r->clocks[i];
	slafix_print("no such clock", r);
	fail_msg("ticket %s has no %s clock of cycle %d", r->ticket, clock, cycle);
	return NULL;
}

void slafix_recomputes(const char *ticket)
{
	Baton__V1__TicketSlaReply *r = NULL;
	char msg[512];

	shiftfix_expect("TicketSla recompute", slafix_ticket_sla(registry.admin, ticket, true, &r, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	if (!r->recomputed || !r->recomputed_matches)
		slafix_print("the replay of the events gives other clocks", r);
	assert_true(r->recomputed);
	assert_true(r->recomputed_matches);
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);
}

/* ---- escalations ---------------------------------------------------------------------- */

/* Calls method and hands out the reply's "escalation" member, detached from
 * the reply (freed here), when out is not NULL. */
static baton_status escalation_call(baton_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *reply_desc, Baton__V1__Escalation **out, char *msg, size_t msg_len)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(reply_desc, "escalation");
	ProtobufCMessage *rep = NULL;
	Baton__V1__Escalation **member;
	baton_status s = shiftfix_call(c, method, req, reply_desc, &rep, msg, msg_len);

	assert_non_null(f);
	if (out != NULL)
		*out = NULL;
	if (rep == NULL)
		return s;
	member = (Baton__V1__Escalation **)(void *)((char *)rep + f->offset);
	if (out != NULL) {
		*out = *member;
		*member = NULL;
	}
	protobuf_c_message_free_unpacked(rep, NULL);
	return s;
}

void slafix_escalation_free(Baton__V1__Escalation *e)
{
	if (e != NULL)
		baton__v1__escalation__free_unpacked(e, NULL);
}

baton_status slafix_escalate(baton_client *c, const char *ticket, const char *reason, bool urgent,
    Baton__V1__Escalation **out, char *msg, size_t msg_len)
{
	Baton__V1__EscalateRequest req = BATON__V1__ESCALATE_REQUEST__INIT;

	req.ticket = (char *)ticket;
	req.reason = (char *)(reason != NULL ? reason : "");
	req.urgent = urgent;
	return escalation_call(c, ESC_RAISE, &req.base, &baton__v1__escalate_reply__descriptor, out, msg, msg_len);
}

Baton__V1__Escalation *slafix_escalate_must(baton_client *c, const char *ticket, const char *reason, bool urgent)
{
	Baton__V1__Escalation *e = NULL;
	char msg[512];

	shiftfix_expect("Escalate", slafix_escalate(c, ticket, reason, urgent, &e, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_non_null(e);
	return e;
}

baton_status slafix_decide(baton_client *c, const char *id, bool reject, const char *assign_to, const char *note,
    Baton__V1__Escalation **out, char *msg, size_t msg_len)
{
	Baton__V1__ApproveEscalationRequest approve = BATON__V1__APPROVE_ESCALATION_REQUEST__INIT;
	Baton__V1__RejectEscalationRequest no = BATON__V1__REJECT_ESCALATION_REQUEST__INIT;
	const char *text = note != NULL ? note : "";

	if (reject) {
		no.id = (char *)id;
		no.note = (char *)text;
		return escalation_call(c, ESC_REJECT, &no.base, &baton__v1__reject_escalation_reply__descriptor, out, msg,
		    msg_len);
	}
	approve.id = (char *)id;
	approve.assign_to = (char *)(assign_to != NULL ? assign_to : "");
	approve.note = (char *)text;
	return escalation_call(c, ESC_APPROVE, &approve.base, &baton__v1__approve_escalation_reply__descriptor, out,
	    msg, msg_len);
}

void slafix_escalation_is(const Baton__V1__Escalation *e, const char *ticket, const char *source,
    const char *raised_by, const char *urgency, const char *clock, const char *state, int level)
{
	const char *got[] = { e->ticket, e->source, e->raised_by, e->urgency, e->clock, e->state };
	const char *want[] = { ticket, source, raised_by, urgency, clock, state };

	for (size_t i = 0; i < sizeof(got) / sizeof(got[0]); i++) {
		if (strcmp(got[i], want[i]) != 0)
			print_error("escalation %s: field %zu is '%s', want '%s'\n", e->id, i, got[i], want[i]);
		assert_string_equal(got[i], want[i]);
	}
	assert_int_equal(e->level, level);
}

baton_status slafix_escalation_show(baton_client *c, const char *id, Baton__V1__ShowEscalationReply **out, char *msg,
    size_t msg_len)
{
	Baton__V1__ShowEscalationRequest req = BATON__V1__SHOW_ESCALATION_REQUEST__INIT;

	req.id = (char *)id;
	return shiftfix_call(c, ESC_SHOW, &req.base, &baton__v1__show_escalation_reply__descriptor,
	    (ProtobufCMessage **)out, msg, msg_len);
}

baton_status slafix_escalations_list(baton_client *c, bool open_only, bool mine, const char *ticket,
    Baton__V1__ListEscalationsReply **out, char *msg, size_t msg_len)
{
	Baton__V1__ListEscalationsRequest req = BATON__V1__LIST_ESCALATIONS_REQUEST__INIT;

	req.open_only = open_only;
	req.mine = mine;
	req.ticket = (char *)(ticket != NULL ? ticket : "");
	req.page_size = 500;
	return shiftfix_call(c, ESC_LIST, &req.base, &baton__v1__list_escalations_reply__descriptor,
	    (ProtobufCMessage **)out, msg, msg_len);
}

const Baton__V1__Escalation *slafix_listed(const Baton__V1__ListEscalationsReply *l, const char *id)
{
	for (size_t i = 0; i < l->n_escalations; i++)
		if (strcmp(l->escalations[i]->id, id) == 0)
			return l->escalations[i];
	return NULL;
}

/* ---- the database ------------------------------------------------------------------------ */

long slafix_clock_events(const char *ticket, const char *kind, const char *clock)
{
	if (clock == NULL)
		return ticketfix_events(ticket, kind);
	return registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = '%s'"
	                     " AND body->>'clock' = '%s'", ticket, kind, clock);
}

long slafix_escalations_of(const char *ticket, const char *state)
{
	if (state == NULL)
		return registry_sqln("SELECT count(*) FROM escalation WHERE ticket_id = '%s'", ticket);
	return registry_sqln("SELECT count(*) FROM escalation WHERE ticket_id = '%s' AND state = '%s'", ticket, state);
}

bool slafix_wait_at_least(long want, const char *fmt, ...)
{
	char query[2048];
	va_list ap;
	long got = -1;

	va_start(ap, fmt);
	vsnprintf(query, sizeof(query), fmt, ap);
	va_end(ap);
	for (int64_t give_up = harness_now_ms() + SLAFIX_WAIT_MS;; harness_sleep_ms(100)) {
		got = registry_sqln("%s", query);
		if (got >= want)
			return true;
		if (harness_now_ms() > give_up) {
			print_error("waited %d ms for %ld from \"%s\"; it gives %ld\n", SLAFIX_WAIT_MS, want, query, got);
			return false;
		}
	}
}
