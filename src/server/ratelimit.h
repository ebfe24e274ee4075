/* ratelimit.h - per-peer token buckets that slow down peers whose handshakes keep failing. */
#ifndef BATON_SERVER_RATELIMIT_H
#define BATON_SERVER_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ratelimit ratelimit;

/* Allows per_minute failures per peer (also the burst). NULL if out of
 * memory. Bounded memory: the table holds a fixed number of peers and
 * forgets the stalest when full. */
ratelimit *ratelimit_new(int64_t per_minute);
void ratelimit_free(ratelimit *rl);

/* True if peer still has a token at now_ms (it is not taken). */
bool ratelimit_allows(ratelimit *rl, const char *peer, int64_t now_ms);

/* Takes one token from peer (a failure happened). */
void ratelimit_charge(ratelimit *rl, const char *peer, int64_t now_ms);

#endif
