/* ctl_when.c - times on batonctl's command line, and times shown in a named time zone. */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/ctl.h"

#define MS_PER_MINUTE 60000LL
/* "now+Nd" may reach this far either way; more is surely a typo. */
#define RELATIVE_MAX_MS (3660LL * 24 * 3600 * 1000)

static int fail(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why_len > 0) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Exactly n decimal digits at *p, advancing past them. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* "now", "now+90m", "now-1h", "now+3d". */
static int parse_relative(const char *s, int64_t now_ms, int64_t *out_ms, char *why, size_t why_len)
{
	const char *p = s + 3;
	int64_t amount = 0, unit;
	int sign, ndigits = 0;

	if (*p == '\0') {
		*out_ms = now_ms;
		return 0;
	}
	if (*p != '+' && *p != '-')
		goto bad;
	sign = *p++ == '-' ? -1 : 1;
	for (; isdigit((unsigned char)*p) && ndigits < 9; p++, ndigits++)
		amount = amount * 10 + (*p - '0');
	if (ndigits == 0 || p[0] == '\0' || p[1] != '\0')
		goto bad;
	switch (*p) {
	case 'm':
		unit = MS_PER_MINUTE;
		break;
	case 'h':
		unit = 60 * MS_PER_MINUTE;
		break;
	case 'd':
		unit = 24 * 60 * MS_PER_MINUTE;
		break;
	default:
		goto bad;
	}
	if (amount > RELATIVE_MAX_MS / unit)
		return fail(why, why_len, "'%s' is too far from now (at most 3660 days)", s);
	*out_ms = now_ms + sign * amount * unit;
	return 0;
bad:
	return fail(why, why_len, "'%s' is not a time: after 'now' give +N or -N with m, h or d "
	    "(now+90m, now-1h, now+3d)", s);
}

/* "Z", "+01:00", "-0500", "+01" at *p, the whole rest of the text. */
static bool parse_zone(const char *p, int *offset_s)
{
	int hh, mm = 0, sign;

	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*offset_s = 0;
		return true;
	}
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!take_digits(&p, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (*p != '\0' && !take_digits(&p, 2, &mm))
		return false;
	if (*p != '\0' || hh > 23 || mm > 59)
		return false;
	*offset_s = sign * (hh * 3600 + mm * 60);
	return true;
}

int ctl_parse_when(const char *s, int64_t now_ms, int64_t *out_ms, char *why, size_t why_len)
{
	const char *p = s;
	int year, mon, day, hour, min, sec = 0, ms = 0, offset_s;
	struct tm tm;

	if (strncmp(s, "now", 3) == 0)
		return parse_relative(s, now_ms, out_ms, why, why_len);
	if (!take_digits(&p, 4, &year) || *p++ != '-' || !take_digits(&p, 2, &mon) || *p++ != '-' ||
	    !take_digits(&p, 2, &day))
		return fail(why, why_len, "'%s' is not a time: use now, now+90m, now-1h, now+3d, or "
		    "ISO 8601 like 2026-11-27T18:00Z or 2026-11-27 18:00+01:00", s);
	if (*p == '\0')
		return fail(why, why_len, "'%s' has no time of day: give one and a zone, like %.10sT18:00Z", s, s);
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad_time_of_day;
	p++;
	if (!take_digits(&p, 2, &hour) || *p++ != ':' || !take_digits(&p, 2, &min))
		goto bad_time_of_day;
	if (*p == ':') {
		p++;
		if (!take_digits(&p, 2, &sec))
			return fail(why, why_len, "'%s' is not a time: seconds need two digits", s);
	}
	if (*p == '.') {
		int ndigits = 0;
		for (p++; isdigit((unsigned char)*p); p++, ndigits++)
			if (ndigits < 3)
				ms = ms * 10 + (*p - '0');
		if (ndigits == 0)
			return fail(why, why_len, "'%s' is not a time: a '.' needs digits after it", s);
		for (; ndigits < 3; ndigits++)
			ms *= 10;
	}
	if (*p == '\0')
		return fail(why, why_len, "'%s' has no time zone: add Z for UTC or an offset like +01:00 "
		    "(for wall-clock times in a named zone, slot add takes --on DAY --from HH:MM --to HH:MM "
		    "--tz ZONE)", s);
	if (!parse_zone(p, &offset_s))
		return fail(why, why_len, "'%s' has a bad zone '%s': use Z or an offset like +01:00, -0500", s, p);
	if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59)
		return fail(why, why_len, "'%s' is not a real time (year 1970 on, month 01-12, hour 00-23, "
		    "minute and second 00-59)", s);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	time_t secs = timegm(&tm);
	/* timegm rolls "02-30" over into March; a day that moved is not real. */
	if (tm.tm_mday != day || tm.tm_mon != mon - 1)
		return fail(why, why_len, "'%s' is not a real date", s);
	*out_ms = ((int64_t)secs - offset_s) * 1000 + ms;
	return 0;
bad_time_of_day:
	return fail(why, why_len, "'%s' is not a time: after the day give T or a space and HH:MM "
	    "(2026-11-27T18:00Z)", s);
}

bool ctl_local_day_ok(const char *s)
{
	const char *p = s;
	int year, mon, day;
	struct tm tm;

	if (!take_digits(&p, 4, &year) || *p++ != '-' || !take_digits(&p, 2, &mon) || *p++ != '-' ||
	    !take_digits(&p, 2, &day) || *p != '\0' || year < 1970 || mon < 1 || mon > 12 || day < 1)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = 12;
	(void)timegm(&tm);
	return tm.tm_mday == day && tm.tm_mon == mon - 1;
}

bool ctl_local_hhmm_ok(const char *s)
{
	const char *p = s;
	int hour, min;

	return take_digits(&p, 2, &hour) && *p++ == ':' && take_digits(&p, 2, &min) && *p == '\0' &&
	    hour <= 23 && min <= 59;
}

/* glibc reads zones from $TZDIR, else from here (Debian's tzdata). */
static const char *tz_dir(void)
{
	const char *d = getenv("TZDIR");
	return d != NULL && d[0] != '\0' ? d : "/usr/share/zoneinfo";
}

bool ctl_zone_known(const char *zone)
{
	char path[512], magic[4];
	bool ok = false;
	int fd;

	if (zone == NULL || zone[0] == '\0' || zone[0] == '/' || strstr(zone, "..") != NULL ||
	    strlen(zone) > 128)
		return false;
	for (const char *p = zone; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return false;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", tz_dir(), zone) >= sizeof(path))
		return false;
	/* glibc quietly treats an unknown zone as UTC, so look for the file:
	 * every compiled zone starts with "TZif". */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	ok = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

static void format_tm(const struct tm *tm, ctl_zone_style style, bool utc, char *buf, size_t len)
{
	switch (style) {
	case CTL_ZONE_SHORT:
		strftime(buf, len, "%a %H:%M", tm);
		break;
	case CTL_ZONE_NAMED:
		/* gmtime_r names its zone GMT; say UTC as everywhere else. */
		if (utc)
			strftime(buf, len, "%a %Y-%m-%d %H:%M UTC", tm);
		else
			strftime(buf, len, "%a %Y-%m-%d %H:%M %Z", tm);
		break;
	case CTL_ZONE_LONG:
	default:
		strftime(buf, len, "%a %Y-%m-%d %H:%M", tm);
		break;
	}
}

int ctl_time_in_zone(int64_t unix_ms, const char *zone, ctl_zone_style style, char *buf, size_t len)
{
	time_t secs = (time_t)(unix_ms / 1000);
	const char *old = getenv("TZ");
	char *saved = NULL;
	struct tm tm;

	if (len > 0)
		buf[0] = '\0';
	if (zone == NULL || zone[0] == '\0') {
		gmtime_r(&secs, &tm);
		format_tm(&tm, style, true, buf, len);
		return 0;
	}
	if (!ctl_zone_known(zone))
		return -1;
	if (old != NULL && (saved = strdup(old)) == NULL)
		return -1;
	/* batonctl is single-threaded, so borrowing the process's TZ is safe;
	 * it is put back before returning. */
	if (setenv("TZ", zone, 1) != 0) {
		free(saved);
		return -1;
	}
	tzset();
	localtime_r(&secs, &tm);
	format_tm(&tm, style, false, buf, len);
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	return 0;
}

void ctl_time_iso(int64_t unix_ms, char *buf, size_t len)
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
