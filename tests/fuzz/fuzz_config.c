/* fuzz_config.c - feeds arbitrary argv vectors (NUL-separated bytes) to config_load. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 32

extern char **environ;

static FILE *devnull;

static void fail(const char *why, const char *err)
{
	fprintf(stderr, "fuzz_config: invariant violated: %s (err: '%s')\n", why, err);
	abort();
}

/* Runs must not depend on the caller's environment: drop every BATON_*
 * variable, then set only the one config_load needs to succeed. */
static void setup(void)
{
	for (bool again = true; again;) {
		again = false;
		for (char **e = environ; *e != NULL; e++) {
			if (strncmp(*e, "BATON_", 6) != 0)
				continue;
			const char *eq = strchr(*e, '=');
			size_t n = eq != NULL ? (size_t)(eq - *e) : strlen(*e);
			char name[256];
			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			again = true; /* environ changed under us: scan again */
			break;
		}
	}
	unsetenv("POSIXLY_CORRECT"); /* would change how getopt_long permutes */
	setenv("BATON_DATABASE_URL", "postgresql://fuzz@127.0.0.1/fuzz", 1);
	if ((devnull = fopen("/dev/null", "w")) == NULL) {
		perror("fuzz_config: /dev/null");
		abort();
	}
}

static bool string_fits(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_run(const batond_config *cfg, const char *err)
{
	if (!string_fits(cfg->listen, sizeof(cfg->listen)))
		fail("listen is not NUL-terminated", err);
	if (!string_fits(cfg->database_url, sizeof(cfg->database_url)))
		fail("database_url is not NUL-terminated", err);
	if (cfg->database_url[0] == '\0')
		fail("CONFIG_RUN without a database URL", err);
	if (cfg->workers < 1 || cfg->workers > 256)
		fail("workers out of bounds", err);
	if (cfg->max_message_bytes < 4096 || cfg->max_message_bytes > 67108864)
		fail("max_message_bytes out of bounds", err);
	if (cfg->max_call_ms < 100 || cfg->max_call_ms > 600000)
		fail("max_call_ms out of bounds", err);
	if (cfg->drain_ms < 0 || cfg->drain_ms > 60000)
		fail("drain_ms out of bounds", err);
	if (cfg->db_wait_ms < 0 || cfg->db_wait_ms > 600000)
		fail("db_wait_ms out of bounds", err);
	if (cfg->log_level < 0 || cfg->log_level > 3)
		fail("log_level out of range", err);
	if (cfg->log_format < 0 || cfg->log_format > 1)
		fail("log_format out of range", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	char *buf;
	int argc = 0;
	batond_config cfg;
	char err[512];
	config_result r;

	if (devnull == NULL)
		setup();

	/* Arguments are the NUL-separated pieces of data; the last one need not
	 * end in NUL. A private copy, since getopt_long may permute argv. */
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	if (size != 0)
		memcpy(buf, data, size);
	buf[size] = '\0';

	argv[argc++] = "batond";
	for (size_t i = 0; i < size && argc <= MAX_ARGS; argc++) {
		argv[argc] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;

	memset(err, 0, sizeof(err));
	r = config_load(&cfg, argc, argv, devnull, err, sizeof(err));
	if (!string_fits(err, sizeof(err)))
		fail("err is not NUL-terminated", "?");
	switch (r) {
	case CONFIG_RUN:
		check_run(&cfg, err);
		break;
	case CONFIG_EXIT_OK:
		break;
	case CONFIG_ERROR:
		if (err[0] == '\0')
			fail("CONFIG_ERROR with an empty err", err);
		break;
	default:
		fail("config_load returned none of its three results", err);
	}
	free(buf);
	return 0;
}
