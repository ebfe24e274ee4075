/* test_config.c - the config table: defaults, environment, flags, bounds, help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/config.h"
#include "server/log.h"

static const char *const env_names[] = { "BATON_LISTEN", "BATON_DATABASE_URL", "BATON_WORKERS",
	"BATON_MAX_MESSAGE_BYTES", "BATON_MAX_CALL_MS", "BATON_DRAIN_MS", "BATON_DB_WAIT_MS",
	"BATON_LOG_LEVEL", "BATON_LOG_FORMAT", "BATON_METRICS_LISTEN" };

static int clean_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
	return 0;
}

typedef struct load_case {
	const char   *name;
	const char   *env_name, *env_value; /* one variable, or NULL */
	const char   *args[4];              /* after argv[0] */
	config_result want;
	const char   *err_contains; /* with CONFIG_ERROR */
} load_case;

static config_result load(const load_case *c, batond_config *cfg, char *err, size_t errlen)
{
	char *argv[8] = { "batond" };
	int argc = 1;
	FILE *out = fopen("/dev/null", "w");
	for (int i = 0; i < 4 && c->args[i] != NULL; i++)
		argv[argc++] = (char *)c->args[i];
	if (c->env_name != NULL)
		setenv(c->env_name, c->env_value, 1);
	config_result r = config_load(cfg, argc, argv, out, err, errlen);
	fclose(out);
	clean_env(NULL);
	return r;
}

static const load_case cases[] = {
	{ "defaults need a database", NULL, NULL, { NULL }, CONFIG_ERROR, "no database configured" },
	{ "flag gives the database", NULL, NULL, { "--database-url=host=/x" }, CONFIG_RUN, NULL },
	{ "env gives the database", "BATON_DATABASE_URL", "dbname=x", { NULL }, CONFIG_RUN, NULL },
	{ "bad number quotes value", "BATON_WORKERS", "12abc", { "--database-url=x" }, CONFIG_ERROR, "'12abc'" },
	{ "bad number names source", "BATON_WORKERS", "12abc", { "--database-url=x" }, CONFIG_ERROR, "environment BATON_WORKERS" },
	{ "below minimum", NULL, NULL, { "--database-url=x", "--workers=0" }, CONFIG_ERROR, "between 1 and 256" },
	{ "above maximum", NULL, NULL, { "--database-url=x", "--workers", "257" }, CONFIG_ERROR, "'257'" },
	{ "bad enum lists choices", NULL, NULL, { "--database-url=x", "--log-level=loud" }, CONFIG_ERROR, "error|warn|info|debug" },
	{ "unknown flag", NULL, NULL, { "--database-url=x", "--frobnicate" }, CONFIG_ERROR, "unknown option '--frobnicate'" },
	{ "missing value", NULL, NULL, { "--database-url=x", "--workers" }, CONFIG_ERROR, "missing value for option '--workers'" },
	{ "stray argument", NULL, NULL, { "--database-url=x", "extra" }, CONFIG_ERROR, "unexpected argument 'extra'" },
	{ "metrics off", NULL, NULL, { "--database-url=x", "--metrics-listen=off" }, CONFIG_RUN, NULL },
	{ "metrics on IPv6 loopback", "BATON_METRICS_LISTEN", "http://[::1]:9100", { "--database-url=x" }, CONFIG_RUN, NULL },
	{ "metrics on a name", NULL, NULL, { "--database-url=x", "--metrics-listen=http://localhost:9100" }, CONFIG_RUN, NULL },
	{ "metrics need http", NULL, NULL, { "--database-url=x", "--metrics-listen=tcp://127.0.0.1:9100" }, CONFIG_ERROR,
	  "metrics-listen must be off or http://host:port" },
	{ "metrics need a port", "BATON_METRICS_LISTEN", "http://127.0.0.1", { "--database-url=x" }, CONFIG_ERROR,
	  "environment BATON_METRICS_LISTEN: metrics-listen must be" },
	{ "metrics port in range", NULL, NULL, { "--database-url=x", "--metrics-listen=http://127.0.0.1:65536" }, CONFIG_ERROR,
	  "'http://127.0.0.1:65536'" },
	{ "metrics take no path", NULL, NULL, { "--database-url=x", "--metrics-listen=http://127.0.0.1:9100/metrics" },
	  CONFIG_ERROR, "'http://127.0.0.1:9100/metrics'" },
	{ "metrics take no user", NULL, NULL, { "--database-url=x", "--metrics-listen=http://u@127.0.0.1:9100" },
	  CONFIG_ERROR, "metrics-listen must be" },
	{ "help", NULL, NULL, { "--help" }, CONFIG_EXIT_OK, NULL },
	{ "version", NULL, NULL, { "--version" }, CONFIG_EXIT_OK, NULL },
	{ "huge string refused", "BATON_LISTEN",
	  "tcp://xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx:1",
	  { "--database-url=x" }, CONFIG_ERROR, "too long" },
};

static void case_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		batond_config cfg;
		char err[512] = "";
		config_result r = load(&cases[i], &cfg, err, sizeof(err));
		if (r != cases[i].want || (cases[i].err_contains && strstr(err, cases[i].err_contains) == NULL))
			fail_msg("case '%s': result %d, error '%s'", cases[i].name, r, err);
	}
}

static void defaults_then_env_then_flag(void **state)
{
	char *argv[] = { "batond", "--database-url=x", "--workers=3", NULL };
	batond_config cfg;
	char err[256];
	FILE *out = fopen("/dev/null", "w");
	(void)state;

	assert_int_equal(config_load(&cfg, 2, argv, out, err, sizeof(err)), CONFIG_RUN);
	assert_string_equal(cfg.listen, "tcp://127.0.0.1:7400");
	assert_string_equal(cfg.metrics_listen, "http://127.0.0.1:7480"); /* loopback unless told */
	assert_int_equal(cfg.workers, 8);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_int_equal(cfg.log_format, LOG_FORMAT_TEXT);

	setenv("BATON_WORKERS", "5", 1);
	setenv("BATON_LOG_FORMAT", "json", 1);
	assert_int_equal(config_load(&cfg, 2, argv, out, err, sizeof(err)), CONFIG_RUN);
	assert_int_equal(cfg.workers, 5);
	assert_int_equal(cfg.log_format, LOG_FORMAT_JSON);

	assert_int_equal(config_load(&cfg, 3, argv, out, err, sizeof(err)), CONFIG_RUN);
	assert_int_equal(cfg.workers, 3); /* the flag wins */
	fclose(out);
	clean_env(NULL);
}

/* --help is printed from the table: every variable and bound appears. */
static void help_lists_every_option(void **state)
{
	char buf[8192] = "";
	FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");
	(void)state;
	config_usage(out);
	fclose(out);
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		assert_non_null(strstr(buf, env_names[i]));
	assert_non_null(strstr(buf, "--max-message-bytes=bytes"));
	assert_non_null(strstr(buf, "4096..67108864"));
	assert_non_null(strstr(buf, "--log-format=text|json"));
}

/* docs/operations.md holds exactly what the table generates. */
static void reference_doc_matches_the_table(void **state)
{
	static char doc[65536], table[16384];
	FILE *f = fopen("docs/operations.md", "r");
	(void)state;
	assert_non_null(f);
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	doc[n] = '\0';
	fclose(f);
	FILE *out = fmemopen(table, sizeof(table) - 1, "w");
	config_markdown(out);
	fclose(out);
	if (strstr(doc, table) == NULL)
		fail_msg("docs/operations.md is out of date: regenerate its table with "
		         "`build/batond --config-reference`");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(case_table, clean_env),
		cmocka_unit_test_setup(defaults_then_env_then_flag, clean_env),
		cmocka_unit_test(help_lists_every_option),
		cmocka_unit_test(reference_doc_matches_the_table),
	};
	return cmocka_run_group_tests_name("unit: config", tests, NULL, NULL);
}
