/* log.c - formats and writes log lines; one write(2) per line keeps lines whole. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/textbuf.h"
#include "server/log.h"

static log_level  current_level  = LOG_INFO;
static log_format current_format = LOG_FORMAT_TEXT;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_setup(log_level level, log_format format)
{
	current_level = level;
	current_format = format;
}

bool log_enabled(log_level level)
{
	return level <= current_level;
}

static void put_time(textbuf *t)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	textbuf_printf(t, "%s.%03ldZ", stamp, ts.tv_nsec / 1000000);
}

void log_write(log_level level, const char *event, const log_field *fields, int n)
{
	char line[2048];
	textbuf t;
	bool json = current_format == LOG_FORMAT_JSON;

	textbuf_init(&t, line, sizeof(line) - 1); /* keep room for '\n' */
	if (json) {
		textbuf_puts(&t, "{\"ts\":\"");
		put_time(&t);
		textbuf_printf(&t, "\",\"level\":\"%s\",\"event\":", level_names[level]);
		textbuf_json_str(&t, event);
	} else {
		put_time(&t);
		textbuf_printf(&t, " %-5s %s", level_names[level], event);
	}
	for (int i = 0; i < n; i++) {
		const log_field *f = &fields[i];
		if (f->type == LOG_FIELD_STR && f->s == NULL)
			continue; /* optional field left out */
		if (json) {
			textbuf_putc(&t, ',');
			textbuf_json_str(&t, f->key);
			textbuf_putc(&t, ':');
		} else {
			textbuf_printf(&t, " %s=", f->key);
		}
		if (f->type == LOG_FIELD_INT)
			textbuf_printf(&t, "%lld", (long long)f->i);
		else if (json)
			textbuf_json_str(&t, f->s);
		else
			textbuf_logfmt_str(&t, f->s);
	}
	if (json) {
		if (t.truncated) {
			/* Keep JSON valid even when a value was cut short. */
			textbuf_init(&t, line, sizeof(line) - 1);
			textbuf_puts(&t, "{\"ts\":\"");
			put_time(&t);
			textbuf_printf(&t, "\",\"level\":\"%s\",\"event\":", level_names[level]);
			textbuf_json_str(&t, event);
			textbuf_puts(&t, ",\"truncated\":true}");
		} else {
			textbuf_putc(&t, '}');
		}
	}
	line[t.len] = '\n';
	/* A short or failed write of a log line has no better place to go. */
	ssize_t w = write(STDERR_FILENO, line, t.len + 1);
	(void)w;
}
