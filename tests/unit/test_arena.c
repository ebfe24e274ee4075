/* test_arena.c - the per-call bump allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "baton/v1/system.pb-c.h"
#include "common/arena.h"

static void allocations_are_aligned_and_distinct(void **state)
{
	arena a;
	(void)state;
	assert_int_equal(arena_init(&a, 1024), 0);
	char *p = arena_alloc(&a, 3), *q = arena_alloc(&a, 0), *r = arena_alloc(&a, 17);
	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(r);
	assert_int_equal((uintptr_t)p % 16, 0);
	assert_int_equal((uintptr_t)q % 16, 0);
	assert_int_equal((uintptr_t)r % 16, 0);
	assert_true(q >= p + 3 && r >= q + 1);
	arena_fini(&a);
}

static void grows_past_the_first_block_and_resets(void **state)
{
	arena a;
	(void)state;
	assert_int_equal(arena_init(&a, 256), 0);
	char *first = arena_alloc(&a, 16);
	for (int i = 0; i < 100; i++) {
		char *p = arena_alloc(&a, 1000);
		assert_non_null(p);
		memset(p, i, 1000); /* ASan checks the bounds */
	}
	char *big = arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	arena_reset(&a);
	/* The first block is kept and reused from its start. */
	assert_ptr_equal(arena_alloc(&a, 16), first);
	assert_null(arena_alloc(&a, SIZE_MAX - 4));
	arena_fini(&a);
	arena_fini(NULL);
}

static void strndup_copies_and_terminates(void **state)
{
	arena a;
	(void)state;
	assert_int_equal(arena_init(&a, 0), 0);
	char *s = arena_strndup(&a, "hello world", 5);
	assert_string_equal(s, "hello");
	arena_fini(&a);
}

static void split_drops_empty_items(void **state)
{
	arena a;
	size_t n = 99;
	(void)state;
	assert_int_equal(arena_init(&a, 0), 0);
	char **v = arena_split(&a, "pl,,en-GB,", &n);
	assert_non_null(v);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "pl");
	assert_string_equal(v[1], "en-GB");
	v = arena_split(&a, "", &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
	arena_fini(&a);
}

/* protobuf-c unpacks into the arena, and nothing needs freeing. */
static void protobuf_unpacks_into_the_arena(void **state)
{
	Baton__V1__PingRequest req = BATON__V1__PING_REQUEST__INIT;
	uint8_t buf[64];
	arena a;
	(void)state;
	req.payload.data = (uint8_t *)"abc";
	req.payload.len = 3;
	size_t n = baton__v1__ping_request__pack(&req, buf);
	assert_int_equal(arena_init(&a, 256), 0);
	for (int i = 0; i < 1000; i++) {
		Baton__V1__PingRequest *r = baton__v1__ping_request__unpack(arena_protobuf(&a), n, buf);
		assert_non_null(r);
		assert_memory_equal(r->payload.data, "abc", 3);
		arena_reset(&a);
	}
	arena_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allocations_are_aligned_and_distinct),
		cmocka_unit_test(grows_past_the_first_block_and_resets),
		cmocka_unit_test(strndup_copies_and_terminates),
		cmocka_unit_test(split_drops_empty_items),
		cmocka_unit_test(protobuf_unpacks_into_the_arena),
	};
	return cmocka_run_group_tests_name("unit: arena", tests, NULL, NULL);
}
