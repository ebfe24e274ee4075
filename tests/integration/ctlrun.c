/* ctlrun.c - the real batonctl in tests: run it as a person, check its exit status and output, read its --json lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctlrun.h"
#include "jsonlines.h"
#include "registry.h"

/* batonctl's output of the last run. */
char ctlrun_out[256 * 1024], ctlrun_err[16 * 1024];
/* Put before batonctl's path (a command that runs it), or "". */
const char *ctlrun_prefix = "";

/* Runs batonctl as person (NULL: no key or server flags) with the argument
 * text args (after fmt); returns its exit status. */
int ctlrun(const fixture_person *person, const char *fmt, ...)
{
	char cmd[4096], args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (person != NULL)
		snprintf(cmd, sizeof(cmd), "%s%s --url %s --key %s --server-key %s.pub %s", ctlrun_prefix,
		    harness_bin("batonctl"), registry.srv.url, person->key_file, registry.srv.key_file, args);
	else
		snprintf(cmd, sizeof(cmd), "%s%s %s", ctlrun_prefix, harness_bin("batonctl"), args);
	return harness_run(cmd, ctlrun_out, sizeof(ctlrun_out), ctlrun_err, sizeof(ctlrun_err));
}

/* Comments on each function are in ctlrun.h. */
void ctlrun_said(const char *where, const char *part)
{
	if (strstr(where, part) == NULL)
		print_error("'%s' is not in:\n%.3000s\n", part, where);
	assert_non_null(strstr(where, part));
}

/* ---- JSON ------------------------------------------------------------------------ */

/* Asserts that s is one JSON object per line, every line; returns how many. */
int ctlrun_json_lines(const char *s)
{
	int n = jsonlines_count(s);

	if (n < 0)
		print_error("not one JSON object per line: %.300s\n", s);
	assert_true(n >= 0);
	return n;
}

/* The string value of the first "key" in s (up to the end of its line), into v; false if none. */
bool ctlrun_json_str(const char *s, const char *key, char *v, size_t len)
{
	const char *eol = strchr(s, '\n'), *p, *e;
	char pat[64];

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(s, pat)) == NULL || (eol != NULL && p > eol))
		return false;
	p += strlen(pat);
	for (e = p; *e != '"' && *e != '\0'; e++)
		if (*e == '\\' && e[1] != '\0')
			e++;
	snprintf(v, len, "%.*s", (int)(e - p), p);
	return true;
}

/* The number after the first "key": in s (its line), or -1. */
long long ctlrun_json_int(const char *s, const char *key)
{
	const char *eol = strchr(s, '\n'), *p;
	char pat[64];

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(s, pat)) == NULL || (eol != NULL && p > eol))
		return -1;
	return strtoll(p + strlen(pat), NULL, 10);
}

void ctlrun_json_str_is(const char *s, const char *key, const char *want)
{
	char got[512];

	if (!ctlrun_json_str(s, key, got, sizeof(got)) || strcmp(got, want) != 0)
		print_error("\"%s\" is not \"%s\" in %.1000s\n", key, want, s);
	assert_true(ctlrun_json_str(s, key, got, sizeof(got)));
	assert_string_equal(got, want);
}

/* The start of the line of s that holds part (fails the case if none). */
const char *ctlrun_line_of(const char *s, const char *part)
{
	const char *p = strstr(s, part);

	if (p == NULL)
		print_error("'%s' is not in:\n%.3000s\n", part, s);
	assert_non_null(p);
	while (p > s && p[-1] != '\n')
		p--;
	return p;
}

/* The next line after p, or NULL at the end. */
const char *ctlrun_next_line(const char *p)
{
	p = strchr(p, '\n');
	return p != NULL && p[1] != '\0' ? p + 1 : NULL;
}

size_t ctlrun_occurrences(const char *s, const char *part)
{
	size_t n = 0;

	for (const char *p = strstr(s, part); p != NULL; p = strstr(p + 1, part))
		n++;
	return n;
}

