/* test_session.c - the live-session table: capacity, the per-principal cap, expiry, revocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/clock.h"
#include "server/session.h"

#define FAR_FUTURE (clock_realtime_ms() + 3600000)

static void id_of(uint8_t id[CHAN_SESSION_ID_BYTES], int n)
{
	memset(id, 0, CHAN_SESSION_ID_BYTES);
	id[0] = (uint8_t)n;
	id[1] = (uint8_t)(n >> 8);
	id[7] = 0x5a;
}

static session_caller caller_of(const char *principal, const char *key)
{
	session_caller c = { .role = ROLE_AGENT };
	snprintf(c.principal_id, sizeof(c.principal_id), "%s", principal);
	snprintf(c.key_id, sizeof(c.key_id), "%s", key);
	snprintf(c.handle, sizeof(c.handle), "%s", principal);
	return c;
}

static bool live(session_store *st, int n)
{
	uint8_t id[CHAN_SESSION_ID_BYTES];
	chan_keys keys;
	session_caller who;
	int64_t expires;

	id_of(id, n);
	bool found = session_lookup(st, id, clock_realtime_ms(), &keys, &who, &expires);
	sodium_memzero(&keys, sizeof(keys));
	return found;
}

static void add(session_store *st, int n, const char *principal, const char *key, int64_t expires,
    baton_status want)
{
	uint8_t id[CHAN_SESSION_ID_BYTES];
	chan_keys keys;
	session_caller who = caller_of(principal, key);
	status_msg m;

	id_of(id, n);
	randombytes_buf(&keys, sizeof(keys));
	assert_int_equal(session_add(st, id, &keys, &who, expires, &m), want);
	sodium_memzero(&keys, sizeof(keys));
}

static void a_principals_newest_sessions_end_its_oldest(void **state)
{
	session_store *st = session_store_new(100, 3);
	(void)state;

	assert_non_null(st);
	for (int i = 1; i <= 5; i++)
		add(st, i, "anna", "k-anna", FAR_FUTURE, BATON_OK);
	add(st, 100, "ola", "k-ola", FAR_FUTURE, BATON_OK);
	/* anna holds her 3 newest; ola is untouched. */
	assert_false(live(st, 1));
	assert_false(live(st, 2));
	assert_true(live(st, 3) && live(st, 4) && live(st, 5));
	assert_true(live(st, 100));
	assert_int_equal(session_count(st), 4);
	/* Removing one of hers frees nothing wrongly: the next one ends #3. */
	uint8_t id[CHAN_SESSION_ID_BYTES];
	id_of(id, 4);
	session_remove(st, id);
	add(st, 6, "anna", "k-anna", FAR_FUTURE, BATON_OK);
	add(st, 7, "anna", "k-anna", FAR_FUTURE, BATON_OK);
	assert_int_equal((int)live(st, 3) + (int)live(st, 5) + (int)live(st, 6) + (int)live(st, 7), 3);
	assert_true(live(st, 6) && live(st, 7));
	session_store_free(st);
}

static void the_table_is_bounded_and_expired_sessions_make_room(void **state)
{
	session_store *st = session_store_new(4, 10);
	(void)state;

	assert_non_null(st);
	add(st, 1, "p1", "k1", clock_realtime_ms() + 50, BATON_OK);
	add(st, 2, "p2", "k2", FAR_FUTURE, BATON_OK);
	add(st, 3, "p3", "k3", FAR_FUTURE, BATON_OK);
	add(st, 4, "p4", "k4", FAR_FUTURE, BATON_OK);
	add(st, 5, "p5", "k5", FAR_FUTURE, BATON_RESOURCE_EXHAUSTED);
	/* Once #1 expired, a new one fits (session_add sweeps when full). */
	int64_t until = clock_realtime_ms() + 2000;
	while (clock_realtime_ms() < until && live(st, 1))
		;
	assert_false(live(st, 1));
	add(st, 5, "p5", "k5", FAR_FUTURE, BATON_OK);
	assert_int_equal(session_count(st), 4);
	assert_int_equal(session_sweep(st, FAR_FUTURE + 1), 4);
	assert_int_equal(session_count(st), 0);
	session_store_free(st);
}

static void revocation_ends_exactly_the_sessions_of_a_key_or_principal(void **state)
{
	session_store *st = session_store_new(100, 10);
	(void)state;

	assert_non_null(st);
	add(st, 1, "anna", "k-old", FAR_FUTURE, BATON_OK);
	add(st, 2, "anna", "k-new", FAR_FUTURE, BATON_OK);
	add(st, 3, "ola", "k-ola", FAR_FUTURE, BATON_OK);
	add(st, 4, "ola", "k-ola", FAR_FUTURE, BATON_OK);
	assert_int_equal(session_drop_key(st, "k-old"), 1);
	assert_false(live(st, 1));
	assert_true(live(st, 2));
	assert_int_equal(session_drop_principal(st, "ola"), 2);
	assert_false(live(st, 3) || live(st, 4));
	assert_true(live(st, 2));
	assert_int_equal(session_drop_key(st, "nobody"), 0);
	session_store_free(st);
}

static void replay_window_is_per_session(void **state)
{
	session_store *st = session_store_new(10, 10);
	uint8_t a[CHAN_SESSION_ID_BYTES], b[CHAN_SESSION_ID_BYTES], none[CHAN_SESSION_ID_BYTES];
	(void)state;

	assert_non_null(st);
	add(st, 1, "anna", "k", FAR_FUTURE, BATON_OK);
	add(st, 2, "ola", "k2", FAR_FUTURE, BATON_OK);
	id_of(a, 1);
	id_of(b, 2);
	id_of(none, 99);
	assert_int_equal(session_accept(st, a, 1), CHAN_OK);
	assert_int_equal(session_accept(st, a, 1), CHAN_E_REPLAY);
	assert_int_equal(session_accept(st, b, 1), CHAN_OK);
	assert_int_equal(session_accept(st, none, 1), 1);
	session_store_free(st);
}

static void sweep_forgets_gone_sessions_per_principal(void **state)
{
	session_store *st = session_store_new(100, 2);
	(void)state;

	assert_non_null(st);
	add(st, 1, "anna", "k", clock_realtime_ms() + 10, BATON_OK);
	add(st, 2, "anna", "k", FAR_FUTURE, BATON_OK);
	assert_int_equal(session_sweep(st, clock_realtime_ms() + 20), 1);
	/* #1 is forgotten, so anna's next session does not end #2. */
	add(st, 3, "anna", "k", FAR_FUTURE, BATON_OK);
	assert_true(live(st, 2) && live(st, 3));
	add(st, 4, "anna", "k", FAR_FUTURE, BATON_OK);
	assert_false(live(st, 2));
	session_store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_principals_newest_sessions_end_its_oldest),
		cmocka_unit_test(the_table_is_bounded_and_expired_sessions_make_room),
		cmocka_unit_test(revocation_ends_exactly_the_sessions_of_a_key_or_principal),
		cmocka_unit_test(replay_window_is_per_session),
		cmocka_unit_test(sweep_forgets_gone_sessions_per_principal),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("unit: session table", tests, NULL, NULL);
}
