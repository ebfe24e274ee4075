/* audit_seal.c - the sealing step: events chained by hash in commit order behind the writes, in bounded batches, and a checkpoint batond signs (see audit_seal.h, docs/audit.md). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "server/audit_seal.h"
#include "server/event_cursor.h"

#define BATCH_EVENTS     2000
#define TEXT_(x)         #x
#define TEXT(x)          TEXT_(x)
#define BATCHES_PER_PASS 25 /* at most 50000 events a pass; the next pass goes on */
#define BATCH_TIMEOUT_MS 30000
#define XID_TEXT         24 /* a xid8 in decimal */

/* Where the chain ends: its last row (seq 0, xid 0, zero hash when empty). */
typedef struct chain_end {
	int64_t seq;
	char    xid[XID_TEXT];
	int64_t event_id;
	uint8_t hash[AUDIT_HASH_BYTES];
} chain_end;

static bool int_col(const PGresult *res, int row, int c, int64_t *out)
{
	const char *s = PQgetvalue(res, row, c);
	char *end;
	long long v;

	if (PQgetisnull(res, row, c) || s[0] == '\0')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = (int64_t)v;
	return true;
}

int audit_hex_bytes(arena *a, const char *s, size_t n, ProtobufCBinaryData *out)
{
	const char *end = NULL;
	size_t len = 0;
	uint8_t *bin;

	if (n % 2 != 0 || (bin = arena_alloc(a, n / 2)) == NULL)
		return -1;
	if (n > 0 && (sodium_hex2bin(bin, n / 2, s, n, NULL, &len, &end) != 0 || len != n / 2 || end != s + n))
		return -1;
	out->data = bin;
	out->len = n / 2;
	return 0;
}

/* Column c as an arena string; with has, NULL is absent (""), else NULL
 * is malformed. false if malformed or out of memory. */
static bool str_col(arena *a, const PGresult *res, int row, int c, char **out, protobuf_c_boolean *has)
{
	bool null = PQgetisnull(res, row, c);

	if (has != NULL)
		*has = !null;
	if (null)
		return has != NULL;
	return (*out = arena_strndup(a, PQgetvalue(res, row, c), (size_t)PQgetlength(res, row, c))) != NULL;
}

static bool bytes_col(arena *a, const PGresult *res, int row, int c, ProtobufCBinaryData *out, protobuf_c_boolean *has)
{
	if ((*has = !PQgetisnull(res, row, c)) == false)
		return true;
	return audit_hex_bytes(a, PQgetvalue(res, row, c), (size_t)PQgetlength(res, row, c), out) == 0;
}

baton_status audit_event_from_row(arena *a, const PGresult *res, int row, int col, Baton__V1__AuditEvent *e,
    status_msg *m)
{
	if (PQnfields(res) < col + AUDIT_N_EVENT_COLS || !int_col(res, row, col + 0, &e->event_id))
		return status_set(m, BATON_INTERNAL, "an event row is malformed");
	if (!int_col(res, row, col + 1, &e->at_unix_us) ||
	    !str_col(a, res, row, col + 2, &e->kind, NULL) ||
	    !str_col(a, res, row, col + 3, &e->subject_id, NULL) ||
	    !str_col(a, res, row, col + 4, &e->org_id, &e->has_org_id) ||
	    !str_col(a, res, row, col + 5, &e->also_org_id, &e->has_also_org_id) ||
	    !str_col(a, res, row, col + 6, &e->actor_id, &e->has_actor_id) ||
	    !str_col(a, res, row, col + 7, &e->actor_key_id, &e->has_actor_key_id) ||
	    !str_col(a, res, row, col + 8, &e->method, &e->has_method) ||
	    !bytes_col(a, res, row, col + 9, &e->request_id, &e->has_request_id) ||
	    !bytes_col(a, res, row, col + 10, &e->request_payload, &e->has_request_payload) ||
	    !bytes_col(a, res, row, col + 11, &e->session_binding, &e->has_session_binding) ||
	    !bytes_col(a, res, row, col + 12, &e->signature, &e->has_signature) ||
	    !str_col(a, res, row, col + 13, &e->body, NULL))
		return status_set(m, BATON_INTERNAL, "event %lld: a column is malformed or out of memory",
		    (long long)e->event_id);
	return BATON_OK;
}

static baton_status lock_try(db_conn *db, bool *locked, status_msg *m)
{
	PGresult *res = NULL;
	baton_status s;

	/* Released when the transaction ends: a crashed sealer holds nothing. */
	if ((s = db_exec(db, &res, "SELECT pg_try_advisory_xact_lock(hashtext('baton.audit_seal'))", 0, NULL, m)) !=
	    BATON_OK)
		return s;
	*locked = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return BATON_OK;
}

static baton_status end_read(db_conn *db, chain_end *end, status_msg *m)
{
	PGresult *res = NULL;
	baton_status s;
	uint64_t xid;
	size_t len = 0;
	const char *hex_end = NULL;

	memset(end, 0, sizeof(*end));
	snprintf(end->xid, sizeof(end->xid), "0");
	if ((s = db_exec(db, &res,
	         "SELECT seq, xid::text, event_id, encode(hash, 'hex') FROM event_chain ORDER BY seq DESC LIMIT 1", 0,
	         NULL, m)) != BATON_OK)
		return s;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return BATON_OK;
	}
	if (!int_col(res, 0, 0, &end->seq) || !int_col(res, 0, 2, &end->event_id) ||
	    !event_cursor_digits(PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1), &xid) ||
	    PQgetlength(res, 0, 3) != 2 * AUDIT_HASH_BYTES ||
	    sodium_hex2bin(end->hash, sizeof(end->hash), PQgetvalue(res, 0, 3), 2 * AUDIT_HASH_BYTES, NULL, &len,
	        &hex_end) != 0 ||
	    len != AUDIT_HASH_BYTES) {
		PQclear(res);
		return status_set(m, BATON_INTERNAL, "the audit chain's last row is malformed");
	}
	snprintf(end->xid, sizeof(end->xid), "%llu", (unsigned long long)xid);
	PQclear(res);
	return BATON_OK;
}

/*
 * The next events in commit order after end, exactly as Watch reads them:
 * (xid, id) past the chain's last and xid below the oldest transaction
 * still running, so nothing can commit behind them later and their order
 * is final. Each hashed after the one before; all of them inserted by one
 * statement. end moves to the last one; *n is how many.
 */
static baton_status batch_seal(db_conn *db, arena *a, chain_end *end, int *n, status_msg *m)
{
	char id_text[24], limit[16];
	const char *params[3] = { end->xid, id_text, limit };
	PGresult *res = NULL;
	char *seqs, *ids, *xids, *hashes, *ps, *pi, *px, *ph;
	baton_status s;
	int rows;

	*n = 0;
	snprintf(id_text, sizeof(id_text), "%lld", (long long)end->event_id);
	snprintf(limit, sizeof(limit), "%d", BATCH_EVENTS);
	if ((s = db_exec(db, &res,
	         "SELECT e.xid::text, " AUDIT_EVENT_COLS " FROM event e"
	         " WHERE (e.xid, e.id) > ($1::xid8, $2::bigint) AND e.xid < pg_snapshot_xmin(pg_current_snapshot())"
	         " ORDER BY e.xid, e.id LIMIT $3::int",
	         3, params, m)) != BATON_OK)
		return s;
	if ((rows = PQntuples(res)) == 0) {
		PQclear(res);
		return BATON_OK;
	}
	/* "{a,b,...}" for the numbers, "h,h,..." for the hashes (hex). */
	seqs = arena_alloc(a, (size_t)rows * 22 + 3);
	ids = arena_alloc(a, (size_t)rows * 22 + 3);
	xids = arena_alloc(a, (size_t)rows * 22 + 3);
	hashes = arena_alloc(a, (size_t)rows * (2 * AUDIT_HASH_BYTES + 1) + 1);
	if (seqs == NULL || ids == NULL || xids == NULL || hashes == NULL) {
		PQclear(res);
		return status_set(m, BATON_INTERNAL, "out of memory");
	}
	ps = seqs, pi = ids, px = xids, ph = hashes;
	*ps++ = '{', *pi++ = '{', *px++ = '{';
	for (int r = 0; r < rows; r++) {
		Baton__V1__AuditEvent e = BATON__V1__AUDIT_EVENT__INIT;
		uint64_t xid;
		const char *sep = r + 1 < rows ? "," : "}";

		if ((s = audit_event_from_row(a, res, r, 1, &e, m)) != BATON_OK) {
			PQclear(res);
			return s;
		}
		if (!event_cursor_digits(PQgetvalue(res, r, 0), (size_t)PQgetlength(res, r, 0), &xid)) {
			PQclear(res);
			return status_set(m, BATON_INTERNAL, "event %lld has a malformed xid", (long long)e.event_id);
		}
		e.seq = end->seq + 1;
		if (audit_event_hash(end->hash, &e, end->hash) != 0) {
			PQclear(res);
			return status_set(m, BATON_INTERNAL, "event %lld cannot be hashed (a field over 4 GiB)",
			    (long long)e.event_id);
		}
		end->seq = e.seq;
		end->event_id = e.event_id;
		snprintf(end->xid, sizeof(end->xid), "%llu", (unsigned long long)xid);
		ps += sprintf(ps, "%lld%s", (long long)end->seq, sep);
		pi += sprintf(pi, "%lld%s", (long long)end->event_id, sep);
		px += sprintf(px, "%s%s", end->xid, sep);
		sodium_bin2hex(ph, 2 * AUDIT_HASH_BYTES + 1, end->hash, AUDIT_HASH_BYTES);
		ph += 2 * AUDIT_HASH_BYTES;
		if (r + 1 < rows)
			*ph++ = ',';
	}
	*ph = '\0';
	PQclear(res);
	{
		const char *ins[4] = { seqs, ids, xids, hashes };
		/* The primary key on seq and the unique event_id turn a second
		 * sealer that got past the lock into an error, never a fork. */
		if ((s = db_exec(db, NULL,
		         "INSERT INTO event_chain (seq, event_id, xid, hash)"
		         " SELECT u.seq, u.event_id, u.xid, decode(u.hash, 'hex')"
		         " FROM unnest($1::bigint[], $2::bigint[], $3::xid8[], string_to_array($4, ','))"
		         " AS u(seq, event_id, xid, hash)",
		         4, ins, m)) != BATON_OK)
			return s;
	}
	*n = rows;
	return BATON_OK;
}

/* A checkpoint of end (the chain as this pass left it), in the open
 * transaction. at is the transaction's now(), stored as is, so its
 * microseconds read back exactly as signed. */
static baton_status checkpoint_write(db_conn *db, const uint8_t sk[AUDIT_SK_BYTES], const uint8_t pk[AUDIT_PK_BYTES],
    const chain_end *end, status_msg *m)
{
	char seq[24], hash[2 * AUDIT_HASH_BYTES + 1], pk_hex[2 * AUDIT_PK_BYTES + 1], sig_hex[2 * AUDIT_SIG_BYTES + 1];
	const char *params[4] = { seq, hash, pk_hex, sig_hex };
	uint8_t sig[AUDIT_SIG_BYTES];
	PGresult *res = NULL;
	int64_t at_us;
	baton_status s;

	if ((s = db_exec(db, &res, "SELECT " AUDIT_SQL_US("now()"), 0, NULL, m)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1 || !int_col(res, 0, 0, &at_us)) {
		PQclear(res);
		return status_set(m, BATON_INTERNAL, "the database gave no time for the checkpoint");
	}
	PQclear(res);
	if (audit_checkpoint_sign(sk, end->seq, end->hash, at_us, sig) != 0)
		return status_set(m, BATON_INTERNAL, "cannot sign the checkpoint at seq %lld", (long long)end->seq);
	snprintf(seq, sizeof(seq), "%lld", (long long)end->seq);
	sodium_bin2hex(hash, sizeof(hash), end->hash, AUDIT_HASH_BYTES);
	sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, AUDIT_PK_BYTES);
	sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
	return db_exec(db, NULL,
	    "INSERT INTO audit_checkpoint (seq, hash, at, server_public_key, signature)"
	    " VALUES ($1::bigint, decode($2, 'hex'), now(), decode($3, 'hex'), decode($4, 'hex'))",
	    4, params, m);
}

baton_status audit_seal_pass(db_conn *db, const uint8_t sk[AUDIT_SK_BYTES], const uint8_t pk[AUDIT_PK_BYTES],
    int64_t *sealed, status_msg *m)
{
	const db_scope all = { .all = true };
	chain_end end, mine; /* mine: the end this pass committed */
	bool checkpointed = false;
	baton_status s = BATON_OK;
	arena a = { 0 };

	*sealed = 0;
	memset(&mine, 0, sizeof(mine));
	if (arena_init(&a, 64 * 1024) != 0)
		return status_set(m, BATON_INTERNAL, "out of memory");
	for (int batch = 0; batch < BATCHES_PER_PASS; batch++) {
		bool locked = false, last;
		int n = 0;

		arena_reset(&a);
		if ((s = db_tx_begin_scoped(db, BATCH_TIMEOUT_MS, &all, m)) != BATON_OK)
			goto out;
		if ((s = lock_try(db, &locked, m)) != BATON_OK)
			goto rollback;
		if (!locked) { /* another instance is sealing: it goes on from where this one stopped */
			db_tx_rollback(db);
			break;
		}
		if ((s = end_read(db, &end, m)) != BATON_OK || (s = batch_seal(db, &a, &end, &n, m)) != BATON_OK)
			goto rollback;
		last = n < BATCH_EVENTS || batch + 1 == BATCHES_PER_PASS;
		if (last && *sealed + n > 0) {
			if ((s = checkpoint_write(db, sk, pk, n > 0 ? &end : &mine, m)) != BATON_OK)
				goto rollback;
		}
		if ((s = db_tx_commit(db, m)) != BATON_OK)
			goto out;
		if (n > 0)
			mine = end;
		*sealed += n;
		checkpointed = last;
		if (last)
			break;
	}
	/* The lock went to another instance after this pass sealed a full
	 * batch: the checkpoint of what this one sealed needs no lock (seq is
	 * the key; the other instance signs only the seqs it sealed). */
	if (*sealed > 0 && !checkpointed) {
		if ((s = db_tx_begin_scoped(db, BATCH_TIMEOUT_MS, &all, m)) != BATON_OK)
			goto out;
		if ((s = checkpoint_write(db, sk, pk, &mine, m)) != BATON_OK)
			goto rollback;
		s = db_tx_commit(db, m);
	}
	goto out;
rollback:
	db_tx_rollback(db);
out:
	arena_fini(&a);
	return s;
}
