/* bootstrap.h - first start: the server's identity key, and the first admin of an empty registry. */
#ifndef BATON_SERVER_BOOTSTRAP_H
#define BATON_SERVER_BOOTSTRAP_H

#include <baton/keys.h>

#include "server/db.h"

/*
 * Reads the server's key pair from path; if there is none, creates it
 * (mode 0600, parent directories 0700) and its public half at path.pub.
 * *created says which. The caller wipes key.
 */
baton_status bootstrap_server_key(const char *path, baton_key *key, bool *created, status_msg *m)
    __attribute__((warn_unused_result));

/*
 * If the registry has no admin yet: creates the in-house organization
 * (if missing), the admin principal "admin" and its key, whose key file is
 * written to key_path (mode 0600) before the transaction commits. A key
 * file left by an earlier attempt that did not commit is reused. Safe
 * with several instances starting at once (advisory lock). *created says
 * whether this call did it.
 */
baton_status bootstrap_admin(db_conn *c, const char *key_path, bool *created, char public_key[BATON_PUBLIC_KEY_TEXT],
    status_msg *m) __attribute__((warn_unused_result));

#endif
