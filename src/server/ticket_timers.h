/* ticket_timers.h - the maintenance pass's ticket timers: owners idle past return_at and shifts that ended send tickets back to a queue. */
#ifndef BATON_SERVER_TICKET_TIMERS_H
#define BATON_SERVER_TICKET_TIMERS_H

#include <stdint.h>

#include "common/status_msg.h"
#include "server/db.h"

typedef enum ticket_timer {
	TICKET_TIMER_RETURN,    /* return_at passed: the owner left it untouched ('idle') */
	TICKET_TIMER_SHIFT_END, /* shift_ends_at passed: the owner's shift ended ('shift_end') */
} ticket_timer;

/* "return" or "shift_end", for logs. */
const char *ticket_timer_name(ticket_timer which);

/*
 * Hands every ticket whose timer `which` has passed to SQL
 * baton_ticket_requeue(), which checks again under the row lock, routes
 * the ticket to a queue and writes ticket.returned or ticket.handed_off.
 * Works in batches of up to 500 tickets (FOR UPDATE SKIP LOCKED, so
 * several instances share the work), each batch one transaction seeing
 * every row, at most 20 batches per call; what is left waits for the next
 * pass. *moved is how many tickets went back (also on failure: the batches
 * committed before it). BATON_OK, or the database's status with m filled.
 */
baton_status ticket_timers_expire(db_conn *db, ticket_timer which, int64_t *moved, status_msg *m)
    __attribute__((warn_unused_result));

#endif
