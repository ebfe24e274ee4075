/* replay.c - runs a fuzz harness over a saved corpus without libFuzzer, for `make test`. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CORPUS_ROOT "tests/fuzz/corpus"

typedef struct path_list {
	char  **paths;
	size_t  n, cap;
} path_list;

static int path_add(path_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **p = realloc(l->paths, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		l->paths = p;
		l->cap = cap;
	}
	if ((l->paths[l->n] = strdup(path)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path, or every regular file directly inside it if it is a directory
 * (hidden files skipped), in name order. Returns 0, or -1 with a message. */
static int collect(path_list *l, const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	size_t first = l->n;
	int rv = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return path_add(l, path);
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char full[4096];
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", path, de->d_name) >= sizeof(full)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", path, de->d_name);
			rv = -1;
			goto out;
		}
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (path_add(l, full) != 0) {
			fprintf(stderr, "replay: out of memory\n");
			rv = -1;
			goto out;
		}
	}
	qsort(l->paths + first, l->n - first, sizeof(*l->paths), path_cmp);
out:
	closedir(d);
	return rv;
}

/* Reads the whole file into a malloc'd buffer (caller frees). */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int rv = -1;

	if (f == NULL)
		goto out;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *p = realloc(buf, ncap);
			if (p == NULL)
				goto out;
			buf = p;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto out;
	*data = buf;
	*size = len;
	buf = NULL;
	rv = 0;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rv;
}

int main(int argc, char **argv)
{
	path_list list = { 0 };
	char corpus[512];
	int rv = 1;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (collect(&list, argv[i]) != 0)
				goto out;
	} else {
		/* build/tests/fuzz/fuzz_dispatch replays tests/fuzz/corpus/dispatch/. */
		const char *name = strrchr(argv[0], '/');
		name = name != NULL ? name + 1 : argv[0];
		if (strncmp(name, "fuzz_", 5) == 0)
			name += 5;
		snprintf(corpus, sizeof(corpus), "%s/%s", CORPUS_ROOT, name);
		if (collect(&list, corpus) != 0) {
			fprintf(stderr, "replay: no corpus for '%s' (run from the project root)\n", name);
			goto out;
		}
	}
	if (list.n == 0) {
		fprintf(stderr, "replay: no inputs to replay: the corpus is empty\n");
		goto out;
	}

	/* cmocka's format: the last RUN line without its OK names a crashing input. */
	printf("[==========] Running %zu test(s).\n", list.n);
	for (size_t i = 0; i < list.n; i++) {
		uint8_t *data;
		size_t size;

		if (read_file(list.paths[i], &data, &size) != 0) {
			fprintf(stderr, "replay: %s: %s\n", list.paths[i], strerror(errno));
			goto out;
		}
		printf("[ RUN      ] %s\n", list.paths[i]);
		fflush(stdout);
		LLVMFuzzerTestOneInput(data, size);
		printf("[       OK ] %s\n", list.paths[i]);
		free(data);
	}
	printf("[==========] %zu test(s) run.\n", list.n);
	printf("[  PASSED  ] %zu test(s).\n", list.n);
	rv = 0;
out:
	for (size_t i = 0; i < list.n; i++)
		free(list.paths[i]);
	free(list.paths);
	return rv;
}
