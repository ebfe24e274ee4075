/* arena.c - bump allocator with block chaining. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/arena.h"

struct arena_block {
	struct arena_block *next;
	size_t              size;
	size_t              used;
	_Alignas(16) unsigned char data[];
};

#define ALIGN 16u

static struct arena_block *block_new(size_t size)
{
	struct arena_block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	if ((b = malloc(sizeof(*b) + size)) == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

static void *pb_alloc(void *data, size_t size)
{
	return arena_alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr; /* released by arena_reset */
}

int arena_init(arena *a, size_t first_size)
{
	memset(a, 0, sizeof(*a));
	if (first_size < 256)
		first_size = 256;
	if ((a->head = block_new(first_size)) == NULL)
		return -1;
	a->first_size = first_size;
	a->allocator.alloc = pb_alloc;
	a->allocator.free = pb_free;
	a->allocator.allocator_data = a;
	return 0;
}

void *arena_alloc(arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t need;

	if (n > SIZE_MAX - ALIGN)
		return NULL;
	need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need == 0)
		need = ALIGN;
	if (b == NULL)
		return NULL;
	if (b->size - b->used < need) {
		size_t size = a->first_size;
		while (size < need) {
			if (size > SIZE_MAX / 2)
				return NULL;
			size *= 2;
		}
		if ((b = block_new(size)) == NULL)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void arena_reset(arena *a)
{
	struct arena_block *b = a->head;

	if (b == NULL)
		return;
	/* Calls leave plaintext and request bodies here: wipe what was used. */
	while (b->next != NULL) {
		struct arena_block *next = b->next;
		sodium_memzero(b->data, b->used);
		free(b);
		b = next;
	}
	sodium_memzero(b->data, b->used);
	b->used = 0;
	a->head = b;
}

void arena_fini(arena *a)
{
	if (a == NULL)
		return;
	struct arena_block *b = a->head;
	while (b != NULL) {
		struct arena_block *next = b->next;
		sodium_memzero(b->data, b->used);
		free(b);
		b = next;
	}
	a->head = NULL;
}

char **arena_split(arena *a, const char *s, size_t *n)
{
	size_t count = s[0] == '\0' ? 0 : 1;
	char **out, *copy, *save = NULL;

	for (const char *p = s; *p; p++)
		count += *p == ',';
	*n = 0;
	if ((out = arena_alloc(a, (count + 1) * sizeof(*out))) == NULL ||
	    (copy = arena_strndup(a, s, strlen(s))) == NULL)
		return NULL;
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
		out[(*n)++] = t;
	return out;
}
