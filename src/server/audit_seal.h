/* audit_seal.h - the sealing step behind the writes (events chained by hash in commit order, signed checkpoints) and the one event-row-to-AuditEvent conversion the sealer and ExportAudit share. */
#ifndef BATON_SERVER_AUDIT_SEAL_H
#define BATON_SERVER_AUDIT_SEAL_H

#include <stdint.h>

#include <libpq-fe.h>

#include "baton/v1/audit.pb-c.h"
#include "common/arena.h"
#include "common/audit.h"
#include "common/status_msg.h"
#include "server/db.h"

/*
 * The columns of an event aliased e that take part in its chain hash
 * (AUDIT_N_EVENT_COLS of them), read exactly as the hash and the export
 * need them: at in microseconds, ids as text, bytea as hex, body as
 * PostgreSQL prints the jsonb. NULL columns stay NULL (absent values).
 */
#define AUDIT_EVENT_COLS \
	"e.id, (extract(epoch FROM e.at) * 1000000)::bigint, e.kind, e.subject_id, e.org_id::text," \
	" e.also_org_id::text, e.actor_id::text, e.actor_key_id::text, e.method, encode(e.request_id, 'hex')," \
	" encode(e.request_payload, 'hex'), encode(e.session_binding, 'hex'), encode(e.signature, 'hex')," \
	" e.body::text"
#define AUDIT_N_EVENT_COLS 14

/* A timestamptz expression as microseconds since the epoch, as SQL. */
#define AUDIT_SQL_US(x) "(extract(epoch FROM " x ") * 1000000)::bigint"

/*
 * Fills e (already initialised) from the AUDIT_EVENT_COLS of row, starting
 * at column col: event_id, at_unix_us and every field with its has_* flag.
 * seq, hash and missing are the caller's. Strings and bytes are copied into
 * a (valid until its reset). BATON_INTERNAL if out of memory or a column is
 * malformed (the message says which event).
 */
baton_status audit_event_from_row(arena *a, const PGresult *res, int row, int col, Baton__V1__AuditEvent *e,
    status_msg *m) __attribute__((warn_unused_result));

/*
 * Hex text s[0..n) (as encode(x, 'hex') prints it) into out, copied into a.
 * -1 if it is not hex or out of memory.
 */
int audit_hex_bytes(arena *a, const char *s, size_t n, ProtobufCBinaryData *out) __attribute__((warn_unused_result));

/*
 * One sealing pass on db (the caller's connection, no transaction open):
 * if no other instance is sealing (an advisory transaction lock), chains
 * the events whose transactions have ended, in commit order ((xid, id) as
 * Watch reads them, below the oldest running transaction), in bounded
 * batches of one transaction each, then writes one checkpoint of the last
 * seq it sealed, signed with sk (whose public half is pk). Neither key is
 * kept or logged. *sealed is how many events it chained, also on failure
 * (batches already committed stay). BATON_OK when the lock was held by
 * another instance (then *sealed is 0); otherwise the database's status.
 */
baton_status audit_seal_pass(db_conn *db, const uint8_t sk[AUDIT_SK_BYTES], const uint8_t pk[AUDIT_PK_BYTES],
    int64_t *sealed, status_msg *m) __attribute__((warn_unused_result));

#endif
