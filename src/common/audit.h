/* audit.h - the audit trail's hashes and checkpoint signatures, shared by batond (which seals) and batonctl (which verifies offline). */
#ifndef BATON_COMMON_AUDIT_H
#define BATON_COMMON_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "baton/v1/audit.pb-c.h"

#define AUDIT_HASH_BYTES 32
#define AUDIT_PK_BYTES   32
#define AUDIT_SK_BYTES   64
#define AUDIT_SIG_BYTES  64

/*
 * The chain hash of event e after prev (32 zero bytes before the first):
 *   BLAKE2b-256( "baton-audit-v1" 0x00 || prev[32] || u64 seq || u64 event_id
 *                || i64 at_unix_us || field(kind) || field(subject_id)
 *                || field(org_id) || field(also_org_id) || field(actor_id)
 *                || field(actor_key_id) || field(method) || field(request_id)
 *                || field(request_payload) || field(session_binding)
 *                || field(signature) || field(body) )
 * integers big-endian; field(x) = u32 length || bytes, and u32 0xFFFFFFFF
 * alone for an absent value (has_* false). e->hash plays no part.
 * 0, or -1 if the hash could not be computed (a field over 4 GiB).
 */
int audit_event_hash(const uint8_t prev[AUDIT_HASH_BYTES], const Baton__V1__AuditEvent *e,
    uint8_t out[AUDIT_HASH_BYTES]) __attribute__((warn_unused_result));

/*
 * A checkpoint's signed message:
 *   "baton-checkpoint-v1" 0x00 || u64 seq || hash[32] || i64 at_unix_us
 * sign: 0 or -1; verify: 0 if sig is pk's signature of it, -1 otherwise.
 */
int audit_checkpoint_sign(const uint8_t sk[AUDIT_SK_BYTES], int64_t seq, const uint8_t hash[AUDIT_HASH_BYTES],
    int64_t at_unix_us, uint8_t sig[AUDIT_SIG_BYTES]) __attribute__((warn_unused_result));
int audit_checkpoint_verify(const uint8_t pk[AUDIT_PK_BYTES], int64_t seq, const uint8_t hash[AUDIT_HASH_BYTES],
    int64_t at_unix_us, const uint8_t sig[AUDIT_SIG_BYTES]) __attribute__((warn_unused_result));

#endif
