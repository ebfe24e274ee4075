/* baton_bench.c - `make bench`: a raw nng rep0 echo server and a load client (raw echo; plain, health, sealed Ping and handshakes via libbaton); the tickets modes are in bench_tickets.c, the reports mode in bench_reports.c. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include <baton/client.h>

#include "common/clock.h"
#include "bench.h"

/* nng 1.5.2's nng_close() can block for good once a connection was lost
 * while calls were in flight (nanomsg/nng#1543, #1813); shutdown gets
 * this long before the process exits without finishing it. */
#define SHUTDOWN_GRACE_S 5

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

/* How long the client keeps trying to reach the echo server. */
#define DIAL_ATTEMPTS 50
#define DIAL_PAUSE_MS 100

static const char usage[] =
    "Usage:\n"
    "  baton_bench echo-server -u URL [-n CONTEXTS] [-t MAX_SECONDS]\n"
    "  baton_bench client -m MODE -u URL [-c IN_FLIGHT] [-d SECONDS] [-s BYTES] [-w WARMUP_SECONDS]\n"
    "                     [-k KEY_FILE -p SERVER_KEY]\n"
    "\n"
    "echo-server: a raw nng rep0 echo, CONTEXTS callback-driven contexts (default 8,\n"
    "  1..1024); exits on SIGTERM/SIGINT or after MAX_SECONDS (default 300, 1..86400).\n"
    "client: IN_FLIGHT threads (default 32, 1..1024), each with one call in flight, for\n"
    "  WARMUP_SECONDS (default 1, 0..60) and then SECONDS (default 5, 0.1..600), with a\n"
    "  BYTES payload (default 128, 0..1048576). MODE is one of:\n"
    "  raw:       one nng req0 socket, one nng context per thread, echoed by echo-server.\n"
    "  plain:     one baton_client opened without a key; each thread sends an unsealed\n"
    "             Ping (baton_ping), which batond must refuse with UNAUTHENTICATED (\"needs\n"
    "             a session\"): the RPC layer's round trip without the secure channel.\n"
    "             Any other answer is a failed call.\n"
    "  health:    one baton_client without a key; baton_health_check() (unsealed; batond\n"
    "             runs SELECT 1 on the worker's PostgreSQL connection); must be SERVING.\n"
    "  secure:    one baton_client opened with KEY_FILE and the pinned SERVER_KEY (a .pub\n"
    "             file or ed25519:... text); one session, opened before the clock starts;\n"
    "             each thread calls baton_ping(), sealed both ways, and checks the echo.\n"
    "  handshake: each thread loops: baton_client_open() with the key (a new connection),\n"
    "             baton_session_open() (one handshake), baton_client_close(). Rates count\n"
    "             handshakes; p50/p99 are baton_session_open() alone, cycle_* the whole loop.\n"
    "  Prints `name: value` lines (requests_per_s, p50_us, p99_us, errors, ...).\n"
    "  Latencies count only calls started after the warm-up. A run that has not ended\n"
    "  WARMUP + SECONDS + 60 s after it started exits with status 1. Exit 0 if no call\n"
    "  failed, 1 if any failed or the run could not be set up, 2 on bad usage.\n";

int bench_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("baton_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nsee baton_bench --help\n", stderr);
	return BENCH_EXIT_USAGE;
}

void bench_error_note(uint64_t *errors, char *first, size_t len, const char *fmt, ...)
{
	va_list ap;

	(*errors)++;
	if (first[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(first, len, fmt, ap);
	va_end(ap);
}

bool bench_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool bench_parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

/* What a SIGALRM backstop writes before it ends the process. */
static void overdue_exit(const char *msg, size_t len)
{
	if (write(STDERR_FILENO, msg, len) < 0) {
		/* nothing more can be done from a signal handler */
	}
	_exit(1);
}

static void shutdown_overdue(int sig)
{
	static const char msg[] = "baton_bench: nng_close did not return within "
	    STRINGIFY(SHUTDOWN_GRACE_S) " s (nng 1.5 close deadlock); exiting without it\n";

	(void)sig;
	overdue_exit(msg, sizeof(msg) - 1);
}

static void run_overdue(int sig)
{
	static const char msg[] = "baton_bench: the run did not end within warm-up + duration + "
	    STRINGIFY(BENCH_RUN_GRACE_S) " s (a call, dial or close hung); exiting\n";

	(void)sig;
	overdue_exit(msg, sizeof(msg) - 1);
}

/* Arms a SIGALRM backstop: handler ends the process after seconds. A later
 * call replaces the earlier one. */
static void backstop_arm(void (*handler)(int), unsigned seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGALRM, &sa, NULL) != 0) {
		fprintf(stderr, "baton_bench: cannot install the backstop: %s\n", strerror(errno));
		return;
	}
	alarm(seconds);
}

void bench_shutdown_bound(void)
{
	backstop_arm(shutdown_overdue, SHUTDOWN_GRACE_S);
}

void bench_run_bound(unsigned seconds)
{
	backstop_arm(run_overdue, seconds);
}

/* ---- echo server ------------------------------------------------------------ */

/* One rep0 context echoing requests: the aio callback is the state machine. */
typedef struct echo_context {
	enum { ECHO_RECEIVING, ECHO_SENDING } state;
	nng_aio *aio;
	nng_ctx  ctx;
} echo_context;

static void echo_receive(echo_context *e)
{
	e->state = ECHO_RECEIVING;
	nng_ctx_recv(e->ctx, e->aio);
}

static void echo_callback(void *arg)
{
	echo_context *e = arg;
	int rv = nng_aio_result(e->aio);

	switch (e->state) {
	case ECHO_RECEIVING:
		if (rv != 0) {
			/* Closed or cancelled at shutdown; anything else stops
			 * this context rather than spin on a repeating error. */
			if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
				fprintf(stderr, "baton_bench: echo receive failed: %s; context stopped\n",
				    nng_strerror(rv));
			return;
		}
		/* The request message goes straight back as the reply. */
		nng_aio_set_msg(e->aio, nng_aio_get_msg(e->aio));
		e->state = ECHO_SENDING;
		nng_ctx_send(e->ctx, e->aio);
		break;
	case ECHO_SENDING:
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(e->aio));
			if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
				return;
			fprintf(stderr, "baton_bench: echo send failed: %s\n", nng_strerror(rv));
		}
		echo_receive(e);
		break;
	}
}

/* Waits up to max_s seconds for SIGTERM or SIGINT (blocked in set). */
static void echo_wait_for_stop(const sigset_t *set, long max_s)
{
	uint64_t end = clock_monotonic_ns() + (uint64_t)max_s * 1000000000u;

	for (;;) {
		uint64_t now = clock_monotonic_ns();
		if (now >= end)
			return;
		uint64_t left = end - now;
		struct timespec ts = { .tv_sec = (time_t)(left / 1000000000u),
			               .tv_nsec = (long)(left % 1000000000u) };
		if (sigtimedwait(set, NULL, &ts) >= 0)
			return; /* a stop signal */
		if (errno != EINTR && errno != EAGAIN) {
			fprintf(stderr, "baton_bench: sigtimedwait: %s\n", strerror(errno));
			return;
		}
	}
}

static int echo_server_main(int argc, char **argv)
{
	const char *url = NULL;
	long n_contexts = 8, max_s = 300;
	echo_context *contexts = NULL;
	nng_socket sock;
	bool sock_open = false;
	sigset_t stop_signals;
	int opt, rv, status = 1;
	long opened = 0;

	while ((opt = getopt(argc, argv, "u:n:t:")) != -1) {
		switch (opt) {
		case 'u':
			url = optarg;
			break;
		case 'n':
			if (!bench_parse_long(optarg, 1, 1024, &n_contexts))
				return bench_usage_error("-n must be 1..1024, not '%s'", optarg);
			break;
		case 't':
			if (!bench_parse_long(optarg, 1, 86400, &max_s))
				return bench_usage_error("-t must be 1..86400 seconds, not '%s'", optarg);
			break;
		default:
			return bench_usage_error("echo-server: unknown or incomplete option");
		}
	}
	if (optind < argc)
		return bench_usage_error("echo-server: unexpected argument '%s'", argv[optind]);
	if (url == NULL)
		return bench_usage_error("echo-server: -u URL is required");

	/* Block the stop signals before nng starts its threads, so that only
	 * sigtimedwait() below sees them. */
	if (sigemptyset(&stop_signals) != 0 || sigaddset(&stop_signals, SIGTERM) != 0 ||
	    sigaddset(&stop_signals, SIGINT) != 0 ||
	    (rv = pthread_sigmask(SIG_BLOCK, &stop_signals, NULL)) != 0) {
		fprintf(stderr, "baton_bench: cannot block SIGTERM/SIGINT\n");
		return 1;
	}
	if ((contexts = calloc((size_t)n_contexts, sizeof(*contexts))) == NULL) {
		fprintf(stderr, "baton_bench: out of memory\n");
		return 1;
	}
	if ((rv = nng_rep0_open(&sock)) != 0) {
		fprintf(stderr, "baton_bench: nng_rep0_open: %s\n", nng_strerror(rv));
		goto out;
	}
	sock_open = true;
	for (; opened < n_contexts; opened++) {
		echo_context *e = &contexts[opened];
		if ((rv = nng_aio_alloc(&e->aio, echo_callback, e)) != 0) {
			fprintf(stderr, "baton_bench: nng_aio_alloc: %s\n", nng_strerror(rv));
			goto out;
		}
		if ((rv = nng_ctx_open(&e->ctx, sock)) != 0) {
			fprintf(stderr, "baton_bench: nng_ctx_open: %s\n", nng_strerror(rv));
			opened++; /* its aio is allocated: free it below */
			goto out;
		}
	}
	if ((rv = nng_listen(sock, url, NULL, 0)) != 0) {
		fprintf(stderr, "baton_bench: cannot listen on %s: %s\n", url, nng_strerror(rv));
		goto out;
	}
	for (long i = 0; i < n_contexts; i++)
		echo_receive(&contexts[i]);
	/* run.sh waits for this line to know the port is ours. */
	printf("listening %s contexts %ld max_seconds %ld\n", url, n_contexts, max_s);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "baton_bench: cannot write to stdout\n");
		goto out;
	}
	echo_wait_for_stop(&stop_signals, max_s);
	status = 0;
out:
	/* Closing the socket closes its contexts; their callbacks see
	 * NNG_ECLOSED and stop. nng_aio_free waits for a running callback. */
	bench_shutdown_bound();
	if (sock_open && (rv = nng_close(sock)) != 0)
		fprintf(stderr, "baton_bench: nng_close: %s\n", nng_strerror(rv));
	for (long i = 0; i < opened; i++)
		nng_aio_free(contexts[i].aio);
	free(contexts);
	nng_fini();
	return status;
}

/* ---- load client ------------------------------------------------------------ */

typedef enum { MODE_RAW, MODE_PLAIN, MODE_HEALTH, MODE_SECURE, MODE_HANDSHAKE } client_mode;

static const char *const mode_names[] = { "raw", "plain", "health", "secure", "handshake" };

#define N_MODES (sizeof(mode_names) / sizeof(mode_names[0]))

/* One client thread: one call (or handshake cycle) in flight at a time. */
typedef struct load_thread {
	client_mode   mode;
	nng_socket    sock;   /* raw: the shared req0 socket */
	baton_client *client; /* plain, health, secure: the shared libbaton client */
	const char   *url;    /* handshake: each cycle opens its own client */
	const baton_client_options *secure_opts; /* handshake: key and pinned server key */
	size_t        size;
	uint8_t      *payload;
	uint64_t      t_record; /* record calls started at or after this */
	uint64_t      t_end;    /* start no call at or after this */
	bench_samples latency;  /* per call; handshake: baton_session_open alone */
	bench_samples cycle;    /* handshake: open + handshake + close */
	uint64_t      calls, errors;
	char          first_error[256];
	char          failure[256]; /* set if the thread could not run */
	pthread_t     thread;
} load_thread;

/* One more failure of t; the first one's text is kept. */
#define note_error(t, ...) bench_error_note(&(t)->errors, (t)->first_error, sizeof((t)->first_error), __VA_ARGS__)

bool bench_samples_add(bench_samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 65536;
		uint64_t *v = realloc(s->ns, cap * sizeof(*v));
		if (v == NULL)
			return false;
		s->ns = v;
		s->cap = cap;
	}
	s->ns[s->n++] = ns;
	return true;
}

static bool echo_matches(const load_thread *t, const void *data, size_t len)
{
	return len == t->size && (len == 0 || memcmp(data, t->payload, len) == 0);
}

/* Sends one request on ctx and waits for its echo; false on failure. */
static bool raw_call(load_thread *t, nng_ctx ctx, nng_aio *aio)
{
	nng_msg *msg;
	int rv;
	bool ok;

	if ((rv = nng_msg_alloc(&msg, t->size)) != 0) {
		note_error(t, "nng_msg_alloc: %s", nng_strerror(rv));
		return false;
	}
	if (t->size > 0)
		memcpy(nng_msg_body(msg), t->payload, t->size);
	nng_aio_set_msg(aio, msg);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(aio));
		note_error(t, "send: %s", nng_strerror(rv));
		return false;
	}
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		note_error(t, "receive: %s", nng_strerror(rv));
		return false;
	}
	msg = nng_aio_get_msg(aio);
	ok = echo_matches(t, nng_msg_body(msg), nng_msg_len(msg));
	nng_msg_free(msg);
	if (!ok)
		note_error(t, "the echo differs from the request");
	return ok;
}

/* An unsealed Ping: the expected answer is batond's refusal. */
static bool plain_call(load_thread *t)
{
	baton_result res;
	baton_status s = baton_ping(t->client, t->payload, t->size, BENCH_CALL_TIMEOUT_MS, &res);
	bool ok = s == BATON_UNAUTHENTICATED && strstr(res.message, "needs a session") != NULL;

	if (!ok)
		note_error(t, "unsealed baton_ping: expected UNAUTHENTICATED (needs a session), got %s: %s",
		    baton_status_str(s), res.message);
	baton_result_clear(&res);
	return ok;
}

static bool health_call(load_thread *t)
{
	baton_serving serving = BATON_SERVING_UNKNOWN;
	baton_result res;
	baton_status s = baton_health_check(t->client, NULL, BENCH_CALL_TIMEOUT_MS, &serving, &res);
	bool ok = s == BATON_OK && serving == BATON_SERVING;

	if (s != BATON_OK)
		note_error(t, "baton_health_check: %s: %s", baton_status_str(s), res.message);
	else if (!ok)
		note_error(t, "baton_health_check: %s, not SERVING", baton_serving_str(serving));
	baton_result_clear(&res);
	return ok;
}

/* A Ping sealed in the client's session. */
static bool secure_call(load_thread *t)
{
	baton_result res;
	baton_status s = baton_ping(t->client, t->payload, t->size, BENCH_CALL_TIMEOUT_MS, &res);
	bool ok = s == BATON_OK && echo_matches(t, res.payload, res.payload_len);

	if (s != BATON_OK)
		note_error(t, "baton_ping: %s: %s", baton_status_str(s), res.message);
	else if (!ok)
		note_error(t, "baton_ping: the echo differs from the request");
	baton_result_clear(&res);
	return ok;
}

/* A new client (one connection), one handshake, close. Stores the time of
 * baton_session_open alone in *handshake_ns. */
static bool handshake_cycle(load_thread *t, uint64_t *handshake_ns)
{
	baton_client *client = NULL;
	baton_session_stats stats;
	baton_result res;
	baton_status s;
	bool ok = false;
	uint64_t t0;

	*handshake_ns = 0;
	if (baton_client_open(&client, t->url, t->secure_opts, &res) != BATON_OK) {
		note_error(t, "baton_client_open: %s: %s", baton_status_str(res.status), res.message);
		goto out;
	}
	t0 = clock_monotonic_ns();
	s = baton_session_open(client, BENCH_CALL_TIMEOUT_MS, &res);
	*handshake_ns = clock_monotonic_ns() - t0;
	if (s != BATON_OK) {
		note_error(t, "baton_session_open: %s: %s", baton_status_str(s), res.message);
		goto out;
	}
	baton_session_stats_get(client, &stats);
	if (stats.handshakes != 1) {
		note_error(t, "baton_session_open made %llu handshakes, not 1",
		    (unsigned long long)stats.handshakes);
		goto out;
	}
	ok = true;
out:
	baton_result_clear(&res);
	baton_client_close(client);
	return ok;
}

static void *load_thread_main(void *arg)
{
	load_thread *t = arg;
	nng_ctx ctx = NNG_CTX_INITIALIZER;
	nng_aio *aio = NULL;
	bool ctx_open = false;
	uint64_t t0;
	int rv;

	if (t->mode == MODE_RAW) {
		if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0 ||
		    (rv = nng_ctx_open(&ctx, t->sock)) != 0) {
			snprintf(t->failure, sizeof(t->failure), "cannot set up a context: %s",
			    nng_strerror(rv));
			goto out;
		}
		ctx_open = true;
		nng_aio_set_timeout(aio, BENCH_CALL_TIMEOUT_MS);
	}
	/* Bounded: no call starts at or after t_end, and each call's waits
	 * are bounded by BENCH_CALL_TIMEOUT_MS (the rest by the run's backstop). */
	while ((t0 = clock_monotonic_ns()) < t->t_end) {
		uint64_t handshake_ns = 0;
		bool ok;

		switch (t->mode) {
		case MODE_RAW:       ok = raw_call(t, ctx, aio); break;
		case MODE_PLAIN:     ok = plain_call(t); break;
		case MODE_HEALTH:    ok = health_call(t); break;
		case MODE_SECURE:    ok = secure_call(t); break;
		case MODE_HANDSHAKE: ok = handshake_cycle(t, &handshake_ns); break;
		default:             ok = false; break;
		}
		uint64_t t1 = clock_monotonic_ns();

		t->calls++;
		if (!ok || t0 < t->t_record)
			continue;
		if (t->mode == MODE_HANDSHAKE) {
			if (!bench_samples_add(&t->latency, handshake_ns) || !bench_samples_add(&t->cycle, t1 - t0)) {
				snprintf(t->failure, sizeof(t->failure), "out of memory for latency samples");
				break;
			}
		} else if (!bench_samples_add(&t->latency, t1 - t0)) {
			snprintf(t->failure, sizeof(t->failure), "out of memory for latency samples");
			break;
		}
	}
out:
	if (ctx_open && (rv = nng_ctx_close(ctx)) != 0 && rv != NNG_ECLOSED)
		fprintf(stderr, "baton_bench: nng_ctx_close: %s\n", nng_strerror(rv));
	nng_aio_free(aio);
	return NULL;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n), in microseconds. */
static double percentile_us(const uint64_t *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p * (double)n);
	if ((double)rank < p * (double)n)
		rank++; /* ceil */
	if (rank == 0)
		rank = 1;
	return (double)v[(rank > n ? n : rank) - 1] / 1e3;
}

/* Opens the raw req0 socket and dials url, retrying while the server starts. */
static int raw_socket_open(nng_socket *sock, const char *url)
{
	int rv;

	if ((rv = nng_req0_open(sock)) != 0) {
		fprintf(stderr, "baton_bench: nng_req0_open: %s\n", nng_strerror(rv));
		return rv;
	}
	/* Like libbaton: no resend timer (contexts copy it when opened). */
	if ((rv = nng_socket_set_ms(*sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0) {
		fprintf(stderr, "baton_bench: setting NNG_OPT_REQ_RESENDTIME: %s\n", nng_strerror(rv));
		goto fail;
	}
	for (int attempt = 1;; attempt++) {
		if ((rv = nng_dial(*sock, url, NULL, 0)) == 0)
			return 0;
		if ((rv != NNG_ECONNREFUSED && rv != NNG_ETIMEDOUT) || attempt == DIAL_ATTEMPTS)
			break;
		nng_msleep(DIAL_PAUSE_MS);
	}
	fprintf(stderr, "baton_bench: cannot connect to %s: %s\n", url, nng_strerror(rv));
fail:
	if (nng_close(*sock) != 0)
		fprintf(stderr, "baton_bench: nng_close failed\n");
	return rv;
}

void bench_samples_free(bench_samples *s)
{
	free(s->ns);
	s->ns = NULL;
	s->n = s->cap = 0;
}

bool bench_latency_print(const bench_samples *const *sets, size_t n_sets, const char *prefix, size_t *n_out)
{
	uint64_t *all;
	size_t n = 0, at = 0;
	double sum = 0;

	for (size_t i = 0; i < n_sets; i++)
		n += sets[i]->n;
	if ((all = malloc((n ? n : 1) * sizeof(*all))) == NULL) {
		fprintf(stderr, "baton_bench: out of memory merging %zu samples\n", n);
		return false;
	}
	for (size_t i = 0; i < n_sets; i++) {
		if (sets[i]->n > 0)
			memcpy(all + at, sets[i]->ns, sets[i]->n * sizeof(*all));
		at += sets[i]->n;
	}
	qsort(all, n, sizeof(*all), compare_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)all[i];
	printf("%smean_us: %.1f\n", prefix, n ? sum / (double)n / 1e3 : 0.0);
	printf("%sp50_us: %.1f\n", prefix, percentile_us(all, n, 0.50));
	printf("%sp90_us: %.1f\n", prefix, percentile_us(all, n, 0.90));
	printf("%sp99_us: %.1f\n", prefix, percentile_us(all, n, 0.99));
	printf("%sp999_us: %.1f\n", prefix, percentile_us(all, n, 0.999));
	printf("%smax_us: %.1f\n", prefix, n ? (double)all[n - 1] / 1e3 : 0.0);
	free(all);
	if (n_out != NULL)
		*n_out = n;
	return true;
}

/* Merges one kind of the threads' samples (cycle: the handshake cycles)
 * and prints its figures as `<prefix>p50_us: ...` lines; false if out of
 * memory. *n_out is the number of samples. */
static bool report_latencies(const load_thread *threads, long n_threads, bool cycle,
    const char *prefix, size_t *n_out)
{
	const bench_samples **sets = malloc((size_t)(n_threads > 0 ? n_threads : 1) * sizeof(*sets));
	bool ok;

	if (sets == NULL) {
		fprintf(stderr, "baton_bench: out of memory\n");
		return false;
	}
	for (long i = 0; i < n_threads; i++)
		sets[i] = cycle ? &threads[i].cycle : &threads[i].latency;
	ok = bench_latency_print(sets, (size_t)n_threads, prefix, n_out);
	free(sets);
	return ok;
}

/* Prints the report; client (may be NULL) is the shared libbaton client. */
static int report(const load_thread *threads, long n_threads, client_mode mode, size_t size,
    double secs, double warm, baton_client *client)
{
	uint64_t calls = 0, errors = 0;
	size_t n = 0, n_cycles = 0;

	for (long i = 0; i < n_threads; i++) {
		n += threads[i].latency.n;
		calls += threads[i].calls;
		errors += threads[i].errors;
	}
	printf("mode: %s\n", mode_names[mode]);
	printf("in_flight: %ld\n", n_threads);
	printf("payload_bytes: %zu\n", size);
	printf("warmup_s: %.2f\n", warm);
	printf("duration_s: %.2f\n", secs);
	printf("calls_total: %llu\n", (unsigned long long)calls);
	printf("requests: %zu\n", n);
	printf("requests_per_s: %.0f\n", (double)n / secs);
	if (!report_latencies(threads, n_threads, false, "", &n))
		return 1;
	if (mode == MODE_HANDSHAKE && !report_latencies(threads, n_threads, true, "cycle_", &n_cycles))
		return 1;
	if (client != NULL && mode == MODE_SECURE) {
		baton_session_stats stats;
		baton_session_stats_get(client, &stats);
		/* 1 = the session opened before the clock started served every call. */
		printf("handshakes: %llu\n", (unsigned long long)stats.handshakes);
	}
	printf("errors: %llu\n", (unsigned long long)errors);
	for (long i = 0; i < n_threads; i++)
		if (threads[i].first_error[0] != '\0')
			fprintf(stderr, "baton_bench: thread %ld: %llu failed calls; first: %s\n", i,
			    (unsigned long long)threads[i].errors, threads[i].first_error);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "baton_bench: cannot write to stdout\n");
		return 1;
	}
	return errors == 0 && calls > 0 ? 0 : 1;
}

bool bench_keys_load(const char *key_file, const char *server_key, baton_key *key,
    uint8_t server_public[BATON_PUBLIC_KEY_BYTES])
{
	char why[400];

	if (baton_key_file_read(key_file, key, why, sizeof(why)) != BATON_OK) {
		fprintf(stderr, "baton_bench: key %s: %s\n", key_file, why);
		return false;
	}
	if (baton_public_key_load(server_key, server_public, why, sizeof(why)) != BATON_OK) {
		fprintf(stderr, "baton_bench: server key %s: %s\n", server_key, why);
		baton_key_wipe(key);
		return false;
	}
	return true;
}

static int client_main(int argc, char **argv)
{
	const char *url = NULL, *mode_name = NULL, *key_file = NULL, *server_key = NULL;
	long in_flight = 32, size = 128;
	double secs = 5, warm = 1;
	client_mode mode = MODE_RAW;
	nng_socket sock = NNG_SOCKET_INITIALIZER;
	bool sock_open = false, secure;
	baton_client *client = NULL;
	baton_client_options opts;
	baton_key key;
	uint8_t server_public[BATON_PUBLIC_KEY_BYTES];
	baton_result res;
	load_thread *threads = NULL;
	long started = 0;
	bool failed = false;
	int opt, rv, status = 1;

	memset(&opts, 0, sizeof(opts));
	memset(&key, 0, sizeof(key));
	while ((opt = getopt(argc, argv, "m:u:c:d:s:w:k:p:")) != -1) {
		switch (opt) {
		case 'm':
			mode_name = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'c':
			if (!bench_parse_long(optarg, 1, 1024, &in_flight))
				return bench_usage_error("-c must be 1..1024, not '%s'", optarg);
			break;
		case 'd':
			if (!bench_parse_seconds(optarg, 0.1, 600, &secs))
				return bench_usage_error("-d must be 0.1..600 seconds, not '%s'", optarg);
			break;
		case 's':
			if (!bench_parse_long(optarg, 0, 1048576, &size))
				return bench_usage_error("-s must be 0..1048576 bytes, not '%s'", optarg);
			break;
		case 'w':
			if (!bench_parse_seconds(optarg, 0, 60, &warm))
				return bench_usage_error("-w must be 0..60 seconds, not '%s'", optarg);
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'p':
			server_key = optarg;
			break;
		default:
			return bench_usage_error("client: unknown or incomplete option");
		}
	}
	if (optind < argc)
		return bench_usage_error("client: unexpected argument '%s'", argv[optind]);
	if (url == NULL)
		return bench_usage_error("client: -u URL is required");
	if (mode_name == NULL)
		return bench_usage_error("client: -m MODE is required (raw, plain, health, secure or handshake)");
	for (mode = MODE_RAW; (size_t)mode < N_MODES; mode++)
		if (strcmp(mode_name, mode_names[mode]) == 0)
			break;
	if ((size_t)mode == N_MODES)
		return bench_usage_error("client: -m must be raw, plain, health, secure or handshake, not '%s'",
		    mode_name);
	secure = mode == MODE_SECURE || mode == MODE_HANDSHAKE;
	if (secure != (key_file != NULL) || secure != (server_key != NULL))
		return bench_usage_error(secure ? "client: -m %s needs -k KEY_FILE and -p SERVER_KEY"
		                          : "client: -m %s takes no -k or -p", mode_name);

	/* From here the whole run is bounded; bench_shutdown_bound() re-arms. */
	bench_run_bound((unsigned)(warm + secs) + 1 + BENCH_RUN_GRACE_S);
	if ((threads = calloc((size_t)in_flight, sizeof(*threads))) == NULL) {
		fprintf(stderr, "baton_bench: out of memory\n");
		return 1;
	}
	if (secure) {
		if (!bench_keys_load(key_file, server_key, &key, server_public))
			goto out;
		opts.key = &key;
		opts.server_public_key = server_public;
	}
	if (mode == MODE_RAW) {
		if (raw_socket_open(&sock, url) != 0)
			goto out;
		sock_open = true;
	} else if (mode != MODE_HANDSHAKE) {
		if (baton_client_open(&client, url, secure ? &opts : NULL, &res) != BATON_OK) {
			fprintf(stderr, "baton_bench: baton_client_open %s: %s: %s\n", url,
			    baton_status_str(res.status), res.message);
			baton_result_clear(&res);
			goto out;
		}
		/* The session is opened before the clock starts: the run
		 * measures sealed calls, not the handshake. */
		if (mode == MODE_SECURE && baton_session_open(client, BENCH_CALL_TIMEOUT_MS, &res) != BATON_OK) {
			fprintf(stderr, "baton_bench: baton_session_open %s: %s: %s\n", url,
			    baton_status_str(res.status), res.message);
			baton_result_clear(&res);
			goto out;
		}
	}

	uint64_t t_start = clock_monotonic_ns();
	for (long i = 0; i < in_flight; i++) {
		load_thread *t = &threads[i];
		t->mode = mode;
		t->sock = sock;
		t->client = client;
		t->url = url;
		t->secure_opts = &opts;
		t->size = (size_t)size;
		t->t_record = t_start + (uint64_t)(warm * 1e9);
		t->t_end = t->t_record + (uint64_t)(secs * 1e9);
		/* A pattern per thread, so a reply routed to the wrong
		 * caller would not pass the check. */
		if ((t->payload = malloc(size ? (size_t)size : 1)) == NULL) {
			fprintf(stderr, "baton_bench: out of memory\n");
			failed = true;
			break;
		}
		for (long j = 0; j < size; j++)
			t->payload[j] = (uint8_t)('a' + (i + j) % 26);
		if ((rv = pthread_create(&t->thread, NULL, load_thread_main, t)) != 0) {
			fprintf(stderr, "baton_bench: pthread_create: %s\n", strerror(rv));
			failed = true;
			break;
		}
		started++;
	}
	/* Threads already started stop by themselves at t_end. */
	for (long i = 0; i < started; i++) {
		if ((rv = pthread_join(threads[i].thread, NULL)) != 0) {
			fprintf(stderr, "baton_bench: pthread_join: %s\n", strerror(rv));
			failed = true;
		}
		if (threads[i].failure[0] != '\0') {
			fprintf(stderr, "baton_bench: thread %ld: %s\n", i, threads[i].failure);
			failed = true;
		}
	}
	if (failed)
		goto out;
	status = report(threads, in_flight, mode, (size_t)size, secs, warm, client);
out:
	bench_shutdown_bound();
	if (sock_open && (rv = nng_close(sock)) != 0)
		fprintf(stderr, "baton_bench: nng_close: %s\n", nng_strerror(rv));
	baton_client_close(client);
	baton_key_wipe(&key);
	for (long i = 0; threads != NULL && i < in_flight; i++) {
		free(threads[i].payload);
		bench_samples_free(&threads[i].latency);
		bench_samples_free(&threads[i].cycle);
	}
	free(threads);
	nng_fini();
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		fputs("\nTickets (bench/tickets.sh):\n", stdout);
		fputs(bench_tickets_usage, stdout);
		fputs("\nReports (bench/reports.sh):\n", stdout);
		fputs(bench_reports_usage, stdout);
		return 0;
	}
	if (argc < 2)
		return bench_usage_error("give a mode: echo-server, client, tickets-setup, tickets or reports");
	/* getopt starts after the mode word. */
	optind = 2;
	if (strcmp(argv[1], "echo-server") == 0)
		return echo_server_main(argc, argv);
	if (strcmp(argv[1], "client") == 0)
		return client_main(argc, argv);
	if (strcmp(argv[1], "tickets-setup") == 0)
		return bench_tickets_setup_main(argc, argv);
	if (strcmp(argv[1], "tickets") == 0)
		return bench_tickets_main(argc, argv);
	if (strcmp(argv[1], "reports") == 0)
		return bench_reports_main(argc, argv);
	return bench_usage_error("unknown mode '%s' (echo-server, client, tickets-setup, tickets or reports)", argv[1]);
}
