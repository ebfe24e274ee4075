/* test_secure_sessions.c - tries to keep a session of a real batond alive when it must end: rate limits, revocation here and elsewhere, expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "common/chan.h"
#include "common/clock.h"
#include "fixture.h"
#include "harness.h"
#include "rawchan.h"
#include "secure.h"

typedef ProtobufCBinaryData bytes; /* malloc'ed data unless said otherwise */

/* ---- Identity calls -------------------------------------------------------- */

static baton_status list_orgs(baton_client *c, char *msg, size_t len)
{
	Baton__V1__ListOrgsRequest req = BATON__V1__LIST_ORGS_REQUEST__INIT;
	baton_result res;
	baton_status s = fixture_call(c, M_LIST_ORGS, &req.base, false, NULL, NULL, &res);
	if (msg != NULL)
		snprintf(msg, len, "%s", res.message);
	baton_result_clear(&res);
	return s;
}

static void revoke_key(baton_client *as, const char *key_id)
{
	Baton__V1__RevokeKeyRequest req = BATON__V1__REVOKE_KEY_REQUEST__INIT;
	baton_result res;
	req.key = (char *)key_id;
	req.reason = "test: lost laptop";
	if (fixture_call(as, M_REVOKE_KEY, &req.base, true, NULL, NULL, &res) != BATON_OK)
		fail_msg("RevokeKey %s: %s", key_id, res.message);
	baton_result_clear(&res);
}

static void disable_principal(baton_client *as, const char *handle)
{
	Baton__V1__DisablePrincipalRequest req = BATON__V1__DISABLE_PRINCIPAL_REQUEST__INIT;
	baton_result res;
	req.principal = (char *)handle;
	req.reason = "test: left the company";
	if (fixture_call(as, M_DISABLE, &req.base, true, NULL, NULL, &res) != BATON_OK)
		fail_msg("DisablePrincipal %s: %s", handle, res.message);
	baton_result_clear(&res);
}

/* ---- 7. rate limit ----------------------------------------------------------------- */

static void failed_handshakes_are_rate_limited_per_peer(void **state)
{
	const char *extra[] = { "--handshake-failures-per-minute=3", NULL };
	baton_client *early, *stranger_c, *late, *keyless;
	baton_key stranger;
	baton_serving serving;
	baton_status down;
	char msg[512], down_msg[512];
	(void)state;

	secure_extra_start(&secure.limited, extra);
	assert_int_equal(baton_key_generate(&stranger), BATON_OK);

	/* A session opened before the failures. */
	early = secure_client_with(&secure.limited, &secure.admin_key, secure.server_pk);
	assert_int_equal(secure_ping_msg(early, NULL, 0), BATON_OK);

	stranger_c = secure_client_with(&secure.limited, &stranger, secure.server_pk);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(secure_ping_msg(stranger_c, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
		if (strstr(msg, "unknown key") == NULL)
			fail_msg("failure %d: %s", i + 1, msg);
	}
	assert_int_equal(secure_ping_msg(stranger_c, msg, sizeof(msg)), BATON_RESOURCE_EXHAUSTED);
	if (strstr(msg, "too many failed handshakes") == NULL)
		fail_msg("4th: %s", msg);

	/* The limit is the peer's: a valid key from it is turned away too. */
	late = secure_client_with(&secure.limited, &secure.admin_key, secure.server_pk);
	assert_int_equal(secure_ping_msg(late, msg, sizeof(msg)), BATON_RESOURCE_EXHAUSTED);

	/* It limits handshakes only: sessions and health go on. */
	assert_int_equal(secure_ping_msg(early, NULL, 0), BATON_OK);
	keyless = secure_client_with(&secure.limited, NULL, NULL);
	assert_int_equal(baton_health_check(keyless, NULL, 5000, &serving, &(baton_result){ 0 }), BATON_OK);
	assert_int_equal(serving, BATON_SERVING);

	/* Before any database work: with PostgreSQL down the answer is the
	 * same. (PostgreSQL is back before anything is asserted.) */
	assert_int_equal(harness_pg_stop(&secure.pg), 0);
	down = secure_ping_msg(stranger_c, down_msg, sizeof(down_msg));
	assert_int_equal(harness_pg_restart(&secure.pg), 0);
	{
		baton_client *h = secure_client_with(&secure.srv, NULL, NULL);
		int64_t give_up = harness_now_ms() + 15000;
		serving = BATON_SERVING_UNKNOWN;
		while (harness_now_ms() < give_up &&
		       (baton_health_check(h, NULL, 2000, &serving, &(baton_result){ 0 }) != BATON_OK ||
		           serving != BATON_SERVING))
			harness_sleep_ms(100);
		baton_client_close(h);
		assert_int_equal(serving, BATON_SERVING);
	}
	baton_client_close(keyless);
	baton_client_close(late);
	baton_client_close(stranger_c);
	baton_client_close(early);
	baton_key_wipe(&stranger);
	secure_extra_stop(&secure.limited);
	if (down != BATON_RESOURCE_EXHAUSTED)
		fail_msg("a rate-limited peer with the database down got %s (\"%s\"), not RESOURCE_EXHAUSTED: "
		         "the limit is checked after the database was asked", baton_status_str(down), down_msg);
}

/* ---- 8. revocation on this instance -------------------------------------------------- */

static void revoked_key_or_disabled_principal_loses_its_session_at_once(void **state)
{
	fixture_person revoked, disabled, reader;
	rawchan_session rs;
	baton_key reader_key;
	char msg[512], why[400];
	(void)state;

	secure_person_add("revoked-agent", &revoked);
	secure_person_add("disabled-agent", &disabled);
	secure_person_add("reading-agent", &reader);

	/* Revoked key: the very next ping, and every new session, refused. */
	assert_int_equal(secure_ping_msg(revoked.client, NULL, 0), BATON_OK);
	revoke_key(secure.admin, revoked.key_id);
	assert_int_equal(secure_ping_msg(revoked.client, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	if (strstr(msg, "revoked") == NULL)
		fail_msg("revoked: %s", msg);
	assert_int_equal(baton_session_open(revoked.client, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);
	{
		baton_client *fresh = NULL;
		assert_int_equal(harness_client(&secure.srv, revoked.key_file, &fresh), 0);
		assert_int_equal(secure_ping_msg(fresh, NULL, 0), BATON_UNAUTHENTICATED);
		baton_client_close(fresh);
	}

	/* Disabled principal: the same. */
	assert_int_equal(secure_ping_msg(disabled.client, NULL, 0), BATON_OK);
	disable_principal(secure.admin, disabled.handle);
	assert_int_equal(secure_ping_msg(disabled.client, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	if (strstr(msg, "disabled") == NULL)
		fail_msg("disabled: %s", msg);
	assert_int_equal(baton_session_open(disabled.client, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);

	/* A database-backed call, and the raw session underneath: the server
	 * forgot it (renew), and the renewal is refused. */
	assert_int_equal(baton_key_file_read(reader.key_file, &reader_key, why, sizeof(why)), BATON_OK);
	rawchan_session_open(&rs, &secure.srv, secure.server_pk, &reader_key);
	assert_int_equal(list_orgs(reader.client, NULL, 0), BATON_OK);
	revoke_key(secure.admin, reader.key_id);
	assert_int_equal(list_orgs(reader.client, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	{
		bytes ping = rawchan_ping_inner("after revocation");
		Baton__V1__ReplyFrame *r = rawchan_sealed_send(&rs, 1, ping, NULL);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, NULL, true);
		rawchan_reply_free(r);
		free(ping.data);
		chan_client_hs hs;
		assert_int_equal(chan_client_hello(&hs, secure.server_pk, reader_key.secret_key,
		                     clock_realtime_ms(), NULL), CHAN_OK);
		r = rawchan_hello_send(&secure.srv, &hs.hello);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "revoked", false);
		rawchan_reply_free(r);
		chan_client_hs_wipe(&hs);
	}
	rawchan_session_close(&rs);
	baton_key_wipe(&reader_key);
	fixture_person_close(&reader);
	fixture_person_close(&disabled);
	fixture_person_close(&revoked);
}

/* ---- 9. revocation on another instance -------------------------------------------------- */

/* Pings through c every 100 ms for up to 5 s until one fails; returns
 * that status (BATON_OK if none did) and the wait in *waited_ms. */
static baton_status ping_until_refused(baton_client *c, int64_t *waited_ms)
{
	int64_t t0 = harness_now_ms();
	baton_status s = BATON_OK;
	for (int i = 0; i <= 50 && (s = secure_ping_msg(c, NULL, 0)) == BATON_OK; i++)
		harness_sleep_ms(100);
	*waited_ms = harness_now_ms() - t0;
	return s;
}

static void revocation_on_another_instance_ends_sessions_there(void **state)
{
	char keyf[400], adminf[400];
	fixture_person lister, pinger, leaver;
	baton_client *on_b_lister, *on_b_pinger, *on_b_leaver;
	int64_t waited;
	char msg[512];
	(void)state;

	snprintf(keyf, sizeof(keyf), "--key-file=%s", secure.srv.key_file);
	snprintf(adminf, sizeof(adminf), "--admin-key-file=%s", secure.srv.admin_key_file);
	const char *extra[] = { keyf, adminf, "--maintenance-ms=200", NULL };
	secure_extra_start(&secure.second, extra);

	secure_person_add("remote-lister", &lister);
	secure_person_add("remote-pinger", &pinger);
	secure_person_add("remote-leaver", &leaver);
	assert_int_equal(harness_client(&secure.second, lister.key_file, &on_b_lister), 0);
	assert_int_equal(harness_client(&secure.second, pinger.key_file, &on_b_pinger), 0);
	assert_int_equal(harness_client(&secure.second, leaver.key_file, &on_b_leaver), 0);
	assert_int_equal(list_orgs(on_b_lister, NULL, 0), BATON_OK);
	assert_int_equal(secure_ping_msg(on_b_pinger, NULL, 0), BATON_OK);
	assert_int_equal(secure_ping_msg(on_b_leaver, NULL, 0), BATON_OK);

	/* Through the first instance. */
	revoke_key(secure.admin, lister.key_id);
	revoke_key(secure.admin, pinger.key_id);
	disable_principal(secure.admin, leaver.handle);

	/* A database-backed call on the second fails at once. */
	assert_int_equal(list_orgs(on_b_lister, msg, sizeof(msg)), BATON_UNAUTHENTICATED);

	/* Pings need no database: they end within the maintenance pass. */
	assert_int_equal(ping_until_refused(on_b_pinger, &waited), BATON_UNAUTHENTICATED);
	assert_true(waited <= 5000);
	assert_int_equal(ping_until_refused(on_b_leaver, &waited), BATON_UNAUTHENTICATED);
	assert_true(waited <= 5000);
	/* And no new session there either. */
	assert_int_equal(baton_session_open(on_b_pinger, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);
	assert_int_equal(baton_session_open(on_b_leaver, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);

	baton_client_close(on_b_leaver);
	baton_client_close(on_b_pinger);
	baton_client_close(on_b_lister);
	fixture_person_close(&leaver);
	fixture_person_close(&pinger);
	fixture_person_close(&lister);
	secure_extra_stop(&secure.second);
}

/* ---- 10. expiry and renewal ------------------------------------------------------------ */

static void expired_session_is_refused_and_libbaton_renews_it(void **state)
{
	const char *extra[] = { "--session-ttl-s=2", NULL };
	baton_session_stats st;
	baton_client *c;
	rawchan_session rs;
	Baton__V1__ReplyFrame *r, *inner;
	bytes ping;
	int calls = 0;
	(void)state;

	secure_extra_start(&secure.short_ttl, extra);

	/* The server keeps its own expiry, whatever the client does. */
	rawchan_session_open(&rs, &secure.short_ttl, secure.server_pk, &secure.admin_key);
	assert_true(rs.expires_unix_ms >= clock_realtime_ms() + 1000);
	assert_true(rs.expires_unix_ms <= clock_realtime_ms() + 2500);
	ping = rawchan_ping_inner("before expiry");
	inner = rawchan_sealed_call(&rs, 1, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	while (clock_realtime_ms() <= rs.expires_unix_ms + 100)
		harness_sleep_ms(50);
	r = rawchan_sealed_send(&rs, 2, ping, NULL);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, NULL, true);
	rawchan_reply_free(r);

	/* A session id the server never issued: renew. */
	{
		uint8_t sid[CHAN_SESSION_ID_BYTES];
		randombytes_buf(sid, sizeof(sid));
		bytes sealed = rawchan_seal(&rs, 3, ping);
		bytes frame = rawchan_outer_frame(sid, sizeof(sid), 3, sealed);
		r = rawchan_exchange(rs.sock, frame);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "session unknown", true);
		rawchan_reply_free(r);
		free(frame.data);
		free(sealed.data);
	}
	free(ping.data);
	rawchan_session_close(&rs);

	/* libbaton renews by itself: ~5 s of calls, none fails. */
	c = secure_client_with(&secure.short_ttl, &secure.admin_key, secure.server_pk);
	int64_t until = harness_now_ms() + 5000;
	while (harness_now_ms() < until && calls < 500) {
		char msg[512];
		baton_status s = secure_ping_msg(c, msg, sizeof(msg));
		if (s != BATON_OK)
			fail_msg("call %d failed: %s %s", calls, baton_status_str(s), msg);
		calls++;
		harness_sleep_ms(50);
	}
	baton_session_stats_get(c, &st);
	assert_true(st.handshakes >= 2);
	assert_true(st.handshakes < (uint64_t)calls); /* renewed per session, not per call */
	baton_client_close(c);
	secure_extra_stop(&secure.short_ttl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failed_handshakes_are_rate_limited_per_peer),
		cmocka_unit_test(revoked_key_or_disabled_principal_loses_its_session_at_once),
		cmocka_unit_test(revocation_on_another_instance_ends_sessions_there),
		cmocka_unit_test(expired_session_is_refused_and_libbaton_renews_it),
	};
	return cmocka_run_group_tests_name("integration: secure channel, sessions", tests, secure_setup,
	    secure_teardown);
}
