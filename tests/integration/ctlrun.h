/* ctlrun.h - the real batonctl in tests: run it as a person, check its exit status and output, read its --json lines. */
#ifndef BATON_TESTS_CTLRUN_H
#define BATON_TESTS_CTLRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "fixture.h"
#include "harness.h"

/* batonctl's stdout and stderr of the last run. */
extern char ctlrun_out[256 * 1024], ctlrun_err[16 * 1024];
/* Put before batonctl's path (a command that runs it, like "timeout 4 "), or "". */
extern const char *ctlrun_prefix;

/* Runs batonctl against registry.srv as person (NULL: no key or server
 * flags) with the argument text args (after fmt); returns its exit status. */
int ctlrun(const fixture_person *person, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Asserts that the last run exited with want, printing its output if not. */
#define ctlrun_ran(rc, want)                                                                            \
	do {                                                                                                \
		int ran_rc_ = (rc);                                                                             \
		if (ran_rc_ != (want))                                                                          \
			print_error("exit %d, want %d; stdout: %.2000s\nstderr: %s\n", ran_rc_, (want), ctlrun_out, \
			    ctlrun_err);                                                                            \
		assert_int_equal(ran_rc_, (want));                                                              \
	} while (0)

/* Asserts that where (stdout or stderr of the last run) holds part. */
void ctlrun_said(const char *where, const char *part);
/* Asserts that s is one JSON object per line, every line; returns how many. */
int ctlrun_json_lines(const char *s);
/* The string value of the first "key" in s (up to the end of its line), into v; false if none. */
bool ctlrun_json_str(const char *s, const char *key, char *v, size_t len);
/* The number after the first "key": in s (its line), or -1. */
long long ctlrun_json_int(const char *s, const char *key);
/* Asserts that the first "key" of s's line is the string want. */
void ctlrun_json_str_is(const char *s, const char *key, const char *want);
/* The start of the line of s that holds part (fails the case if none). */
const char *ctlrun_line_of(const char *s, const char *part);
/* The next line after p, or NULL at the end. */
const char *ctlrun_next_line(const char *p);
/* How many times part is in s. */
size_t ctlrun_occurrences(const char *s, const char *part);

#endif
