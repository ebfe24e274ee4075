/* db.c - PostgreSQL connection handling and error mapping, in one place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "server/db.h"
#include "server/log.h"

typedef struct db_prepared {
	uint64_t hash; /* of sql, to skip most strcmp()s */
	char    *sql;
} db_prepared;

struct db_conn {
	PGconn     *pg;
	char       *conninfo;
	db_prepared prepared[DB_PREPARED_MAX]; /* statement "baton_<i>" is prepared[i] */
	int         n_prepared;
	uint64_t    connects; /* successful connects so far */
};

/* The statements prepared on the last connection died with it. */
static void prepared_forget(db_conn *c)
{
	for (int i = 0; i < c->n_prepared; i++)
		free(c->prepared[i].sql);
	c->n_prepared = 0;
}

db_conn *db_conn_new(const char *conninfo)
{
	db_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if ((c->conninfo = strdup(conninfo)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void db_conn_free(db_conn *c)
{
	if (c == NULL)
		return;
	if (c->pg != NULL)
		PQfinish(c->pg);
	prepared_forget(c);
	/* The conninfo may hold a password. */
	explicit_bzero(c->conninfo, strlen(c->conninfo));
	free(c->conninfo);
	free(c);
}

PGconn *db_pg(db_conn *c)
{
	return (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK) ? c->pg : NULL;
}

uint64_t db_conn_connects(const db_conn *c)
{
	return c->connects;
}

static void first_line(char *dst, size_t len, const char *src)
{
	size_t n = strcspn(src, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

baton_status db_connect(db_conn *c, status_msg *m)
{
	/* Our defaults come first so that the configured conninfo (expanded
	 * in place of "dbname") overrides them. JIT off: batond's statements
	 * are short, and compiling them cost a coverage pass 1-2 s instead of
	 * 40 ms. */
	const char *keys[] = { "connect_timeout", "application_name", "options", "dbname", NULL };
	const char *vals[] = { "5", "batond", "-c jit=off", c->conninfo, NULL };
	char reason[300];

	if (db_pg(c) != NULL)
		return BATON_OK;
	if (c->pg != NULL)
		PQfinish(c->pg);
	prepared_forget(c);
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL)
		return status_set(m, BATON_UNAVAILABLE, "database: out of memory while connecting");
	if (PQstatus(c->pg) != CONNECTION_OK) {
		first_line(reason, sizeof(reason), PQerrorMessage(c->pg));
		PQfinish(c->pg);
		c->pg = NULL;
		return status_set(m, BATON_UNAVAILABLE, "database unavailable: %s", reason);
	}
	c->connects++;
	return BATON_OK;
}

baton_status db_status_from_sqlstate(const char *s)
{
	if (s == NULL || strlen(s) != 5)
		return BATON_INTERNAL;
	/* Exact codes first, then classes. */
	static const struct {
		const char  *code;
		baton_status status;
	} exact[] = {
		{ "23505", BATON_ALREADY_EXISTS },      /* unique_violation */
		{ "23503", BATON_FAILED_PRECONDITION }, /* foreign_key_violation */
		{ "23514", BATON_FAILED_PRECONDITION }, /* check_violation */
		{ "23P01", BATON_FAILED_PRECONDITION }, /* exclusion_violation */
		{ "23502", BATON_INVALID_ARGUMENT },    /* not_null_violation */
		{ "40001", BATON_ABORTED },             /* serialization_failure: retried */
		{ "40P01", BATON_ABORTED },             /* deadlock_detected: retried */
		{ "55P03", BATON_ABORTED },             /* lock_not_available */
		{ "57014", BATON_DEADLINE_EXCEEDED },   /* query_canceled (statement_timeout) */
		{ "57P01", BATON_UNAVAILABLE },         /* admin_shutdown */
		{ "57P02", BATON_UNAVAILABLE },         /* crash_shutdown */
		{ "57P03", BATON_UNAVAILABLE },         /* cannot_connect_now */
		{ "25006", BATON_FAILED_PRECONDITION }, /* read_only_sql_transaction */
		{ "P0002", BATON_NOT_FOUND },           /* no_data_found */
	};
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (memcmp(s, exact[i].code, 5) == 0)
			return exact[i].status;
	if (memcmp(s, "08", 2) == 0) /* connection_exception */
		return BATON_UNAVAILABLE;
	if (memcmp(s, "22", 2) == 0) /* data_exception: bad value from the caller */
		return BATON_INVALID_ARGUMENT;
	if (memcmp(s, "23", 2) == 0) /* other integrity constraints */
		return BATON_FAILED_PRECONDITION;
	if (memcmp(s, "53", 2) == 0) /* insufficient_resources */
		return BATON_RESOURCE_EXHAUSTED;
	if (memcmp(s, "40", 2) == 0) /* transaction_rollback */
		return BATON_ABORTED;
	return BATON_INTERNAL;
}

baton_status db_result_status(db_conn *c, const PGresult *res, status_msg *m)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char reason[300];

	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK || state == NULL) {
		first_line(reason, sizeof(reason), c->pg != NULL ? PQerrorMessage(c->pg) : "not connected");
		return status_set(m, BATON_UNAVAILABLE, "database unavailable: %s", reason);
	}
	baton_status s = db_status_from_sqlstate(state);
	if (s == BATON_INTERNAL) {
		log_error("db_error", LOG_S("sqlstate", state), LOG_S("message", primary ? primary : ""));
		return status_set(m, s, "internal database error (SQLSTATE %s); see the server log", state);
	}
	return status_set(m, s, "%s (SQLSTATE %s)", primary ? primary : "database error", state);
}

/* Hands a finished statement's result to the caller, or its status. */
static baton_status exec_result(db_conn *c, PGresult *res, PGresult **out, status_msg *m)
{
	baton_status s;

	switch (res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		if (out != NULL)
			*out = res;
		else
			PQclear(res);
		return BATON_OK;
	default:
		s = db_result_status(c, res, m);
		PQclear(res);
		return s;
	}
}

baton_status db_exec(db_conn *c, PGresult **out, const char *sql, int nparams,
    const char *const *params, status_msg *m)
{
	if (out != NULL)
		*out = NULL;
	if (c->pg == NULL)
		return status_set(m, BATON_UNAVAILABLE, "database unavailable: not connected");
	return exec_result(c, PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0), out, m);
}

/* The index of sql among c's prepared statements, preparing it if there
 * is room: -1 when there is none (run it unprepared), -2 with the status
 * in *s when preparing failed. */
static int prepared_find(db_conn *c, const char *sql, int nparams, baton_status *s, status_msg *m)
{
	static const unsigned char key[crypto_shorthash_KEYBYTES]; /* a table key, not a secret */
	unsigned char h[crypto_shorthash_BYTES];
	char name[24];
	uint64_t hash;
	int i;

	if (crypto_shorthash(h, (const unsigned char *)sql, strlen(sql), key) != 0)
		return -1;
	memcpy(&hash, h, sizeof(hash));
	for (i = 0; i < c->n_prepared; i++)
		if (c->prepared[i].hash == hash && strcmp(c->prepared[i].sql, sql) == 0)
			return i;
	if (c->n_prepared == DB_PREPARED_MAX)
		return -1;
	char *copy = strdup(sql);
	if (copy == NULL)
		return -1;
	snprintf(name, sizeof(name), "baton_%d", i);
	if ((*s = exec_result(c, PQprepare(c->pg, name, sql, nparams, NULL), NULL, m)) != BATON_OK) {
		free(copy);
		return -2;
	}
	c->prepared[i] = (db_prepared){ .hash = hash, .sql = copy };
	c->n_prepared++;
	return i;
}

baton_status db_exec_prepared(db_conn *c, PGresult **out, const char *sql, int nparams,
    const char *const *params, status_msg *m)
{
	baton_status s = BATON_OK;
	char name[24];
	int i;

	if (out != NULL)
		*out = NULL;
	if (c->pg == NULL)
		return status_set(m, BATON_UNAVAILABLE, "database unavailable: not connected");
	if ((i = prepared_find(c, sql, nparams, &s, m)) == -2)
		return s;
	if (i == -1)
		return db_exec(c, out, sql, nparams, params, m);
	snprintf(name, sizeof(name), "baton_%d", i);
	return exec_result(c, PQexecPrepared(c->pg, name, nparams, params, NULL, NULL, 0), out, m);
}

/* Runs a command that returns no rows. */
static baton_status simple(db_conn *c, const char *sql, status_msg *m)
{
	return db_exec(c, NULL, sql, 0, NULL, m);
}

baton_status db_ping(db_conn *c, status_msg *m)
{
	baton_status s;

	for (int attempt = 0; attempt < 2; attempt++) {
		if ((s = db_connect(c, m)) != BATON_OK)
			return s;
		if ((s = simple(c, "SELECT 1", m)) != BATON_UNAVAILABLE)
			return s;
	}
	return s;
}

/* True for the canonical text form of a UUID (as PostgreSQL prints it). */
static bool uuid_text_ok(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

baton_status db_tx_begin_scoped(db_conn *c, int64_t timeout_ms, const db_scope *scope, status_msg *m)
{
	char sql[640];
	baton_status s = BATON_UNAVAILABLE;
	bool check_key = scope != NULL && scope->key_id != NULL;

	if (timeout_ms < 1)
		timeout_ms = 1;
	if (scope != NULL && ((!scope->all && !uuid_text_ok(scope->org_id)) ||
	                         (check_key && !uuid_text_ok(scope->key_id))))
		return status_set(m, BATON_INTERNAL, "transaction scope holds a malformed id");
	/* The ids are checked UUIDs from our own database, so they can be
	 * spliced into the text: one round trip for all of it. */
	if (scope == NULL)
		snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL statement_timeout = %lld", (long long)timeout_ms);
	else
		snprintf(sql, sizeof(sql),
		    "BEGIN; SET LOCAL statement_timeout = %lld;"
		    " SELECT set_config('baton.scope', '%s', true), set_config('baton.org', '%s', true);"
		    " SELECT %s",
		    (long long)timeout_ms, scope->all ? "all" : "org", scope->all ? "" : scope->org_id,
		    check_key ? "EXISTS (SELECT 1 FROM principal_key k JOIN principal p ON p.id = k.principal_id"
		                " WHERE k.id = '" : "true");
	if (check_key) {
		size_t n = strlen(sql);
		snprintf(sql + n, sizeof(sql) - n,
		    "%s' AND k.revoked_at IS NULL AND p.disabled_at IS NULL)", scope->key_id);
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((s = db_connect(c, m)) != BATON_OK)
			return s;
		/* PQexec, not PQexecParams: several statements in one round trip;
		 * the result is the last one's. */
		PGresult *res = PQexec(c->pg, sql);
		ExecStatusType want = scope == NULL ? PGRES_COMMAND_OK : PGRES_TUPLES_OK;
		if (res != NULL && PQresultStatus(res) == want) {
			bool live = scope == NULL || strcmp(PQgetvalue(res, 0, 0), "t") == 0;
			PQclear(res);
			if (live)
				return BATON_OK;
			db_tx_rollback(c);
			return status_set(m, BATON_UNAUTHENTICATED,
			    "the session's key was revoked or its principal disabled");
		}
		s = db_result_status(c, res, m);
		PQclear(res);
		if (s != BATON_UNAVAILABLE) {
			db_tx_rollback(c);
			return s;
		}
	}
	return s;
}

baton_status db_tx_begin(db_conn *c, int64_t timeout_ms, status_msg *m)
{
	return db_tx_begin_scoped(c, timeout_ms, NULL, m);
}

baton_status db_tx_commit(db_conn *c, status_msg *m)
{
	PGresult *res;
	baton_status s;

	if (c->pg == NULL)
		return status_set(m, BATON_UNAVAILABLE, "database unavailable: not connected");
	res = PQexec(c->pg, "COMMIT");
	if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK) {
		/* A COMMIT of an aborted transaction reports ROLLBACK. */
		const char *tag = PQcmdStatus(res);
		bool rolled_back = tag != NULL && strcmp(tag, "ROLLBACK") == 0;
		PQclear(res);
		if (rolled_back)
			return status_set(m, BATON_ABORTED, "transaction was rolled back");
		return BATON_OK;
	}
	s = db_result_status(c, res, m);
	PQclear(res);
	return s;
}

void db_tx_rollback(db_conn *c)
{
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
		return;
	}
	PGresult *res = PQexec(c->pg, "ROLLBACK");
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warn("db_rollback_failed", LOG_S("error", PQerrorMessage(c->pg)));
	PQclear(res);
}
