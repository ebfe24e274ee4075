/* event_bell.h - wakes waiting Watch calls: one thread per batond LISTENs on baton_event and rings a generation counter. */
#ifndef BATON_SERVER_EVENT_BELL_H
#define BATON_SERVER_EVENT_BELL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/status_msg.h"

typedef struct event_bell event_bell;

/* Why event_bell_wait returned. */
typedef enum event_bell_wake {
	EVENT_BELL_RANG,    /* the generation moved: look again */
	EVENT_BELL_TIMEOUT, /* the deadline passed */
	EVENT_BELL_STOPPED, /* the bell is stopping, or *stop became true */
} event_bell_wake;

/*
 * Starts the listener thread: its own PostgreSQL connection to conninfo
 * (copied; wiped when the bell is freed, never logged) doing LISTEN
 * baton_event. Every notification, and every successful (re)connect
 * (notifications may have been missed while it was down), moves the
 * generation and wakes the waiters. A lost connection is made again with
 * a growing pause (0.1 s to 5 s). Returns at once, before the first
 * connection; BATON_INTERNAL if the thread cannot start. Caller stops it
 * with event_bell_stop().
 */
baton_status event_bell_start(event_bell **out, const char *conninfo, status_msg *m)
    __attribute__((warn_unused_result));

/* Wakes every waiter (they return EVENT_BELL_STOPPED), stops and joins
 * the thread, waits for the waiters to leave, and frees the bell. No
 * event_bell_wait may begin once stop has begun. NULL is fine. */
void event_bell_stop(event_bell *bell);

/* The current generation; read it before looking for events, then wait
 * with it. 0 for a NULL bell. */
uint64_t event_bell_generation(event_bell *bell);

/* Whether the listener is connected and listening now: while it is not,
 * waiters should look again now and then (say every second). False for a
 * NULL bell. */
bool event_bell_listening(event_bell *bell);

/* Wakes every waiter so it checks its stop flag (the server began to
 * drain); the generation does not move. NULL is fine. */
void event_bell_interrupt(event_bell *bell);

/*
 * Blocks until the generation differs from seen (EVENT_BELL_RANG), the
 * monotonic clock reaches deadline_ns (EVENT_BELL_TIMEOUT), or the bell
 * stops or stop (may be NULL) becomes true (EVENT_BELL_STOPPED). stop is
 * also checked at least every 250 ms without an interrupt. A NULL bell
 * just sleeps until the deadline or stop.
 */
event_bell_wake event_bell_wait(event_bell *bell, uint64_t seen, uint64_t deadline_ns, const atomic_bool *stop);

#endif
