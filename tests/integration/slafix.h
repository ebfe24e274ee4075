/* slafix.h - what the SLA and escalation tests share: contracts in a few words, the Sla and Escalations calls, a ticket's clocks, bounded waits on SQL counts. */
#ifndef BATON_TESTS_SLAFIX_H
#define BATON_TESTS_SLAFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/client.h>

#include "baton/v1/sla.pb-c.h"
#include "registry.h"
#include "shiftfix.h"
#include "ticketfix.h"

#define SLA_SET         "/baton.v1.Sla/SetSlaContract"
#define SLA_SHOW        "/baton.v1.Sla/ShowSlaContract"
#define SLA_DEADLINE    "/baton.v1.Sla/SlaDeadline"
#define SLA_TICKET      "/baton.v1.Sla/TicketSla"
#define ESC_RAISE       "/baton.v1.Escalations/Escalate"
#define ESC_LIST        "/baton.v1.Escalations/ListEscalations"
#define ESC_SHOW        "/baton.v1.Escalations/ShowEscalation"
#define ESC_APPROVE     "/baton.v1.Escalations/ApproveEscalation"
#define ESC_REJECT      "/baton.v1.Escalations/RejectEscalation"

/* Fails the case unless call, whose message argument is SLAFIX_MSG, is OK
 * (saying what and the server's message otherwise). */
#define SLAFIX_MUST(what, call)                                               \
	do {                                                                      \
		char slafix_msg_[512];                                                \
		shiftfix_expect((what), (call), slafix_msg_, BATON_OK, NULL);         \
	} while (0)
#define SLAFIX_MSG slafix_msg_, sizeof(slafix_msg_)

/* How long a poll for the maintenance pass's work may take at most. */
#define SLAFIX_WAIT_MS 30000

/* ---- contracts ------------------------------------------------------------------ */

/* A contract in a few words; NULL/0 fields take the defaults noted. */
typedef struct slafix_contract {
	const char *org;       /* NULL or "": the in-house default */
	const char *time_zone; /* NULL: "UTC" */
	bool        always_open;
	/* Weekly hours: ';'-separated "DAYS HH:MM-HH:MM", DAYS ISO weekday
	 * digits ("12345 09:00-18:00; 3 13:00-17:00"); NULL: none. */
	const char *hours;
	/* ','-separated "YYYY-MM-DD" or "YYYY-MM-DD=name"; NULL: none. */
	const char *holidays;
	/* The same targets for every priority; 0: 3600, 7200, 28800. */
	int64_t     first_response_s, next_response_s, resolution_s;
	int         priorities;          /* 0: P1 .. P4; n: only P1 .. Pn */
	int32_t     warn_percent;        /* 0: 80 */
	int64_t     ownership_timeout_s; /* 0: 3600 */
	int64_t     escalation_normal_s; /* 0: 3600 */
	int64_t     escalation_urgent_s; /* 0: 900 */
	const char *note;                /* NULL: "" */
} slafix_contract;

/* SetSlaContract as c; on OK and when out is not NULL, the new version
 * (caller frees with baton__v1__sla_contract__free_unpacked). msg (may be
 * NULL) gets the server's message. */
baton_status slafix_contract_set(baton_client *c, const slafix_contract *spec, Baton__V1__SlaContract **out,
    char *msg, size_t msg_len);
/* slafix_contract_set as the first admin that fails the case unless OK;
 * returns the new version's number. */
int32_t slafix_contract_must(const slafix_contract *spec);
/* ShowSlaContract of org ("" the default; version 0 the latest); on OK the
 * reply (caller frees). */
baton_status slafix_contract_show(baton_client *c, const char *org, int32_t version,
    Baton__V1__ShowSlaContractReply **out, char *msg, size_t msg_len);
/* SlaDeadline; on OK the due instant goes to *due (and the reply to *out
 * when not NULL; caller frees). */
baton_status slafix_deadline(baton_client *c, const char *org, int64_t from_ms, int64_t seconds, int64_t *due,
    Baton__V1__SlaDeadlineReply **out, char *msg, size_t msg_len);

/* SetSlaContract of each of the n contracts as the first admin, for a
 * group setup: 0 on success, -1 with the reason printed. */
int slafix_contracts_set(const slafix_contract *k, size_t n);
/* AddOrg of each name in the comma-separated names ("overflow", the
 * comma-separated languages langs, UTC), their ids into ids, for a group
 * setup: 0 on success, -1 with the reason printed. */
int slafix_orgs_add(const char *names, const char *langs, char (*ids)[40]);

/* ---- a ticket's clocks -------------------------------------------------------------- */

/* TicketSla; on OK the reply (caller frees). */
baton_status slafix_ticket_sla(baton_client *c, const char *ticket, bool recompute, Baton__V1__TicketSlaReply **out,
    char *msg, size_t msg_len);
/* TicketSla as c that fails the case unless OK (caller frees). */
Baton__V1__TicketSlaReply *slafix_sla_must(baton_client *c, const char *ticket);
/* The clock named clock of cycle cycle in r; fails the case if there is none. */
const Baton__V1__SlaClock *slafix_clock(const Baton__V1__TicketSlaReply *r, const char *clock, int cycle);
/* Whether r has that clock. */
bool slafix_has_clock(const Baton__V1__TicketSlaReply *r, const char *clock, int cycle);
/* Prints r's clocks (why a check failed). */
void slafix_print(const char *what, const Baton__V1__TicketSlaReply *r);
/* TicketSla with recompute as the first admin: fails the case unless the
 * replay of the ticket's events gives the clocks it holds. */
void slafix_recomputes(const char *ticket);

/* ---- escalations ---------------------------------------------------------------------- */

/* Each returns the call's status; msg (may be NULL) gets the server's
 * message; on OK and when out is not NULL, the escalation after the call
 * (caller frees with slafix_escalation_free). */
baton_status slafix_escalate(baton_client *c, const char *ticket, const char *reason, bool urgent,
    Baton__V1__Escalation **out, char *msg, size_t msg_len);
/* ApproveEscalation (assign_to NULL: the approver) or, when reject,
 * RejectEscalation (assign_to unused). */
baton_status slafix_decide(baton_client *c, const char *id, bool reject, const char *assign_to, const char *note,
    Baton__V1__Escalation **out, char *msg, size_t msg_len);
void slafix_escalation_free(Baton__V1__Escalation *e);
/* slafix_escalate that fails the case unless OK; the escalation (caller frees). */
Baton__V1__Escalation *slafix_escalate_must(baton_client *c, const char *ticket, const char *reason, bool urgent);

/* Fails the case unless e is about ticket, from source ("agent" or
 * "sla") raised by raised_by, of urgency, for clock, in state, at level. */
void slafix_escalation_is(const Baton__V1__Escalation *e, const char *ticket, const char *source,
    const char *raised_by, const char *urgency, const char *clock, const char *state, int level);

/* ShowEscalation; on OK the reply (caller frees). */
baton_status slafix_escalation_show(baton_client *c, const char *id, Baton__V1__ShowEscalationReply **out, char *msg,
    size_t msg_len);
/* ListEscalations (ticket may be NULL); on OK the reply (caller frees). */
baton_status slafix_escalations_list(baton_client *c, bool open_only, bool mine, const char *ticket,
    Baton__V1__ListEscalationsReply **out, char *msg, size_t msg_len);
/* The escalation of id in l, or NULL. */
const Baton__V1__Escalation *slafix_listed(const Baton__V1__ListEscalationsReply *l, const char *id);

/* ---- the database ------------------------------------------------------------------------ */

/* Events of kind about ticket whose body names clock (NULL: any clock). */
long slafix_clock_events(const char *ticket, const char *kind, const char *clock);
/* Escalation rows of ticket (state NULL: any). */
long slafix_escalations_of(const char *ticket, const char *state);
/* Polls (every 100 ms, up to SLAFIX_WAIT_MS) until the number the query
 * (after fmt) gives is at least want; returns whether it got there, saying
 * what it waited for otherwise. */
bool slafix_wait_at_least(long want, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
