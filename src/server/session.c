/* session.c - the live-session table: striped hash map, replay windows, expiry and revocation sweeps. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "server/session.h"

/* Session ids are random, so their first bytes are a good hash. Stripes
 * keep workers that serve different sessions off each other's lock. */
#define STRIPES 64
#define BUCKETS 256

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

struct session_store {
	size_t          max;
	_Atomic size_t  count;
	stripe          stripes[STRIPES];
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

session_store *session_store_new(size_t max_sessions)
{
	session_store *st = calloc(1, sizeof(*st));
	int i;

	if (st == NULL)
		return NULL;
	st->max = max_sessions;
	atomic_init(&st->count, 0);
	for (i = 0; i < STRIPES; i++) {
		if (pthread_mutex_init(&st->stripes[i].mtx, NULL) != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&st->stripes[i].mtx);
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
	free(st);
}

static bool expired(const session *s, const void *arg)
{
	return s->expires_unix_ms <= *(const int64_t *)arg;
}

size_t session_sweep(session_store *st, int64_t now_unix_ms)
{
	return remove_where(st, expired, &now_unix_ms);
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
