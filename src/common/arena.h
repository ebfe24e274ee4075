/* arena.h - a bump allocator reset once per call, also usable by protobuf-c. */
#ifndef BATON_COMMON_ARENA_H
#define BATON_COMMON_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct arena_block;

/*
 * A worker owns one arena. Everything a call allocates (unpacked messages,
 * reply fields, buffers) comes from it and is released at once by
 * arena_reset() after the reply is sent, so a call does no malloc/free in
 * the common case: the first block is kept across resets; larger calls add
 * blocks that the reset frees.
 */
typedef struct arena {
	struct arena_block *head;  /* current block; the first block is last */
	size_t              first_size;
	ProtobufCAllocator  allocator; /* allocator_data points to the arena */
} arena;

/* Prepares a with a first block of first_size bytes. Returns 0, or -1 if
 * out of memory. */
int arena_init(arena *a, size_t first_size) __attribute__((warn_unused_result));

/* n bytes, 16-byte aligned, valid until the next reset; NULL if out of
 * memory. n == 0 returns a valid non-NULL pointer. */
void *arena_alloc(arena *a, size_t n) __attribute__((warn_unused_result));

/* A copy of s[0..n) plus a NUL, or NULL if out of memory. */
char *arena_strndup(arena *a, const char *s, size_t n);

/* "a,b" split at commas into an array of copies (empty items dropped);
 * *n is the count. NULL if out of memory. */
char **arena_split(arena *a, const char *s, size_t *n);

/* Releases everything allocated since init or the last reset, wiping it
 * first (plaintext of sealed calls lives here). */
void arena_reset(arena *a);

/* Frees all memory; a may be NULL or never initialised (zeroed). */
void arena_fini(arena *a);

/* protobuf-c allocator backed by a (its free does nothing). */
static inline ProtobufCAllocator *arena_protobuf(arena *a)
{
	return &a->allocator;
}

#endif
