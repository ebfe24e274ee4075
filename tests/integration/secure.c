/* secure.c - set-up, tear-down and the libbaton helpers shared by the test_secure_* programs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>

#include <cmocka.h>
#include <sodium.h>

#include "secure.h"

secure_group secure;

int secure_setup(void **state)
{
	/* The rate limit has its own instance and case; here one peer (this
	 * process) is refused on purpose many times. */
	const char *extra[] = { "--handshake-failures-per-minute=100000", "--workers=4", NULL };
	char why[400], pub[400];
	(void)state;
	if (sodium_init() < 0)
		return -1;
	if (harness_pg_start(&secure.pg) != 0)
		return -1;
	if (harness_batond_start(&secure.srv, secure.pg.dir, secure.pg.conninfo, extra, true) != 0)
		return -1;
	snprintf(pub, sizeof(pub), "%s.pub", secure.srv.key_file);
	if (baton_public_key_load(pub, secure.server_pk, why, sizeof(why)) != BATON_OK ||
	    baton_key_file_read(secure.srv.admin_key_file, &secure.admin_key, why, sizeof(why)) != BATON_OK) {
		fprintf(stderr, "keys: %s\n", why);
		return -1;
	}
	return harness_client(&secure.srv, NULL, &secure.admin);
}

static int stop_checked(harness_batond *b, const char *name)
{
	if (b->pid <= 0)
		return 0;
	int rc = harness_batond_stop(b, SIGTERM, 15000);
	if (rc != 0)
		fprintf(stderr, "%s exited with %d (log %s)\n", name, rc, b->log_path);
	return rc;
}

int secure_teardown(void **state)
{
	int rc = 0;
	(void)state;
	baton_client_close(secure.admin);
	baton_key_wipe(&secure.admin_key);
	/* Instances a failed case left running. */
	rc |= stop_checked(&secure.limited, "limited batond");
	rc |= stop_checked(&secure.second, "second batond");
	rc |= stop_checked(&secure.short_ttl, "short-ttl batond");
	rc |= stop_checked(&secure.srv, "batond");
	harness_pg_destroy(&secure.pg);
	return rc != 0 ? -1 : 0;
}

void secure_extra_start(harness_batond *b, const char *const *extra)
{
	if (b->pid > 0) /* left by a failed case: stop it before the slot is reused */
		harness_batond_stop(b, SIGKILL, 5000);
	assert_int_equal(harness_batond_start(b, secure.pg.dir, secure.pg.conninfo, extra, true), 0);
}

void secure_extra_stop(harness_batond *b)
{
	assert_int_equal(stop_checked(b, "batond"), 0);
}

baton_client *secure_client_with(const harness_batond *b, const baton_key *key, const uint8_t *pinned)
{
	baton_client_options o = { .default_timeout_ms = 10000, .key = key, .server_public_key = pinned };
	baton_client *c = NULL;
	baton_result res;
	if (baton_client_open(&c, b->url, &o, &res) != BATON_OK)
		fail_msg("client for %s: %s", b->url, res.message);
	return c;
}

baton_status secure_ping_msg(baton_client *c, char *msg, size_t len)
{
	baton_result res;
	baton_status s = baton_ping(c, "x", 1, 10000, &res);
	if (msg != NULL)
		snprintf(msg, len, "%s", res.message);
	baton_result_clear(&res);
	return s;
}

void secure_person_add(const char *handle, fixture_person *p)
{
	baton_result res;
	if (fixture_person_add(secure.admin, &secure.srv, secure.pg.dir, "in-house", handle, "agent", p, &res) !=
	    BATON_OK)
		fail_msg("AddPrincipal %s: %s", handle, res.message);
	baton_result_clear(&res);
}
