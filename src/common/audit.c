/* audit.c - the audit trail's chain hash and checkpoint signatures (the formats are in audit.h). */
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "common/audit.h"

static const char EVENT_LABEL[] = "baton-audit-v1";           /* hashed with its NUL */
static const char CHECKPOINT_LABEL[] = "baton-checkpoint-v1"; /* signed with its NUL */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static int add(crypto_generichash_state *st, const void *p, size_t n)
{
	return crypto_generichash_update(st, (const unsigned char *)p, n);
}

static int add_u64(crypto_generichash_state *st, uint64_t v)
{
	uint8_t b[8];

	put_u64(b, v);
	return add(st, b, sizeof(b));
}

/* u32 length || bytes, or u32 0xFFFFFFFF for an absent value. */
static int add_field(crypto_generichash_state *st, bool present, const void *p, size_t n)
{
	uint8_t len[4];
	uint32_t v = present ? (uint32_t)n : 0xFFFFFFFFu;

	if (present && n >= 0xFFFFFFFFu)
		return -1;
	len[0] = (uint8_t)(v >> 24);
	len[1] = (uint8_t)(v >> 16);
	len[2] = (uint8_t)(v >> 8);
	len[3] = (uint8_t)v;
	if (add(st, len, sizeof(len)) != 0)
		return -1;
	return present && n > 0 ? add(st, p, n) : 0;
}

static int add_str(crypto_generichash_state *st, bool present, const char *s)
{
	return add_field(st, present, s, s != NULL ? strlen(s) : 0);
}

int audit_event_hash(const uint8_t prev[AUDIT_HASH_BYTES], const Baton__V1__AuditEvent *e,
    uint8_t out[AUDIT_HASH_BYTES])
{
	crypto_generichash_state st;
	int bad = 0;

	if (crypto_generichash_init(&st, NULL, 0, AUDIT_HASH_BYTES) != 0)
		return -1;
	bad |= add(&st, EVENT_LABEL, sizeof(EVENT_LABEL));
	bad |= add(&st, prev, AUDIT_HASH_BYTES);
	bad |= add_u64(&st, (uint64_t)e->seq);
	bad |= add_u64(&st, (uint64_t)e->event_id);
	bad |= add_u64(&st, (uint64_t)e->at_unix_us);
	bad |= add_str(&st, true, e->kind);
	bad |= add_str(&st, true, e->subject_id);
	bad |= add_str(&st, e->has_org_id, e->org_id);
	bad |= add_str(&st, e->has_also_org_id, e->also_org_id);
	bad |= add_str(&st, e->has_actor_id, e->actor_id);
	bad |= add_str(&st, e->has_actor_key_id, e->actor_key_id);
	bad |= add_str(&st, e->has_method, e->method);
	bad |= add_field(&st, e->has_request_id, e->request_id.data, e->request_id.len);
	bad |= add_field(&st, e->has_request_payload, e->request_payload.data, e->request_payload.len);
	bad |= add_field(&st, e->has_session_binding, e->session_binding.data, e->session_binding.len);
	bad |= add_field(&st, e->has_signature, e->signature.data, e->signature.len);
	bad |= add_str(&st, true, e->body);
	if (crypto_generichash_final(&st, out, AUDIT_HASH_BYTES) != 0 || bad != 0) {
		sodium_memzero(out, AUDIT_HASH_BYTES);
		return -1;
	}
	return 0;
}

/* The checkpoint message (audit.h). */
static void checkpoint_message(uint8_t m[sizeof(CHECKPOINT_LABEL) + 8 + AUDIT_HASH_BYTES + 8], int64_t seq,
    const uint8_t hash[AUDIT_HASH_BYTES], int64_t at_unix_us)
{
	size_t n = 0;

	memcpy(m, CHECKPOINT_LABEL, sizeof(CHECKPOINT_LABEL));
	n += sizeof(CHECKPOINT_LABEL);
	put_u64(m + n, (uint64_t)seq);
	n += 8;
	memcpy(m + n, hash, AUDIT_HASH_BYTES);
	n += AUDIT_HASH_BYTES;
	put_u64(m + n, (uint64_t)at_unix_us);
}

int audit_checkpoint_sign(const uint8_t sk[AUDIT_SK_BYTES], int64_t seq, const uint8_t hash[AUDIT_HASH_BYTES],
    int64_t at_unix_us, uint8_t sig[AUDIT_SIG_BYTES])
{
	uint8_t m[sizeof(CHECKPOINT_LABEL) + 8 + AUDIT_HASH_BYTES + 8];

	checkpoint_message(m, seq, hash, at_unix_us);
	return crypto_sign_detached(sig, NULL, m, sizeof(m), sk) == 0 ? 0 : -1;
}

int audit_checkpoint_verify(const uint8_t pk[AUDIT_PK_BYTES], int64_t seq, const uint8_t hash[AUDIT_HASH_BYTES],
    int64_t at_unix_us, const uint8_t sig[AUDIT_SIG_BYTES])
{
	uint8_t m[sizeof(CHECKPOINT_LABEL) + 8 + AUDIT_HASH_BYTES + 8];

	checkpoint_message(m, seq, hash, at_unix_us);
	return crypto_sign_verify_detached(sig, m, sizeof(m), pk) == 0 ? 0 : -1;
}
