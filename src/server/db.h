/* db.h - one PostgreSQL connection: reconnects, transactions, and the SQLSTATE-to-status mapping. */
#ifndef BATON_SERVER_DB_H
#define BATON_SERVER_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "common/status_msg.h"

typedef struct db_conn db_conn;

/* A connection object for conninfo; does not connect yet. Caller frees
 * with db_conn_free(). NULL if out of memory. */
db_conn *db_conn_new(const char *conninfo);

/* Closes and frees; NULL is fine. */
void db_conn_free(db_conn *c);

/* Connects (or reconnects a broken connection). BATON_OK when usable,
 * BATON_UNAVAILABLE with the reason otherwise. */
baton_status db_connect(db_conn *c, status_msg *m) __attribute__((warn_unused_result));

/* The live libpq connection, or NULL when not connected. */
PGconn *db_pg(db_conn *c);

/* How many times c connected so far (the first time and every reconnect),
 * for metrics. Like every other function here, for c's owner thread only. */
uint64_t db_conn_connects(const db_conn *c);

/* Runs SELECT 1, reconnecting once if the connection had been lost.
 * BATON_OK if the database answers, BATON_UNAVAILABLE otherwise. */
baton_status db_ping(db_conn *c, status_msg *m) __attribute__((warn_unused_result));

/*
 * Begins a transaction whose statements time out after timeout_ms. A
 * connection found dead here (the database restarted since the last call)
 * is re-established and the BEGIN retried once: nothing has run yet, so
 * that is safe. BATON_UNAVAILABLE if the database cannot be reached.
 */
baton_status db_tx_begin(db_conn *c, int64_t timeout_ms, status_msg *m)
    __attribute__((warn_unused_result));

/* Whose transaction it is; row-level security (0002_identity.sql) reads it. */
typedef struct db_scope {
	bool        all;    /* in-house principal or batond itself: every row */
	const char *org_id; /* otherwise: only this organization's rows (UUID text) */
	const char *key_id; /* if not NULL, the key must still be valid (UUID text) */
} db_scope;

/*
 * db_tx_begin(), then sets the scope for row-level security and, when
 * scope->key_id is set, checks in the same round trip that the key is not
 * revoked and its principal not disabled (BATON_UNAUTHENTICATED, with the
 * transaction rolled back, if it is). scope NULL is db_tx_begin().
 */
baton_status db_tx_begin_scoped(db_conn *c, int64_t timeout_ms, const db_scope *scope,
    status_msg *m) __attribute__((warn_unused_result));

/* Commits; on failure the transaction is gone and the status says why. */
baton_status db_tx_commit(db_conn *c, status_msg *m) __attribute__((warn_unused_result));

/* Rolls back if a transaction is open; never fails loudly. */
void db_tx_rollback(db_conn *c);

/*
 * Runs a parameterised statement (text parameters, text results). On
 * BATON_OK *out holds the result (caller PQclear()s it; out may be NULL
 * to discard it). Otherwise the status comes from db_result_status().
 */
baton_status db_exec(db_conn *c, PGresult **out, const char *sql, int nparams,
    const char *const *params, status_msg *m) __attribute__((warn_unused_result));

/*
 * db_exec() for a statement run again and again: it is prepared on this
 * connection the first time (named, kept until the connection is lost)
 * so later runs skip parsing and, once PostgreSQL settles on a generic
 * plan, planning. For statement texts from a fixed set only (no values
 * spliced in); the number kept is bounded, and past it statements run
 * as db_exec() runs them.
 */
#define DB_PREPARED_MAX 96 /* statements kept prepared per connection */

baton_status db_exec_prepared(db_conn *c, PGresult **out, const char *sql, int nparams,
    const char *const *params, status_msg *m) __attribute__((warn_unused_result));

/* The one mapping from a SQLSTATE (five characters) to a status. */
baton_status db_status_from_sqlstate(const char *sqlstate);

/*
 * Status of a failed (or NULL) result on c: connection loss is
 * BATON_UNAVAILABLE; otherwise the SQLSTATE decides and is kept in the
 * message. Internal errors are logged in full and reported without detail.
 */
baton_status db_result_status(db_conn *c, const PGresult *res, status_msg *m);

#endif
