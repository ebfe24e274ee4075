/* event_bell.c - the LISTEN baton_event thread and the condition variable Watch calls wait on. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "common/clock.h"
#include "server/event_bell.h"
#include "server/log.h"

/* How long one poll() may block: the longest stop waits for the thread. */
#define POLL_SLICE_MS   100
/* Waiters check their stop flag at least this often. */
#define WAIT_SLICE_MS   250
/* Connecting (and LISTEN) gives up after this long. */
#define CONNECT_MS      10000
#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  5000

struct event_bell {
	char           *conninfo; /* may hold a password: never logged */
	PGconn         *pg;       /* the thread's alone */
	pthread_t       thread;
	pthread_mutex_t mtx;      /* guards the fields below */
	pthread_cond_t  cv;       /* CLOCK_MONOTONIC; waiters and the thread's pauses */
	uint64_t        generation;
	bool            listening;
	bool            stopping;
	int             waiters;
};

static bool stopping(event_bell *b)
{
	bool s;

	pthread_mutex_lock(&b->mtx);
	s = b->stopping;
	pthread_mutex_unlock(&b->mtx);
	return s;
}

/* Moves the generation and wakes every waiter; listening as given. */
static void ring(event_bell *b, bool listening)
{
	pthread_mutex_lock(&b->mtx);
	b->generation++;
	b->listening = listening;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mtx);
}

static void set_listening(event_bell *b, bool listening)
{
	pthread_mutex_lock(&b->mtx);
	b->listening = listening;
	pthread_mutex_unlock(&b->mtx);
}

static struct timespec monotonic_at(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };
}

/* Pauses the thread for ms, or less if the bell stops. */
static void pause_ms(event_bell *b, int64_t ms)
{
	struct timespec at = monotonic_at(clock_monotonic_ns() + (uint64_t)ms * 1000000u);

	pthread_mutex_lock(&b->mtx);
	while (!b->stopping && pthread_cond_timedwait(&b->cv, &b->mtx, &at) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&b->mtx);
}

static void first_line(char *dst, size_t len, const char *src)
{
	size_t n = strcspn(src, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Waits up to one slice for events on pg's socket: 1 ready, 0 not yet,
 * -1 on an error (reason filled). */
static int socket_wait(PGconn *pg, short events, char *reason, size_t len)
{
	struct pollfd p = { .fd = PQsocket(pg), .events = events };
	int rv;

	if (p.fd < 0) {
		first_line(reason, len, "the connection has no socket");
		return -1;
	}
	rv = poll(&p, 1, POLL_SLICE_MS);
	if (rv < 0 && errno == EINTR)
		return 0;
	if (rv < 0) {
		first_line(reason, len, strerror(errno));
		return -1;
	}
	return rv > 0;
}

/* Sends LISTEN on a fresh non-blocking connection and waits for its
 * result, giving up at give_up_ns or when the bell stops. */
static bool listen_now(event_bell *b, uint64_t give_up_ns, char *reason, size_t len)
{
	PGresult *res;
	bool ok = true;
	int flushed;

	if (PQsetnonblocking(b->pg, 1) != 0 || PQsendQuery(b->pg, "LISTEN baton_event") != 1) {
		first_line(reason, len, PQerrorMessage(b->pg));
		return false;
	}
	while ((flushed = PQflush(b->pg)) == 1) {
		if (stopping(b) || clock_monotonic_ns() >= give_up_ns) {
			first_line(reason, len, "LISTEN timed out");
			return false;
		}
		if (socket_wait(b->pg, POLLOUT, reason, len) < 0)
			return false;
	}
	if (flushed < 0) {
		first_line(reason, len, PQerrorMessage(b->pg));
		return false;
	}
	while (PQisBusy(b->pg)) {
		int ready;
		if (stopping(b) || clock_monotonic_ns() >= give_up_ns) {
			first_line(reason, len, "LISTEN timed out");
			return false;
		}
		if ((ready = socket_wait(b->pg, POLLIN, reason, len)) < 0)
			return false;
		if (ready && PQconsumeInput(b->pg) != 1) {
			first_line(reason, len, PQerrorMessage(b->pg));
			return false;
		}
	}
	while ((res = PQgetResult(b->pg)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			first_line(reason, len, PQresultErrorMessage(res));
			ok = false;
		}
		PQclear(res);
	}
	return ok;
}

/*
 * Connects without blocking for long (PQconnectStartParams and
 * PQconnectPoll in poll slices), so that stop stays prompt even while the
 * database does not answer, then LISTENs. Our defaults come first, so the
 * configured conninfo (expanded in place of "dbname") overrides them;
 * keepalives notice a peer that vanished without closing.
 */
static bool connect_and_listen(event_bell *b, char *reason, size_t len)
{
	const char *keys[] = { "application_name", "keepalives_idle", "keepalives_interval", "keepalives_count",
		"dbname", NULL };
	const char *vals[] = { "batond-events", "30", "10", "3", b->conninfo, NULL };
	uint64_t give_up = clock_monotonic_ns() + (uint64_t)CONNECT_MS * 1000000u;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	b->pg = PQconnectStartParams(keys, vals, 1);
	if (b->pg == NULL) {
		first_line(reason, len, "out of memory");
		return false;
	}
	if (PQstatus(b->pg) == CONNECTION_BAD) {
		first_line(reason, len, PQerrorMessage(b->pg));
		goto fail;
	}
	/* Before the first PQconnectPoll, behave as if it said WRITING. */
	while (st != PGRES_POLLING_OK) {
		int ready;
		if (st == PGRES_POLLING_FAILED) {
			first_line(reason, len, PQerrorMessage(b->pg));
			goto fail;
		}
		if (stopping(b) || clock_monotonic_ns() >= give_up) {
			first_line(reason, len, "connecting timed out");
			goto fail;
		}
		if ((ready = socket_wait(b->pg, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, reason, len)) < 0)
			goto fail;
		if (ready)
			st = PQconnectPoll(b->pg);
	}
	if (!listen_now(b, give_up, reason, len))
		goto fail;
	return true;
fail:
	PQfinish(b->pg);
	b->pg = NULL;
	return false;
}

/* Reads what arrived; false when the connection is gone (reason filled). */
static bool take_notifications(event_bell *b, char *reason, size_t len)
{
	PGnotify *n;
	int count = 0;
	int ready = socket_wait(b->pg, POLLIN, reason, len);

	if (ready < 0)
		return false;
	if (ready && PQconsumeInput(b->pg) != 1) {
		first_line(reason, len, PQerrorMessage(b->pg));
		return false;
	}
	while ((n = PQnotifies(b->pg)) != NULL) {
		count++;
		PQfreemem(n);
	}
	if (count > 0)
		ring(b, true);
	if (PQstatus(b->pg) != CONNECTION_OK) {
		first_line(reason, len, PQerrorMessage(b->pg));
		return false;
	}
	return true;
}

static void *run(void *arg)
{
	event_bell *b = arg;
	int64_t backoff_ms = BACKOFF_MIN_MS;
	bool ever = false, warned = false;
	char reason[300];

	while (!stopping(b)) {
		if (b->pg == NULL) {
			if (connect_and_listen(b, reason, sizeof(reason))) {
				/* Anything written while we were away: look again. */
				ring(b, true);
				log_info(ever ? "event_listener_reconnected" : "event_listener_started",
				    LOG_S("channel", "baton_event"));
				ever = true;
				warned = false;
				backoff_ms = BACKOFF_MIN_MS;
				continue;
			}
			if (stopping(b))
				break;
			/* One line per outage, not one per attempt. */
			if (!warned)
				log_warn("event_listener_unavailable", LOG_S("reason", reason), LOG_I("retry_ms", backoff_ms));
			warned = true;
			pause_ms(b, backoff_ms);
			backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
			continue;
		}
		if (!take_notifications(b, reason, sizeof(reason))) {
			log_warn("event_listener_lost", LOG_S("reason", reason));
			set_listening(b, false);
			PQfinish(b->pg);
			b->pg = NULL;
		}
	}
	if (b->pg != NULL) {
		PQfinish(b->pg);
		b->pg = NULL;
	}
	set_listening(b, false);
	return NULL;
}

baton_status event_bell_start(event_bell **out, const char *conninfo, status_msg *m)
{
	event_bell *b = calloc(1, sizeof(*b));
	pthread_condattr_t ca;
	int rv;

	*out = NULL;
	if (b == NULL || (b->conninfo = strdup(conninfo)) == NULL) {
		free(b);
		return status_set(m, BATON_INTERNAL, "out of memory");
	}
	if (pthread_mutex_init(&b->mtx, NULL) != 0) {
		status_set(m, BATON_INTERNAL, "pthread_mutex_init failed");
		goto fail_mutex;
	}
	if (pthread_condattr_init(&ca) != 0) {
		status_set(m, BATON_INTERNAL, "pthread_condattr_init failed");
		goto fail_cond;
	}
	rv = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rv == 0)
		rv = pthread_cond_init(&b->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rv != 0) {
		status_set(m, BATON_INTERNAL, "pthread_cond_init failed");
		goto fail_cond;
	}
	if (pthread_create(&b->thread, NULL, run, b) != 0) {
		status_set(m, BATON_INTERNAL, "cannot start the event listener thread");
		pthread_cond_destroy(&b->cv);
		goto fail_cond;
	}
	*out = b;
	return BATON_OK;
fail_cond:
	pthread_mutex_destroy(&b->mtx);
fail_mutex:
	explicit_bzero(b->conninfo, strlen(b->conninfo));
	free(b->conninfo);
	free(b);
	return m->status;
}

void event_bell_stop(event_bell *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mtx);
	b->stopping = true;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mtx);
	pthread_join(b->thread, NULL);
	pthread_mutex_lock(&b->mtx);
	while (b->waiters > 0)
		pthread_cond_wait(&b->cv, &b->mtx);
	pthread_mutex_unlock(&b->mtx);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mtx);
	explicit_bzero(b->conninfo, strlen(b->conninfo));
	free(b->conninfo);
	free(b);
}

uint64_t event_bell_generation(event_bell *b)
{
	uint64_t g;

	if (b == NULL)
		return 0;
	pthread_mutex_lock(&b->mtx);
	g = b->generation;
	pthread_mutex_unlock(&b->mtx);
	return g;
}

bool event_bell_listening(event_bell *b)
{
	bool l;

	if (b == NULL)
		return false;
	pthread_mutex_lock(&b->mtx);
	l = b->listening;
	pthread_mutex_unlock(&b->mtx);
	return l;
}

void event_bell_interrupt(event_bell *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mtx);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mtx);
}

static bool stop_requested(const atomic_bool *stop)
{
	return stop != NULL && atomic_load(stop);
}

/* The earlier of deadline_ns and one wait slice from now. */
static uint64_t slice_end(uint64_t now, uint64_t deadline_ns)
{
	uint64_t slice = now + (uint64_t)WAIT_SLICE_MS * 1000000u;
	return slice < deadline_ns ? slice : deadline_ns;
}

event_bell_wake event_bell_wait(event_bell *b, uint64_t seen, uint64_t deadline_ns, const atomic_bool *stop)
{
	event_bell_wake why;
	uint64_t now;

	if (b == NULL) {
		while (!stop_requested(stop) && (now = clock_monotonic_ns()) < deadline_ns) {
			uint64_t ns = slice_end(now, deadline_ns) - now;
			struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };
			nanosleep(&ts, NULL);
		}
		return stop_requested(stop) ? EVENT_BELL_STOPPED : EVENT_BELL_TIMEOUT;
	}
	pthread_mutex_lock(&b->mtx);
	b->waiters++;
	for (;;) {
		if (b->stopping || stop_requested(stop)) {
			why = EVENT_BELL_STOPPED;
			break;
		}
		if (b->generation != seen) {
			why = EVENT_BELL_RANG;
			break;
		}
		if ((now = clock_monotonic_ns()) >= deadline_ns) {
			why = EVENT_BELL_TIMEOUT;
			break;
		}
		struct timespec at = monotonic_at(slice_end(now, deadline_ns));
		int rv = pthread_cond_timedwait(&b->cv, &b->mtx, &at);
		if (rv != 0 && rv != ETIMEDOUT && rv != EINTR) {
			/* Cannot happen with a valid mutex and time; do not spin. */
			why = EVENT_BELL_TIMEOUT;
			break;
		}
	}
	if (--b->waiters == 0 && b->stopping)
		pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mtx);
	return why;
}
