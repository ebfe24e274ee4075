/* migrate.c - applies compiled-in migrations in one transaction under an advisory lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "server/log.h"
#include "server/migrate.h"

/* Any fixed number; only batond's migrations take this lock. ("baton" in ASCII.) */
#define MIGRATION_LOCK_KEY "426174306e"

/* BLAKE2b-256 of sql as hex; -1 if libsodium fails. */
static int checksum_hex(const char *sql, char out[65])
{
	unsigned char hash[32];

	if (crypto_generichash(hash, sizeof(hash), (const unsigned char *)sql, strlen(sql), NULL, 0) != 0)
		return -1;
	sodium_bin2hex(out, 65, hash, sizeof(hash));
	return 0;
}

baton_status migrate_apply(db_conn *c, const migration *list, int count, int *schema_version,
    int *applied, status_msg *m)
{
	PGresult *res = NULL;
	baton_status s;
	int max_version = 0;

	*applied = 0;
	*schema_version = 0;
	if ((s = db_tx_begin(c, 600000, m)) != BATON_OK)
		return s;
	if ((s = db_exec(c, NULL, "SELECT pg_advisory_xact_lock(x'" MIGRATION_LOCK_KEY "'::bigint)", 0,
	         NULL, m)) != BATON_OK)
		goto out;
	if ((s = db_exec(c, NULL,
	         "CREATE TABLE IF NOT EXISTS schema_migrations ("
	         " version    integer PRIMARY KEY,"
	         " name       text NOT NULL,"
	         " checksum   text NOT NULL,"
	         " applied_at timestamptz NOT NULL DEFAULT now())",
	         0, NULL, m)) != BATON_OK)
		goto out;
	if ((s = db_exec(c, &res, "SELECT version, checksum FROM schema_migrations ORDER BY version", 0,
	         NULL, m)) != BATON_OK)
		goto out;

	for (int i = 0; i < count; i++) {
		const migration *mg = &list[i];
		char sum[65], version[16];
		const char *recorded = NULL;

		if (checksum_hex(mg->sql, sum) != 0) {
			s = status_set(m, BATON_INTERNAL, "cannot hash migration %04d_%s", mg->version, mg->name);
			goto out;
		}
		for (int r = 0; r < PQntuples(res); r++)
			if (atoi(PQgetvalue(res, r, 0)) == mg->version)
				recorded = PQgetvalue(res, r, 1);
		if (recorded != NULL) {
			if (strcmp(recorded, sum) != 0) {
				s = status_set(m, BATON_FAILED_PRECONDITION,
				    "migration %04d_%s was applied with different SQL (checksum %.12s, "
				    "this batond has %.12s); never edit an applied migration",
				    mg->version, mg->name, recorded, sum);
				goto out;
			}
			continue;
		}
		/* PQexec: a migration file may hold several statements. */
		PGresult *r = PQexec(db_pg(c), mg->sql);
		if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
			status_msg why;
			s = db_result_status(c, r, &why);
			PQclear(r);
			status_set(m, s, "migration %04d_%s failed: %s", mg->version, mg->name, why.text);
			goto out;
		}
		PQclear(r);
		snprintf(version, sizeof(version), "%d", mg->version);
		const char *params[] = { version, mg->name, sum };
		if ((s = db_exec(c, NULL,
		         "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3,
		         params, m)) != BATON_OK)
			goto out;
		log_info("migration_applied", LOG_I("version", mg->version), LOG_S("name", mg->name));
		(*applied)++;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		int v = atoi(PQgetvalue(res, r, 0));
		if (v > max_version)
			max_version = v;
	}
	if (max_version > count)
		log_warn("schema_newer_than_binary", LOG_I("schema_version", max_version),
		    LOG_I("known_version", count));
	if (count > max_version)
		max_version = count;
	s = db_tx_commit(c, m);
out:
	PQclear(res);
	if (s != BATON_OK)
		db_tx_rollback(c);
	else
		*schema_version = max_version;
	return s;
}
