/* fuzz_audit_verify.c - feeds arbitrary bytes as an audit export file (which may come from anyone) to the verifier of `batonctl audit verify`. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/audit_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The test server key: the Ed25519 key pair of the seed a0 a1 ... bf, as
 * tests/fuzz/make_corpus.py signs the seeds' checkpoints with. */
static uint8_t server_pk[AUDIT_PK_BYTES];

static void fail(const char *why, const audit_verify_result *r, size_t size)
{
	fprintf(stderr, "fuzz_audit_verify: invariant violated: %s (input of %zu bytes, %lld pages, %lld events)\n",
	    why, size, r->pages, r->events);
	abort();
}

static void server_key_init(void)
{
	uint8_t seed[crypto_sign_SEEDBYTES], sk[crypto_sign_SECRETKEYBYTES];

	if (sodium_init() < 0)
		abort();
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0xa0 + i);
	if (crypto_sign_seed_keypair(server_pk, sk, seed) != 0)
		abort();
	sodium_memzero(sk, sizeof(sk));
}

/*
 * Invariants: the verifier answers OK, TAMPERED or REFUSED; the message
 * is NUL-terminated, empty on OK and not empty otherwise; the counts
 * hold together (the chain runs 1..last_seq with every event counted, a
 * checkpoint at a seq the chain reached, no more signed events than
 * events); it never crashes, leaks or reads out of bounds (the
 * sanitizers), and its memory stays bounded (libFuzzer's -rss_limit_mb and
 * -malloc_limit_mb).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t empty[1];
	static bool ready;
	audit_verify_result r;
	FILE *f;
	int rc;

	if (!ready) {
		server_key_init();
		ready = true;
	}
	/* fmemopen wants a buffer even for an empty file; "r" never writes. */
	if ((f = fmemopen(size ? (void *)data : empty, size, "rb")) == NULL)
		abort();
	memset(&r, 'x', sizeof(r));
	rc = audit_verify_stream(f, server_pk, &r);
	fclose(f);
	if (rc != AUDIT_VERIFY_OK && rc != AUDIT_VERIFY_TAMPERED && rc != AUDIT_VERIFY_REFUSED)
		fail("result is not 0, 1 or 2", &r, size);
	if (memchr(r.message, '\0', sizeof(r.message)) == NULL)
		fail("message unterminated", &r, size);
	if ((rc == AUDIT_VERIFY_OK) != (r.message[0] == '\0'))
		fail("a message on OK, or none on a problem", &r, size);
	if (r.events != r.last_seq || r.signed_events > r.events || r.last_checkpoint_seq > r.last_seq ||
	    r.last_checkpoint_seq < 0 || (r.checkpoints > 0) != (r.last_checkpoint_seq > 0))
		fail("the counts do not hold together", &r, size);
	if (rc == AUDIT_VERIFY_OK && (r.pages == 0 || size < AUDIT_EXPORT_MAGIC_LEN + 4))
		fail("an export without a page verified", &r, size);
	return 0;
}
