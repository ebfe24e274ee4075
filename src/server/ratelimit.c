/* ratelimit.c - a fixed-size open-addressing table of token buckets keyed by peer address. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/ratelimit.h"

#define SLOTS 4096 /* power of two */
#define PROBE 8

typedef struct bucket {
	char    peer[48]; /* "" = free */
	double  tokens;
	int64_t last_ms;
} bucket;

struct ratelimit {
	pthread_mutex_t mtx;
	double          per_ms;
	double          burst;
	bucket          slots[SLOTS];
};

ratelimit *ratelimit_new(int64_t per_minute)
{
	ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	if (pthread_mutex_init(&rl->mtx, NULL) != 0) {
		free(rl);
		return NULL;
	}
	rl->burst = (double)(per_minute > 0 ? per_minute : 1);
	rl->per_ms = rl->burst / 60000.0;
	return rl;
}

void ratelimit_free(ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->mtx);
	free(rl);
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The peer's bucket, refilled to now; a new one (full) if absent. Called
 * with the lock held. */
static bucket *find(ratelimit *rl, const char *peer, int64_t now_ms)
{
	uint32_t h = hash(peer);
	bucket *stalest = NULL;

	for (int i = 0; i < PROBE; i++) {
		bucket *b = &rl->slots[(h + (uint32_t)i) & (SLOTS - 1)];
		if (b->peer[0] != '\0' && strcmp(b->peer, peer) == 0) {
			if (now_ms > b->last_ms) {
				b->tokens += (double)(now_ms - b->last_ms) * rl->per_ms;
				if (b->tokens > rl->burst)
					b->tokens = rl->burst;
				b->last_ms = now_ms;
			}
			return b;
		}
		/* Remember where a new peer would go: the first free slot, else
		 * the one used longest ago. */
		if (stalest == NULL || (stalest->peer[0] != '\0' &&
		                           (b->peer[0] == '\0' || b->last_ms < stalest->last_ms)))
			stalest = b;
	}
	/* Not tracked: take a free slot or forget the stalest peer. */
	strncpy(stalest->peer, peer, sizeof(stalest->peer) - 1);
	stalest->peer[sizeof(stalest->peer) - 1] = '\0';
	stalest->tokens = rl->burst;
	stalest->last_ms = now_ms;
	return stalest;
}

bool ratelimit_allows(ratelimit *rl, const char *peer, int64_t now_ms)
{
	bool ok;

	pthread_mutex_lock(&rl->mtx);
	ok = find(rl, peer, now_ms)->tokens >= 1.0;
	pthread_mutex_unlock(&rl->mtx);
	return ok;
}

void ratelimit_charge(ratelimit *rl, const char *peer, int64_t now_ms)
{
	pthread_mutex_lock(&rl->mtx);
	bucket *b = find(rl, peer, now_ms);
	b->tokens = b->tokens >= 1.0 ? b->tokens - 1.0 : 0.0;
	pthread_mutex_unlock(&rl->mtx);
}
