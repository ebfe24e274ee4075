/* ticket_timers.h - the maintenance pass's timers: return timers and ended shifts send tickets back to a queue; SLA warnings and breaches fire; escalations nobody decided move up. */
#ifndef BATON_SERVER_TICKET_TIMERS_H
#define BATON_SERVER_TICKET_TIMERS_H

#include <stdint.h>

#include "common/status_msg.h"
#include "server/db.h"

/* In the order a pass runs them: an SLA warning before a breach that
 * falls due in the same pass. */
typedef enum ticket_timer {
	TICKET_TIMER_RETURN,            /* return_at passed: the owner left it untouched ('idle') */
	TICKET_TIMER_SHIFT_END,         /* shift_ends_at passed: the owner's shift ended ('shift_end') */
	TICKET_TIMER_SLA_WARNING,       /* a running clock's warn_at passed: ticket.sla_warning */
	TICKET_TIMER_SLA_BREACH,        /* a running clock's due_at passed: ticket.sla_breached + escalation */
	TICKET_TIMER_ESCALATION_EXPIRY, /* an open escalation's expires_at passed: the next level */
} ticket_timer;

#define TICKET_TIMERS 5

/* "return", "shift_end", "sla_warning", "sla_breach" or
 * "escalation_expiry", for logs. */
const char *ticket_timer_name(ticket_timer which);

/*
 * Acts on everything whose timer `which` has passed, through SQL that
 * checks again under the row lock and writes the events:
 *   return, shift_end: baton_ticket_requeue() routes the ticket to a queue
 *     (ticket.returned or ticket.handed_off);
 *   sla_warning, sla_breach: baton_sla_fire() on each due clock, the
 *     ticket's row locked first (FOR UPDATE OF the ticket, never the clock
 *     row: changes to a ticket lock it and then their trigger moves its
 *     clocks), writing ticket.sla_warning or ticket.sla_breached, and for a
 *     breach an urgent escalation unless one is open;
 *   escalation_expiry: baton_escalation_expire() moves the escalation to
 *     the next level (escalation.expired).
 * Works in batches of up to 500 rows (FOR UPDATE SKIP LOCKED, so several
 * instances share the work and each act happens once), each batch one
 * transaction seeing every row, at most 20 batches per call; what is left
 * waits for the next pass. *acted is how many it acted on (also on
 * failure: the batches committed before it). BATON_OK, or the database's
 * status with m filled.
 */
baton_status ticket_timers_expire(db_conn *db, ticket_timer which, int64_t *acted, status_msg *m)
    __attribute__((warn_unused_result));

/*
 * How far behind the SLA timers are: the age in ms of the oldest SLA
 * warning, breach or escalation expiry that is due and not yet fired (0
 * when none is), in *lag_ms. One statement reading the first entry of
 * each timer's partial index (ticket_clock_warn, ticket_clock_due,
 * escalation_expiry), so it costs the same at any table size. BATON_OK,
 * or the database's status with m filled.
 */
baton_status ticket_timers_lag(db_conn *db, int64_t *lag_ms, status_msg *m) __attribute__((warn_unused_result));

#endif
