/* test_client.c - libbaton against a scripted nng peer: no hidden resends, deadlines, lazy connect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include <baton/client.h>

#include "baton/v1/wire.pb-c.h"
#include "harness.h"

/* What the fake server does with the n-th request it receives. */
typedef enum { ANSWER, DROP_CONNECTION, IGNORE } behaviour;

typedef struct fake_server {
	nng_socket  sock;
	char        url[64];
	pthread_t   thread;
	behaviour   script[8]; /* request i gets script[i]; later ones ANSWER */
	atomic_int  received;
	atomic_bool stop;
} fake_server;

/* Answers like batond's Ping: PingRequest and PingReply share their wire
 * form (field 1, bytes), so echoing the payload is a valid reply. */
static void answer(fake_server *f, nng_msg *m)
{
	Baton__V1__RequestFrame *req = baton__v1__request_frame__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	Baton__V1__ReplyFrame rep = BATON__V1__REPLY_FRAME__INIT;
	assert_non_null(req);
	rep.status = BATON__V1__STATUS_CODE__OK;
	rep.payload = req->payload;
	rep.request_id = req->request_id;
	size_t size = baton__v1__reply_frame__get_packed_size(&rep);
	nng_msg_clear(m);
	assert_int_equal(nng_msg_realloc(m, size), 0);
	baton__v1__reply_frame__pack(&rep, nng_msg_body(m));
	baton__v1__request_frame__free_unpacked(req, NULL);
	if (nng_sendmsg(f->sock, m, 0) != 0)
		nng_msg_free(m);
}

static void *fake_main(void *arg)
{
	fake_server *f = arg;
	while (!atomic_load(&f->stop)) {
		nng_msg *m;
		int rv = nng_recvmsg(f->sock, &m, 0);
		if (rv == NNG_ETIMEDOUT)
			continue;
		if (rv != 0)
			break;
		int n = atomic_fetch_add(&f->received, 1);
		behaviour b = n < 8 ? f->script[n] : ANSWER;
		if (b == ANSWER) {
			answer(f, m);
		} else if (b == DROP_CONNECTION) {
			nng_pipe_close(nng_msg_get_pipe(m));
			nng_msg_free(m);
		} else {
			nng_msg_free(m);
		}
	}
	return NULL;
}

static void fake_start(fake_server *f, int port)
{
	f->received = 0;
	f->stop = false;
	assert_int_equal(harness_rep0_listen(&f->sock, port, f->url, sizeof(f->url)), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(fake_server *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	nng_close(f->sock);
}

/* The regression the contract exists for: nng's req0 sends a request again
 * on the next connection when the one it went out on drops. */
static void request_on_a_lost_connection_is_never_sent_again(void **state)
{
	fake_server f = { .script = { DROP_CONNECTION } };
	baton_client *c;
	baton_result res;
	(void)state;

	fake_start(&f, 0);
	assert_int_equal(baton_client_open(&c, f.url, NULL, &res), BATON_OK);
	int64_t t0 = harness_now_ms();
	assert_int_equal(baton_ping(c, "once", 4, 5000, &res), BATON_UNAVAILABLE);
	assert_true(harness_now_ms() - t0 < 4000); /* told at once, not at the deadline */
	assert_non_null(strstr(res.message, "may or may not have run"));
	harness_sleep_ms(1500); /* the dialer reconnects after ~100 ms */
	assert_int_equal(atomic_load(&f.received), 1);

	/* The client works again on the new connection. */
	assert_int_equal(baton_ping(c, "twice", 5, 5000, &res), BATON_OK);
	assert_int_equal(res.payload_len, 5);
	assert_memory_equal(res.payload, "twice", 5);
	baton_result_clear(&res);
	assert_int_equal(atomic_load(&f.received), 2);
	baton_client_close(c);
	fake_stop(&f);
}

/* Many calls in flight when the connection drops: all fail, none is resent. */
typedef struct drop_caller {
	pthread_t     thread;
	baton_client *c;
	baton_status  s;
} drop_caller;

static void *drop_call(void *arg)
{
	drop_caller *d = arg;
	baton_result res;
	d->s = baton_ping(d->c, "x", 1, 5000, &res);
	baton_result_clear(&res);
	return NULL;
}

static void calls_in_flight_on_a_dropped_connection_all_fail_once(void **state)
{
	/* The first 7 requests are swallowed, the 8th drops the connection. */
	fake_server f = { .script = { IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, DROP_CONNECTION } };
	drop_caller d[8];
	baton_client *c;
	baton_result res;
	(void)state;

	fake_start(&f, 0);
	assert_int_equal(baton_client_open(&c, f.url, NULL, &res), BATON_OK);
	for (int i = 0; i < 8; i++) {
		d[i] = (drop_caller){ .c = c };
		assert_int_equal(pthread_create(&d[i].thread, NULL, drop_call, &d[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(d[i].thread, NULL);
		assert_int_equal(d[i].s, BATON_UNAVAILABLE);
	}
	harness_sleep_ms(1500);
	assert_int_equal(atomic_load(&f.received), 8);
	baton_client_close(c);
	fake_stop(&f);
}

static void unanswered_call_ends_at_its_deadline_and_is_not_resent(void **state)
{
	fake_server f = { .script = { IGNORE } };
	baton_client *c;
	baton_result res;
	(void)state;

	fake_start(&f, 0);
	assert_int_equal(baton_client_open(&c, f.url, NULL, &res), BATON_OK);
	int64_t t0 = harness_now_ms();
	assert_int_equal(baton_ping(c, "x", 1, 800, &res), BATON_DEADLINE_EXCEEDED);
	int64_t took = harness_now_ms() - t0;
	assert_true(took >= 700 && took < 3000);
	harness_sleep_ms(500);
	assert_int_equal(atomic_load(&f.received), 1);
	baton_client_close(c);
	fake_stop(&f);
}

static void lazy_client_waits_for_a_late_server(void **state)
{
	baton_client_options o = { .lazy_connect = true };
	fake_server f = { .script = { ANSWER } };
	baton_client *c;
	baton_result res;
	int port = harness_free_port();
	char url[64];
	(void)state;

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(baton_client_open(&c, url, &o, &res), BATON_OK);
	/* Nobody there yet: the call waits, then times out unsent. */
	assert_int_equal(baton_ping(c, "x", 1, 300, &res), BATON_DEADLINE_EXCEEDED);
	assert_non_null(strstr(res.message, "could not reach the server"));
	fake_start(&f, port);
	assert_int_equal(baton_ping(c, "late", 4, 5000, &res), BATON_OK);
	baton_result_clear(&res);
	assert_int_equal(atomic_load(&f.received), 1);
	baton_client_close(c);
	fake_stop(&f);
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* Request ids never repeat: not within a client, not across clients. */
static void request_ids_are_unique(void **state)
{
	enum { CALLS = 500 };
	static uint8_t ids[2 * CALLS][16];
	fake_server f = { .script = { ANSWER } };
	baton_client *c[2];
	baton_result res;
	(void)state;

	fake_start(&f, 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(baton_client_open(&c[k], f.url, NULL, &res), BATON_OK);
	for (int i = 0; i < CALLS; i++) {
		for (int k = 0; k < 2; k++) {
			assert_int_equal(baton_ping(c[k], "id", 2, 5000, &res), BATON_OK);
			memcpy(ids[k * CALLS + i], res.request_id, 16);
			baton_result_clear(&res);
		}
	}
	qsort(ids, 2 * CALLS, 16, id_cmp);
	for (int i = 1; i < 2 * CALLS; i++)
		assert_int_not_equal(memcmp(ids[i - 1], ids[i], 16), 0);
	for (int k = 0; k < 2; k++)
		baton_client_close(c[k]);
	fake_stop(&f);
}

static void bad_urls_are_invalid_or_unavailable(void **state)
{
	baton_client *c = NULL;
	baton_result res;
	(void)state;
	assert_int_equal(baton_client_open(&c, "", NULL, &res), BATON_INVALID_ARGUMENT);
	assert_int_equal(baton_client_open(&c, "nonsense://x", NULL, &res), BATON_INVALID_ARGUMENT);
	assert_null(c);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", harness_free_port());
	assert_int_equal(baton_client_open(&c, url, NULL, &res), BATON_UNAVAILABLE);
	assert_non_null(strstr(res.message, url));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_on_a_lost_connection_is_never_sent_again),
		cmocka_unit_test(calls_in_flight_on_a_dropped_connection_all_fail_once),
		cmocka_unit_test(unanswered_call_ends_at_its_deadline_and_is_not_resent),
		cmocka_unit_test(lazy_client_waits_for_a_late_server),
		cmocka_unit_test(request_ids_are_unique),
		cmocka_unit_test(bad_urls_are_invalid_or_unavailable),
	};
	return cmocka_run_group_tests_name("integration: client library", tests, NULL, NULL);
}
