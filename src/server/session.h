/* session.h - live secure-channel sessions of one batond: lookup, replay windows, expiry, revocation. */
#ifndef BATON_SERVER_SESSION_H
#define BATON_SERVER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/chan.h"
#include "common/status_msg.h"

/* Roles, one bit each, so that a method can name the set it allows. */
enum session_role {
	ROLE_AGENT       = 1u << 0,
	ROLE_MANAGER     = 1u << 1,
	ROLE_LEAD        = 1u << 2,
	ROLE_ADMIN       = 1u << 3,
	ROLE_INTEGRATION = 1u << 4,
};
#define ROLES_ANY (ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN | ROLE_INTEGRATION)

/* "agent" → ROLE_AGENT; 0 for an unknown name. */
unsigned session_role_from_str(const char *name);
/* ROLE_AGENT → "agent"; "?" for anything else. */
const char *session_role_str(unsigned role);

/* Who a session speaks for, as the key registry said at the handshake. */
typedef struct session_caller {
	char     principal_id[40]; /* UUID text */
	char     key_id[40];
	char     org_id[40];
	char     handle[64];
	unsigned role;     /* one ROLE_* bit */
	bool     in_house; /* the principal's organization is the in-house one */
	uint8_t  public_key[CHAN_KEY_BYTES];
} session_caller;

typedef struct session_store session_store;

/* A store for at most max_sessions live sessions, and per_principal per
 * principal (a principal's newest session ends its oldest beyond that);
 * NULL if out of memory. Free with session_store_free(), which wipes every
 * session's keys. */
session_store *session_store_new(size_t max_sessions, size_t per_principal);
void session_store_free(session_store *st);

/* Adds a session (keys and caller are copied). BATON_RESOURCE_EXHAUSTED
 * when the store is full even after dropping expired sessions. */
baton_status session_add(session_store *st, const uint8_t id[CHAN_SESSION_ID_BYTES],
    const chan_keys *keys, const session_caller *caller, int64_t expires_unix_ms, status_msg *m)
    __attribute__((warn_unused_result));

/* Copies a live session's keys, caller and expiry out. False if there is
 * no such session or it expired (an expired one is dropped). The caller
 * wipes *keys when done. */
bool session_lookup(session_store *st, const uint8_t id[CHAN_SESSION_ID_BYTES], int64_t now_unix_ms,
    chan_keys *keys, session_caller *caller, int64_t *expires_unix_ms);

/* Records counter in the session's replay window (call only for a frame
 * that opened). CHAN_OK, CHAN_E_REPLAY, CHAN_E_OLD, CHAN_E_COUNTER, or 1
 * if the session is gone. */
int session_accept(session_store *st, const uint8_t id[CHAN_SESSION_ID_BYTES], uint64_t counter);

/* Forgets one session. */
void session_remove(session_store *st, const uint8_t id[CHAN_SESSION_ID_BYTES]);

/* Ends every session opened with key_id / of principal_id; returns how many. */
size_t session_drop_key(session_store *st, const char *key_id);
size_t session_drop_principal(session_store *st, const char *principal_id);

/* Drops expired sessions (and forgets them per principal); returns how many. */
size_t session_sweep(session_store *st, int64_t now_unix_ms);

size_t session_count(session_store *st);

#endif
