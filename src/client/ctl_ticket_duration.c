/* ctl_ticket_duration.c - durations on batonctl's command line (45s, 30m, 2h, 1d) and ages in tables. */
#include <stdio.h>

#include "client/ctl_ticket.h"

int ctl_duration_parse(const char *s, int64_t min_s, int64_t max_s, int64_t *out_s, char *why, size_t why_len)
{
	int64_t v = 0, unit = 1;
	const char *p = s;
	char lo[32], hi[32];

	if (*p < '0' || *p > '9')
		goto bad;
	/* Past 10^12 the value is out of bounds anyway; stop before overflow. */
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > 1000000000000LL)
			goto range;
		v = v * 10 + (*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		unit = 60;
		p++;
		break;
	case 'h':
		unit = 3600;
		p++;
		break;
	case 'd':
		unit = 86400;
		p++;
		break;
	default:
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	v *= unit;
	if (v < min_s || v > max_s)
		goto range;
	*out_s = v;
	return 0;
bad:
	snprintf(why, why_len, "'%s' is not a duration: a whole number with s, m, h or d (45s, 30m, 2h, 1d), "
	    "or plain seconds", s);
	return -1;
range:
	ctl_duration_format(min_s, lo, sizeof(lo));
	ctl_duration_format(max_s, hi, sizeof(hi));
	snprintf(why, why_len, "'%s' is out of range: %s .. %s", s, lo, hi);
	return -1;
}

void ctl_duration_format(int64_t seconds, char *buf, size_t len)
{
	if (seconds != 0 && seconds % 86400 == 0)
		snprintf(buf, len, "%lldd", (long long)(seconds / 86400));
	else if (seconds != 0 && seconds % 3600 == 0)
		snprintf(buf, len, "%lldh", (long long)(seconds / 3600));
	else if (seconds != 0 && seconds % 60 == 0)
		snprintf(buf, len, "%lldm", (long long)(seconds / 60));
	else
		snprintf(buf, len, "%llds", (long long)seconds);
}

void ctl_age_format(int64_t since_ms, int64_t now_ms, char *buf, size_t len)
{
	int64_t s = (now_ms - since_ms) / 1000;

	if (since_ms == 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (s < 0)
		s = 0;
	if (s < 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
}
