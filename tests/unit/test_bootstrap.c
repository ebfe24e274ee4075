/* test_bootstrap.c - several batonds creating the server key at the same moment agree on one key. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include <baton/keys.h>

#include "server/bootstrap.h"

enum { RACERS = 12, ROUNDS = 20 };

typedef struct fixture {
	char dir[128];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/baton-bootstrap-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Entries in dir other than . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/*
 * Each child waits on a pipe so they all start together, runs the bootstrap
 * and writes back: status, created flag, public key.
 */
static void racing_starts_agree_on_one_key(void **state)
{
	fixture *f = *state;

	for (int round = 0; round < ROUNDS; round++) {
		char sub[200], path[260];
		int go[2], back[2];
		pid_t pid[RACERS];
		uint8_t first[BATON_PUBLIC_KEY_BYTES];
		int created = 0;

		snprintf(sub, sizeof(sub), "%s/r%d", f->dir, round);
		snprintf(path, sizeof(path), "%s/var/batond.key", sub); /* var/ does not exist yet either */
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(back), 0);
		for (int i = 0; i < RACERS; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				char c;
				baton_key key;
				bool made = false;
				status_msg m = { 0 };
				uint8_t out[2 + BATON_PUBLIC_KEY_BYTES] = { 0 };
				close(go[1]);
				if (read(go[0], &c, 1) != 0)
					_exit(3);
				baton_status s = bootstrap_server_key(path, &key, &made, &m);
				out[0] = (uint8_t)s;
				out[1] = made;
				if (s == BATON_OK)
					memcpy(out + 2, key.public_key, BATON_PUBLIC_KEY_BYTES);
				else
					fprintf(stderr, "bootstrap: %s\n", m.text);
				_exit(write(back[1], out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 4);
			}
		}
		close(go[0]);
		close(back[1]);
		close(go[1]); /* EOF on go releases every child at once */
		for (int i = 0; i < RACERS; i++) {
			uint8_t in[2 + BATON_PUBLIC_KEY_BYTES];
			assert_int_equal(read(back[0], in, sizeof(in)), (ssize_t)sizeof(in));
			assert_int_equal(in[0], BATON_OK);
			created += in[1];
			if (i == 0)
				memcpy(first, in + 2, sizeof(first));
			else
				assert_memory_equal(in + 2, first, sizeof(first));
		}
		close(back[0]);
		for (int i = 0; i < RACERS; i++) {
			int st;
			assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
			assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		assert_int_equal(created, 1);

		/* The files on disk are that key, and no temporary file is left. */
		baton_key key;
		uint8_t pub[BATON_PUBLIC_KEY_BYTES];
		char why[300], pub_path[280], var[220];
		assert_int_equal(baton_key_file_read(path, &key, why, sizeof(why)), BATON_OK);
		assert_memory_equal(key.public_key, first, sizeof(first));
		baton_key_wipe(&key);
		snprintf(pub_path, sizeof(pub_path), "%s.pub", path);
		assert_int_equal(baton_public_key_load(pub_path, pub, why, sizeof(why)), BATON_OK);
		assert_memory_equal(pub, first, sizeof(first));
		snprintf(var, sizeof(var), "%s/var", sub);
		assert_int_equal(entries(var), 2);
	}
}

static void public_file_is_rewritten_or_checked(void **state)
{
	fixture *f = *state;
	char path[200], pub_path[220], why[300];
	baton_key key, other;
	bool made;
	status_msg m = { 0 };
	uint8_t pub[BATON_PUBLIC_KEY_BYTES];

	snprintf(path, sizeof(path), "%s/own.key", f->dir);
	snprintf(pub_path, sizeof(pub_path), "%s.pub", path);
	assert_int_equal(bootstrap_server_key(path, &key, &made, &m), BATON_OK);
	assert_true(made);

	/* A lost .pub is written again from the key. */
	assert_int_equal(unlink(pub_path), 0);
	assert_int_equal(bootstrap_server_key(path, &key, &made, &m), BATON_OK);
	assert_false(made);
	assert_int_equal(baton_public_key_load(pub_path, pub, why, sizeof(why)), BATON_OK);
	assert_memory_equal(pub, key.public_key, sizeof(pub));

	/* A .pub of another key would make clients pin the wrong server: refused, by name. */
	assert_int_equal(baton_key_generate(&other), BATON_OK);
	assert_int_equal(unlink(pub_path), 0);
	assert_int_equal(baton_public_key_file_write(pub_path, other.public_key, why, sizeof(why)), BATON_OK);
	assert_int_equal(bootstrap_server_key(path, &key, &made, &m), BATON_FAILED_PRECONDITION);
	assert_non_null(strstr(m.text, pub_path));
	baton_key_wipe(&key);
	baton_key_wipe(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(racing_starts_agree_on_one_key),
		cmocka_unit_test(public_file_is_rewritten_or_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
