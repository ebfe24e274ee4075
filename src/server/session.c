/* session.c - the live-session table: striped hash map, replay windows, expiry and revocation sweeps. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "server/session.h"

/* Session ids are random, so their first bytes are a good hash. Stripes
 * keep workers that serve different sessions off each other's lock. */
#define STRIPES 64
#define BUCKETS 256
#define PRINCIPAL_BUCKETS 1024

typedef struct session {
	uint8_t         id[CHAN_SESSION_ID_BYTES];
	chan_keys       keys;
	session_caller  caller;
	int64_t         expires_unix_ms;
	chan_window     window;
	struct session *next;
} session;

typedef struct stripe {
	pthread_mutex_t mtx;
	session        *buckets[BUCKETS];
} stripe;

/*
 * The ids of one principal's sessions, oldest first (a ring of
 * per_principal entries). A client that is closed leaves its session
 * until it expires; without a cap one key reconnecting in a loop could
 * fill the table for everyone. With it, a principal's newest sessions
 * push out its oldest. Ids whose session is already gone are harmless
 * and pruned by session_sweep().
 */
typedef struct principal_ring {
	char                   principal_id[40];
	size_t                 head, n;
	struct principal_ring *next;
	uint8_t                ids[][CHAN_SESSION_ID_BYTES];
} principal_ring;

struct session_store {
	size_t          max;
	size_t          per_principal;
	_Atomic size_t  count;
	stripe          stripes[STRIPES];
	pthread_mutex_t principals_mtx; /* taken before any stripe lock */
	principal_ring *principals[PRINCIPAL_BUCKETS];
};

static const char *const role_names[] = { "agent", "manager", "lead", "admin", "integration" };

unsigned session_role_from_str(const char *name)
{
	for (unsigned i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (name != NULL && strcmp(name, role_names[i]) == 0)
			return 1u << i;
	return 0;
}

const char *session_role_str(unsigned role)
{
	for (unsigned i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (role == 1u << i)
			return role_names[i];
	return "?";
}

static uint64_t id_hash(const uint8_t id[CHAN_SESSION_ID_BYTES])
{
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h = (h << 8) | id[i];
	return h;
}

static stripe *stripe_of(session_store *st, const uint8_t *id, session ***bucket)
{
	uint64_t h = id_hash(id);
	stripe *s = &st->stripes[h % STRIPES];
	*bucket = &s->buckets[(h / STRIPES) % BUCKETS];
	return s;
}

static void session_free(session *s)
{
	sodium_memzero(s, sizeof(*s));
	free(s);
}

session_store *session_store_new(size_t max_sessions, size_t per_principal)
{
	session_store *st = calloc(1, sizeof(*st));
	int i;

	if (st == NULL)
		return NULL;
	st->max = max_sessions;
	st->per_principal = per_principal > 0 ? per_principal : 1;
	atomic_init(&st->count, 0);
	if (pthread_mutex_init(&st->principals_mtx, NULL) != 0) {
		free(st);
		return NULL;
	}
	for (i = 0; i < STRIPES; i++) {
		if (pthread_mutex_init(&st->stripes[i].mtx, NULL) != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&st->stripes[i].mtx);
			pthread_mutex_destroy(&st->principals_mtx);
			free(st);
			return NULL;
		}
	}
	return st;
}

/* Removes from every stripe the sessions for which drop(s, arg) says so. */
static size_t remove_where(session_store *st, bool (*drop)(const session *, const void *),
    const void *arg)
{
	size_t n = 0;

	for (int i = 0; i < STRIPES; i++) {
		stripe *sp = &st->stripes[i];
		pthread_mutex_lock(&sp->mtx);
		for (int b = 0; b < BUCKETS; b++) {
			session **pp = &sp->buckets[b];
			while (*pp != NULL) {
				session *s = *pp;
				if (drop(s, arg)) {
					*pp = s->next;
					session_free(s);
					n++;
				} else {
					pp = &s->next;
				}
			}
		}
		pthread_mutex_unlock(&sp->mtx);
	}
	atomic_fetch_sub(&st->count, n);
	return n;
}

static bool always(const session *s, const void *arg)
{
	(void)s;
	(void)arg;
	return true;
}

void session_store_free(session_store *st)
{
	if (st == NULL)
		return;
	remove_where(st, always, NULL);
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&st->stripes[i].mtx);
	for (int b = 0; b < PRINCIPAL_BUCKETS; b++)
		for (principal_ring *r = st->principals[b], *next; r != NULL; r = next) {
			next = r->next;
			free(r);
		}
	pthread_mutex_destroy(&st->principals_mtx);
	free(st);
}

static bool expired(const session *s, const void *arg)
{
	return s->expires_unix_ms <= *(const int64_t *)arg;
}

static bool session_exists(session_store *st, const uint8_t *id);

/* Drops ring entries whose session is gone, and empty rings. */
static void prune_principals(session_store *st)
{
	pthread_mutex_lock(&st->principals_mtx);
	for (int b = 0; b < PRINCIPAL_BUCKETS; b++) {
		principal_ring **pp = &st->principals[b];
		while (*pp != NULL) {
			principal_ring *r = *pp;
			size_t kept = 0;
			for (size_t i = 0; i < r->n; i++) {
				const uint8_t *id = r->ids[(r->head + i) % st->per_principal];
				if (session_exists(st, id))
					memmove(r->ids[(r->head + kept++) % st->per_principal], id, CHAN_SESSION_ID_BYTES);
			}
			r->n = kept;
			if (kept == 0) {
				*pp = r->next;
				free(r);
			} else {
				pp = &r->next;
			}
		}
	}
	pthread_mutex_unlock(&st->principals_mtx);
}

size_t session_sweep(session_store *st, int64_t now_unix_ms)
{
	size_t n = remove_where(st, expired, &now_unix_ms);
	prune_principals(st);
	return n;
}

static bool has_key(const session *s, const void *arg)
{
	return strcmp(s->caller.key_id, arg) == 0;
}

static bool has_principal(const session *s, const void *arg)
{
	return strcmp(s->caller.principal_id, arg) == 0;
}

size_t session_drop_key(session_store *st, const char *key_id)
{
	return remove_where(st, has_key, key_id);
}

size_t session_drop_principal(session_store *st, const char *principal_id)
{
	return remove_where(st, has_principal, principal_id);
}

size_t session_count(session_store *st)
{
	return atomic_load(&st->count);
}

/* Called with the stripe's lock held. */
static session **find(session **bucket, const uint8_t *id);

static bool session_exists(session_store *st, const uint8_t *id)
{
	session **bucket;
	stripe *sp = stripe_of(st, id, &bucket);
	bool found;

	pthread_mutex_lock(&sp->mtx);
	found = find(bucket, id) != NULL;
	pthread_mutex_unlock(&sp->mtx);
	return found;
}

static uint32_t text_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Records id as principal_id's newest session; ends the oldest one when
 * the principal already holds per_principal. 0, or -1 if out of memory. */
static int remember(session_store *st, const char *principal_id, const uint8_t *id)
{
	principal_ring **head = &st->principals[text_hash(principal_id) % PRINCIPAL_BUCKETS], *r;
	uint8_t evicted[CHAN_SESSION_ID_BYTES];
	bool evict = false;

	pthread_mutex_lock(&st->principals_mtx);
	for (r = *head; r != NULL && strcmp(r->principal_id, principal_id) != 0; r = r->next)
		;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r) + st->per_principal * CHAN_SESSION_ID_BYTES)) == NULL) {
			pthread_mutex_unlock(&st->principals_mtx);
			return -1;
		}
		snprintf(r->principal_id, sizeof(r->principal_id), "%s", principal_id);
		r->next = *head;
		*head = r;
	}
	if (r->n == st->per_principal) {
		memcpy(evicted, r->ids[r->head], CHAN_SESSION_ID_BYTES);
		r->head = (r->head + 1) % st->per_principal;
		r->n--;
		evict = true;
	}
	memcpy(r->ids[(r->head + r->n) % st->per_principal], id, CHAN_SESSION_ID_BYTES);
	r->n++;
	if (evict)
		session_remove(st, evicted); /* stripe lock after principals_mtx: the one order */
	pthread_mutex_unlock(&st->principals_mtx);
	return 0;
}

baton_status session_add(session_store *st, const uint8_t id[CHAN_SESSION_ID_BYTES],
    const chan_keys *keys, const session_caller *caller, int64_t expires_unix_ms, status_msg *m)
{
	session **bucket, *s;
	stripe *sp;

	if (atomic_load(&st->count) >= st->max)
		session_sweep(st, clock_realtime_ms()); /* make room from expired ones first */
	if (atomic_fetch_add(&st->count, 1) >= st->max) {
		atomic_fetch_sub(&st->count, 1);
		return status_set(m, BATON_RESOURCE_EXHAUSTED,
		    "this server holds its maximum of %zu sessions; try again later", st->max);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		atomic_fetch_sub(&st->count, 1);
		return status_set(m, BATON_RESOURCE_EXHAUSTED, "out of memory for a session");
	}
	if (remember(st, caller->principal_id, id) != 0) {
		free(s);
		atomic_fetch_sub(&st->count, 1);
		return status_set(m, BATON_RESOURCE_EXHAUSTED, "out of memory for a session");
	}
	memcpy(s->id, id, sizeof(s->id));
	s->keys = *keys;
	s->caller = *caller;
	s->expires_unix_ms = expires_unix_ms;
	chan_window_init(&s->window);
	sp = stripe_of(st, id, &bucket);
	pthread_mutex_lock(&sp->mtx);
	s->next = *bucket;
	*bucket = s;
	pthread_mutex_unlock(&sp->mtx);
	return BATON_OK;
}

/* Called with the stripe's lock held. */
static session **find(session **bucket, const uint8_t *id)
{
	for (session **pp = bucket; *pp != NULL; pp = &(*pp)->next)
		if (memcmp((*pp)->id, id, CHAN_SESSION_ID_BYTES) == 0)
			return pp;
	return NULL;
}

bool session_lookup(session_store *st, const uint8_t id[CHAN_SESSION_ID_BYTES], int64_t now_unix_ms,
    chan_keys *keys, session_caller *caller, int64_t *expires_unix_ms)
{
	session **bucket, **pp, *gone = NULL;
	stripe *sp = stripe_of(st, id, &bucket);
	bool found = false;

	pthread_mutex_lock(&sp->mtx);
	if ((pp = find(bucket, id)) != NULL) {
		session *s = *pp;
		if (s->expires_unix_ms <= now_unix_ms) {
			*pp = s->next;
			gone = s;
		} else {
			*keys = s->keys;
			*caller = s->caller;
			*expires_unix_ms = s->expires_unix_ms;
			found = true;
		}
	}
	pthread_mutex_unlock(&sp->mtx);
	if (gone != NULL) {
		session_free(gone);
		atomic_fetch_sub(&st->count, 1);
	}
	return found;
}

int session_accept(session_store *st, const uint8_t id[CHAN_SESSION_ID_BYTES], uint64_t counter)
{
	session **bucket, **pp;
	stripe *sp = stripe_of(st, id, &bucket);
	int rv = 1;

	pthread_mutex_lock(&sp->mtx);
	if ((pp = find(bucket, id)) != NULL)
		rv = chan_window_accept(&(*pp)->window, counter);
	pthread_mutex_unlock(&sp->mtx);
	return rv;
}

void session_remove(session_store *st, const uint8_t id[CHAN_SESSION_ID_BYTES])
{
	session **bucket, **pp, *gone = NULL;
	stripe *sp = stripe_of(st, id, &bucket);

	pthread_mutex_lock(&sp->mtx);
	if ((pp = find(bucket, id)) != NULL) {
		gone = *pp;
		*pp = gone->next;
	}
	pthread_mutex_unlock(&sp->mtx);
	if (gone != NULL) {
		session_free(gone);
		atomic_fetch_sub(&st->count, 1);
	}
}
