/* baton_bench.c - `make bench`: a raw nng rep0 echo server and a load client (raw echo or Ping via libbaton). */
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

#define EXIT_USAGE 2

/* Every wait for one call is bounded by this, in both modes. */
#define CALL_TIMEOUT_MS 5000

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
    "  baton_bench client -m raw|ping -u URL [-c IN_FLIGHT] [-d SECONDS] [-s BYTES] [-w WARMUP_SECONDS]\n"
    "\n"
    "echo-server: a raw nng rep0 echo, CONTEXTS callback-driven contexts (default 8,\n"
    "  1..1024); exits on SIGTERM/SIGINT or after MAX_SECONDS (default 300, 1..86400).\n"
    "client: IN_FLIGHT threads (default 32, 1..1024), each with one call in flight, for\n"
    "  WARMUP_SECONDS (default 1, 0..60) and then SECONDS (default 5, 0.1..600), with a\n"
    "  BYTES payload (default 128, 0..1048576).\n"
    "  raw:  one nng req0 socket, one nng context per thread, echoed by echo-server.\n"
    "  ping: one baton_client, each thread calling baton_ping() against batond.\n"
    "  Prints `name: value` lines (requests_per_s, p50_us, p99_us, errors, ...).\n"
    "  Latencies count only calls started after the warm-up. Exit 0 if no call failed,\n"
    "  1 if any failed or the run could not be set up, 2 on bad usage.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("baton_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nsee baton_bench --help\n", stderr);
	return EXIT_USAGE;
}

static bool parse_long(const char *s, long min, long max, long *out)
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

static bool parse_seconds(const char *s, double min, double max, double *out)
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

static void shutdown_overdue(int sig)
{
	static const char msg[] = "baton_bench: nng_close did not return within "
	    STRINGIFY(SHUTDOWN_GRACE_S) " s (nng 1.5 close deadlock); exiting without it\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be done from a signal handler */
	}
	_exit(1);
}

/* Arms the SIGALRM backstop that bounds nng's shutdown. */
static void shutdown_bound(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = shutdown_overdue;
	if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGALRM, &sa, NULL) != 0) {
		fprintf(stderr, "baton_bench: cannot install the shutdown backstop: %s\n",
		    strerror(errno));
		return;
	}
	alarm(SHUTDOWN_GRACE_S);
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
			if (!parse_long(optarg, 1, 1024, &n_contexts))
				return usage_error("-n must be 1..1024, not '%s'", optarg);
			break;
		case 't':
			if (!parse_long(optarg, 1, 86400, &max_s))
				return usage_error("-t must be 1..86400 seconds, not '%s'", optarg);
			break;
		default:
			return usage_error("echo-server: unknown or incomplete option");
		}
	}
	if (optind < argc)
		return usage_error("echo-server: unexpected argument '%s'", argv[optind]);
	if (url == NULL)
		return usage_error("echo-server: -u URL is required");

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
	shutdown_bound();
	if (sock_open && (rv = nng_close(sock)) != 0)
		fprintf(stderr, "baton_bench: nng_close: %s\n", nng_strerror(rv));
	for (long i = 0; i < opened; i++)
		nng_aio_free(contexts[i].aio);
	free(contexts);
	nng_fini();
	return status;
}

/* ---- load client ------------------------------------------------------------ */

typedef enum { MODE_RAW, MODE_PING } client_mode;

/* One client thread: one call in flight at a time. */
typedef struct load_thread {
	client_mode   mode;
	nng_socket    sock;   /* raw: the shared req0 socket */
	baton_client *client; /* ping: the shared libbaton client */
	size_t        size;
	uint8_t      *payload;
	uint64_t      t_record; /* record calls started at or after this */
	uint64_t      t_end;    /* start no call at or after this */
	uint64_t     *latency_ns;
	size_t        n, cap;
	uint64_t      calls, errors;
	char          first_error[256];
	char          failure[256]; /* set if the thread could not run */
	pthread_t     thread;
} load_thread;

static void note_error(load_thread *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_error(load_thread *t, const char *fmt, ...)
{
	va_list ap;

	t->errors++;
	if (t->first_error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(t->first_error, sizeof(t->first_error), fmt, ap);
	va_end(ap);
}

/* Keeps one latency sample; false if out of memory. */
static bool record(load_thread *t, uint64_t ns)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 65536;
		uint64_t *v = realloc(t->latency_ns, cap * sizeof(*v));
		if (v == NULL)
			return false;
		t->latency_ns = v;
		t->cap = cap;
	}
	t->latency_ns[t->n++] = ns;
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

static bool ping_call(load_thread *t)
{
	baton_result res;
	baton_status s = baton_ping(t->client, t->payload, t->size, CALL_TIMEOUT_MS, &res);
	bool ok = s == BATON_OK && echo_matches(t, res.payload, res.payload_len);

	if (s != BATON_OK)
		note_error(t, "baton_ping: %s: %s", baton_status_str(s), res.message);
	else if (!ok)
		note_error(t, "baton_ping: the echo differs from the request");
	baton_result_clear(&res);
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
		nng_aio_set_timeout(aio, CALL_TIMEOUT_MS);
	}
	/* Bounded: no call starts at or after t_end, and each call's wait is
	 * bounded by CALL_TIMEOUT_MS. */
	while ((t0 = clock_monotonic_ns()) < t->t_end) {
		bool ok = t->mode == MODE_RAW ? raw_call(t, ctx, aio) : ping_call(t);
		uint64_t t1 = clock_monotonic_ns();

		t->calls++;
		if (ok && t0 >= t->t_record && !record(t, t1 - t0)) {
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

/* Merges the threads' samples, sorts them and prints the report. */
static int report(load_thread *threads, long n_threads, const char *mode, size_t size,
    double secs, double warm)
{
	uint64_t *all, calls = 0, errors = 0;
	size_t n = 0, at = 0;
	double sum = 0;

	for (long i = 0; i < n_threads; i++) {
		n += threads[i].n;
		calls += threads[i].calls;
		errors += threads[i].errors;
	}
	if ((all = malloc((n ? n : 1) * sizeof(*all))) == NULL) {
		fprintf(stderr, "baton_bench: out of memory merging %zu samples\n", n);
		return 1;
	}
	for (long i = 0; i < n_threads; i++) {
		if (threads[i].n > 0)
			memcpy(all + at, threads[i].latency_ns, threads[i].n * sizeof(*all));
		at += threads[i].n;
	}
	qsort(all, n, sizeof(*all), compare_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)all[i];

	printf("mode: %s\n", mode);
	printf("in_flight: %ld\n", n_threads);
	printf("payload_bytes: %zu\n", size);
	printf("warmup_s: %.2f\n", warm);
	printf("duration_s: %.2f\n", secs);
	printf("calls_total: %llu\n", (unsigned long long)calls);
	printf("requests: %zu\n", n);
	printf("requests_per_s: %.0f\n", (double)n / secs);
	printf("mean_us: %.1f\n", n ? sum / (double)n / 1e3 : 0.0);
	printf("p50_us: %.1f\n", percentile_us(all, n, 0.50));
	printf("p90_us: %.1f\n", percentile_us(all, n, 0.90));
	printf("p99_us: %.1f\n", percentile_us(all, n, 0.99));
	printf("p999_us: %.1f\n", percentile_us(all, n, 0.999));
	printf("max_us: %.1f\n", n ? (double)all[n - 1] / 1e3 : 0.0);
	printf("errors: %llu\n", (unsigned long long)errors);
	free(all);
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

static int client_main(int argc, char **argv)
{
	const char *url = NULL, *mode_name = NULL;
	long in_flight = 32, size = 128;
	double secs = 5, warm = 1;
	client_mode mode = MODE_RAW;
	nng_socket sock = NNG_SOCKET_INITIALIZER;
	bool sock_open = false;
	baton_client *client = NULL;
	baton_result res;
	load_thread *threads = NULL;
	long started = 0;
	bool failed = false;
	int opt, rv, status = 1;

	while ((opt = getopt(argc, argv, "m:u:c:d:s:w:")) != -1) {
		switch (opt) {
		case 'm':
			mode_name = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'c':
			if (!parse_long(optarg, 1, 1024, &in_flight))
				return usage_error("-c must be 1..1024, not '%s'", optarg);
			break;
		case 'd':
			if (!parse_seconds(optarg, 0.1, 600, &secs))
				return usage_error("-d must be 0.1..600 seconds, not '%s'", optarg);
			break;
		case 's':
			if (!parse_long(optarg, 0, 1048576, &size))
				return usage_error("-s must be 0..1048576 bytes, not '%s'", optarg);
			break;
		case 'w':
			if (!parse_seconds(optarg, 0, 60, &warm))
				return usage_error("-w must be 0..60 seconds, not '%s'", optarg);
			break;
		default:
			return usage_error("client: unknown or incomplete option");
		}
	}
	if (optind < argc)
		return usage_error("client: unexpected argument '%s'", argv[optind]);
	if (url == NULL)
		return usage_error("client: -u URL is required");
	if (mode_name == NULL || (strcmp(mode_name, "raw") != 0 && strcmp(mode_name, "ping") != 0))
		return usage_error("client: -m must be raw or ping");
	mode = strcmp(mode_name, "raw") == 0 ? MODE_RAW : MODE_PING;

	if ((threads = calloc((size_t)in_flight, sizeof(*threads))) == NULL) {
		fprintf(stderr, "baton_bench: out of memory\n");
		return 1;
	}
	if (mode == MODE_RAW) {
		if (raw_socket_open(&sock, url) != 0)
			goto out;
		sock_open = true;
	} else if (baton_client_open(&client, url, NULL, &res) != BATON_OK) {
		fprintf(stderr, "baton_bench: baton_client_open %s: %s: %s\n", url,
		    baton_status_str(res.status), res.message);
		baton_result_clear(&res);
		goto out;
	}

	uint64_t t_start = clock_monotonic_ns();
	for (long i = 0; i < in_flight; i++) {
		load_thread *t = &threads[i];
		t->mode = mode;
		t->sock = sock;
		t->client = client;
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
	status = report(threads, in_flight, mode_name, (size_t)size, secs, warm);
out:
	shutdown_bound();
	if (sock_open && (rv = nng_close(sock)) != 0)
		fprintf(stderr, "baton_bench: nng_close: %s\n", nng_strerror(rv));
	baton_client_close(client);
	for (long i = 0; threads != NULL && i < in_flight; i++) {
		free(threads[i].payload);
		free(threads[i].latency_ns);
	}
	free(threads);
	nng_fini();
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 2)
		return usage_error("give a mode: echo-server or client");
	/* getopt starts after the mode word. */
	optind = 2;
	if (strcmp(argv[1], "echo-server") == 0)
		return echo_server_main(argc, argv);
	if (strcmp(argv[1], "client") == 0)
		return client_main(argc, argv);
	return usage_error("unknown mode '%s' (echo-server or client)", argv[1]);
}
