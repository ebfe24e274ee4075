/* migrate.h - numbered SQL migrations compiled into batond, applied at start-up. */
#ifndef BATON_SERVER_MIGRATE_H
#define BATON_SERVER_MIGRATE_H

#include "common/status_msg.h"
#include "server/db.h"

typedef struct migration {
	int         version; /* 1, 2, 3, ... without gaps */
	const char *name;
	const char *sql;
} migration;

/* The table generated from src/server/sql/NNNN_name.sql by embed.sh. */
extern const migration migrations[];
extern const int       migrations_count;

/*
 * Applies the migrations of list[0..count) that the database lacks, all in
 * one transaction under an advisory lock, so instances starting together
 * take turns and the second finds the work done. Each applied migration is
 * recorded in schema_migrations with a BLAKE2b checksum of its SQL; an
 * applied migration whose SQL has since changed is refused
 * (FAILED_PRECONDITION). On BATON_OK, *schema_version is the highest
 * version in the database and *applied how many ran now.
 */
baton_status migrate_apply(db_conn *c, const migration *list, int count, int *schema_version,
    int *applied, status_msg *m) __attribute__((warn_unused_result));

#endif
