/* secure.h - the group every test_secure_* program runs in: a private PostgreSQL, a batond with the first admin, and the libbaton calls their cases share. */
#ifndef BATON_TESTS_SECURE_H
#define BATON_TESTS_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "common/chan.h"
#include "fixture.h"
#include "harness.h"

/* What secure_setup starts and secure_teardown stops. */
typedef struct secure_group {
	harness_pg     pg;
	harness_batond srv;       /* the instance most cases attack */
	harness_batond limited;   /* --handshake-failures-per-minute=3 */
	harness_batond second;    /* same database and server key as srv */
	harness_batond short_ttl; /* --session-ttl-s=2 */
	baton_client  *admin;     /* libbaton, the first admin, on srv */
	baton_key      admin_key;
	uint8_t        server_pk[CHAN_KEY_BYTES]; /* every batond here shares pg.dir/batond.key */
} secure_group;

extern secure_group secure;

/*
 * cmocka group setup: starts PostgreSQL and srv (which refuses a peer only
 * after 100000 failed handshakes a minute, since cases fail handshakes on
 * purpose, and runs 4 workers), reads the server key and the first admin's
 * key and opens admin. 0 on success, -1 with the reason printed.
 */
int secure_setup(void **state);
/* cmocka group teardown: closes admin, wipes admin_key, stops every batond
 * of the group still running (a failed case may leave one) and removes
 * PostgreSQL. -1 if a batond did not exit cleanly. */
int secure_teardown(void **state);

/* Starts one more batond in slot b on the same database and folder (so the
 * same server key and first admin) with the NULL-terminated extra flags and
 * waits until it serves; first stops one a failed case left in b. */
void secure_extra_start(harness_batond *b, const char *const *extra);
/* Stops b; fails the case unless it exits with 0. */
void secure_extra_stop(harness_batond *b);

/* A libbaton client of b speaking for key (NULL: no key) with server key
 * pinned (NULL with a NULL key); fails the case if it does not open. Caller
 * closes it. */
baton_client *secure_client_with(const harness_batond *b, const baton_key *key, const uint8_t *pinned);
/* Pings through c; copies the message (if any) into msg (may be NULL).
 * Returns the call's status. */
baton_status secure_ping_msg(baton_client *c, char *msg, size_t len);
/* Registers handle as an in-house agent with a fresh key (the admin adds
 * it) and opens its client on srv; fails the case otherwise. Caller closes
 * p with fixture_person_close. */
void secure_person_add(const char *handle, fixture_person *p);

#endif
