/* bootstrap.c - creates what a first start needs: the server key and the first admin. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "server/bootstrap.h"

/* mkdir -p of path's directory, mode 0700 for what it creates. */
static baton_status make_parent(const char *path, status_msg *m)
{
	char dir[512];
	size_t len = strlen(path);

	if (len >= sizeof(dir))
		return status_set(m, BATON_INVALID_ARGUMENT, "path too long: %s", path);
	memcpy(dir, path, len + 1);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return BATON_OK;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST)
				return status_set(m, BATON_UNAVAILABLE, "cannot create directory %s: %s", dir,
				    strerror(errno));
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return BATON_OK;
}

/* Writes path.pub for key unless it is there already; one that is there must match. */
static baton_status ensure_public_file(const char *path, const baton_key *key, status_msg *m)
{
	char         why[400], pub[560];
	uint8_t      on_disk[BATON_PUBLIC_KEY_BYTES];
	baton_status s;

	if (snprintf(pub, sizeof(pub), "%s.pub", path) >= (int)sizeof(pub))
		return status_set(m, BATON_INVALID_ARGUMENT, "path too long: %s.pub", path);
	s = baton_public_key_file_write(pub, key->public_key, why, sizeof(why));
	if (s == BATON_OK)
		return BATON_OK;
	if (s != BATON_ALREADY_EXISTS)
		return status_set(m, s, "server public key: %s", why);
	if ((s = baton_public_key_load(pub, on_disk, why, sizeof(why))) != BATON_OK)
		return status_set(m, s, "server public key: %s", why);
	if (sodium_memcmp(on_disk, key->public_key, sizeof(on_disk)) != 0)
		return status_set(m, BATON_FAILED_PRECONDITION,
		    "%s is not the public half of %s; remove it and batond writes it again", pub, path);
	return BATON_OK;
}

baton_status bootstrap_server_key(const char *path, baton_key *key, bool *created, status_msg *m)
{
	char why[400];
	baton_status s;

	*created = false;
	s = baton_key_file_read(path, key, why, sizeof(why));
	if (s == BATON_NOT_FOUND) {
		if ((s = make_parent(path, m)) != BATON_OK)
			return s;
		if ((s = baton_key_generate(key)) != BATON_OK)
			return status_set(m, s, "cannot generate the server key");
		s = baton_key_file_write(path, key, "batond's identity key", why, sizeof(why));
		if (s == BATON_OK)
			*created = true;
		else if (s == BATON_ALREADY_EXISTS) /* another batond starting beside us won; use its key */
			s = baton_key_file_read(path, key, why, sizeof(why));
	}
	if (s != BATON_OK) {
		baton_key_wipe(key);
		return status_set(m, s, "server key: %s", why);
	}
	if ((s = ensure_public_file(path, key, m)) != BATON_OK) {
		baton_key_wipe(key);
		*created = false;
		return s;
	}
	return BATON_OK;
}

baton_status bootstrap_admin(db_conn *c, const char *key_path, bool *created, char public_key[BATON_PUBLIC_KEY_TEXT],
    status_msg *m)
{
	baton_key key;
	char why[400], hex[2 * BATON_PUBLIC_KEY_BYTES + 1], org_id[40], admin_id[40];
	PGresult *res = NULL;
	baton_status s;
	db_scope all = { .all = true };

	*created = false;
	public_key[0] = '\0';
	memset(&key, 0, sizeof(key));
	if ((s = db_tx_begin_scoped(c, 60000, &all, m)) != BATON_OK)
		return s;
	if ((s = db_exec(c, NULL, "SELECT pg_advisory_xact_lock(hashtext('baton.bootstrap'))", 0, NULL, m)) != BATON_OK ||
	    (s = db_exec(c, &res, "SELECT count(*) FROM principal WHERE role = 'admin'", 0, NULL, m)) != BATON_OK)
		goto out;
	bool have_admin = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	res = NULL;
	if (have_admin) {
		s = db_tx_commit(c, m);
		return s;
	}

	s = baton_key_file_read(key_path, &key, why, sizeof(why));
	if (s == BATON_NOT_FOUND) {
		if ((s = make_parent(key_path, m)) != BATON_OK)
			goto out;
		if ((s = baton_key_generate(&key)) != BATON_OK ||
		    (s = baton_key_file_write(key_path, &key, "the first Baton admin's key", why, sizeof(why))) != BATON_OK) {
			status_set(m, s, "admin key: %s", why);
			goto out;
		}
	} else if (s != BATON_OK) {
		status_set(m, s, "admin key (left by an earlier start): %s", why);
		goto out;
	}
	sodium_bin2hex(hex, sizeof(hex), key.public_key, sizeof(key.public_key));

	if ((s = db_exec(c, &res,
	         "WITH ins AS (INSERT INTO org (name, kind, time_zone) VALUES ('in-house', 'in_house', 'UTC')"
	         "             ON CONFLICT DO NOTHING RETURNING id)"
	         " SELECT id FROM ins UNION ALL SELECT id FROM org WHERE kind = 'in_house' LIMIT 1",
	         0, NULL, m)) != BATON_OK)
		goto out;
	snprintf(org_id, sizeof(org_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	{
		const char *p[1] = { org_id };
		if ((s = db_exec(c, &res,
		         "INSERT INTO principal (org_id, handle, display_name, role)"
		         " VALUES ($1, 'admin', 'First admin', 'admin') RETURNING id", 1, p, m)) != BATON_OK)
			goto out;
	}
	snprintf(admin_id, sizeof(admin_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	{
		const char *p[3] = { admin_id, org_id, hex };
		if ((s = db_exec(c, NULL,
		         "INSERT INTO principal_key (principal_id, org_id, public_key) VALUES ($1, $2, decode($3, 'hex'))",
		         3, p, m)) != BATON_OK ||
		    (s = db_exec(c, NULL,
		         "INSERT INTO event (org_id, kind, subject_id, body)"
		         " VALUES ($2, 'principal.bootstrapped', $1, jsonb_build_object('handle', 'admin', 'role', 'admin'))",
		         2, p, m)) != BATON_OK)
			goto out;
	}
	if ((s = db_tx_commit(c, m)) != BATON_OK)
		goto out;
	baton_public_key_format(key.public_key, public_key);
	*created = true;
out:
	PQclear(res);
	if (s != BATON_OK)
		db_tx_rollback(c);
	baton_key_wipe(&key);
	return s;
}
