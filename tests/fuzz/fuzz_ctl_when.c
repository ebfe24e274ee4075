/* fuzz_ctl_when.c - feeds arbitrary text to batonctl's time parser and zone formatter. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1795802400000LL /* 2026-11-27T18:00:00Z */

static void fail(const char *why, const char *in)
{
	fprintf(stderr, "fuzz_ctl_when: invariant violated: %s (input '%s')\n", why, in);
	abort();
}

/*
 * Invariants: the parser answers 0 or -1; on -1 it leaves *out alone and
 * says why (NUL-terminated, quoting nothing past its buffer); on 0 a
 * "now..." input stays within its documented reach of now; the zone
 * formatter never writes past its buffer, whatever the zone name.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *tz_before = getenv("TZ");
	char in[256], why[64], buf[48], tz[128];
	int64_t out = 7;

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	memset(why, 'x', sizeof(why));
	int rc = ctl_parse_when(in, NOW_MS, &out, why, sizeof(why));
	if (rc != 0 && rc != -1)
		fail("result is neither 0 nor -1", in);
	if (rc == -1 && (out != 7 || memchr(why, '\0', sizeof(why)) == NULL))
		fail("a refusal changed the output or left why unterminated", in);
	if (rc == 0 && strncmp(in, "now", 3) == 0 && llabs(out - NOW_MS) > 3660LL * 24 * 3600 * 1000)
		fail("a relative time went past its reach", in);
	(void)ctl_local_day_ok(in);
	(void)ctl_local_hhmm_ok(in);
	if (ctl_time_in_zone(NOW_MS, in, CTL_ZONE_NAMED, buf, sizeof(buf)) == 0 && memchr(buf, '\0', sizeof(buf)) == NULL)
		fail("formatted time unterminated", in);
	snprintf(tz, sizeof(tz), "%s", tz_before ? tz_before : "(unset)");
	if (ctl_time_in_zone(NOW_MS, "Europe/Warsaw", CTL_ZONE_LONG, buf, sizeof(buf)) != 0)
		fail("Europe/Warsaw unknown", in);
	const char *tz_after = getenv("TZ");
	if (strcmp(tz, tz_after ? tz_after : "(unset)") != 0)
		fail("TZ not put back", in);
	return 0;
}
