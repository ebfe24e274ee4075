/* keys.c - Ed25519 key pairs: generation, key files and printable public keys. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include <baton/keys.h>

#define PUBLIC_PREFIX "ed25519:"
#define SECRET_PREFIX "ed25519-secret:"
#define KEY_BASE64_CHARS 43 /* 32 bytes in unpadded base64url */
#define KEY_BASE64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* A key file is a few lines; anything bigger is not one. */
#define KEY_FILE_MAX 4096
/* Keeps any written key file well under KEY_FILE_MAX, so it can be read back. */
#define COMMENT_MAX 1024

_Static_assert(BATON_PUBLIC_KEY_BYTES == crypto_sign_PUBLICKEYBYTES, "public key size");
_Static_assert(BATON_SECRET_KEY_BYTES == crypto_sign_SECRETKEYBYTES, "secret key size");
_Static_assert(crypto_sign_SEEDBYTES == 32, "seed size");
_Static_assert(sizeof(PUBLIC_PREFIX) - 1 + KEY_BASE64_CHARS < BATON_PUBLIC_KEY_TEXT,
    "printable public key fits");

static const char key_file_banner[] = "# Baton Ed25519 key pair. Keep this file secret.\n";

/* What the lines of a key file said; holds a seed, so wipe it. */
typedef struct key_lines {
	bool    has_public;
	bool    has_secret;
	uint8_t public_key[BATON_PUBLIC_KEY_BYTES];
	uint8_t seed[crypto_sign_SEEDBYTES];
} key_lines;

static baton_status fail(char *msg, size_t msg_len, baton_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static baton_status fail(char *msg, size_t msg_len, baton_status status, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msg_len == 0)
		return status;
	va_start(ap, fmt);
	if (vsnprintf(msg, msg_len, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	/* Paths may hold control characters; the reason stays on one line. */
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return status;
}

static void msg_clear(char *msg, size_t msg_len)
{
	if (msg != NULL && msg_len > 0)
		msg[0] = '\0';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **start, const char **end)
{
	while (*start < *end && is_space(**start))
		(*start)++;
	while (*end > *start && is_space((*end)[-1]))
		(*end)--;
}

static bool starts_with(const char *s, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	return (size_t)(end - s) >= n && memcmp(s, prefix, n) == 0;
}

/* Exactly KEY_BASE64_CHARS canonical characters, nothing after them. out
 * may hold partial bytes on failure. */
static bool base64_decode_32(const char *s, const char *end, uint8_t out[32])
{
	const char *decoded_end = NULL;
	size_t      bin_len = 0;

	if (end - s != KEY_BASE64_CHARS)
		return false;
	if (sodium_base642bin(out, 32, s, (size_t)(end - s), NULL, &bin_len, &decoded_end,
	        KEY_BASE64_VARIANT) != 0)
		return false;
	return bin_len == 32 && decoded_end == end;
}

/* s..end is already trimmed. public_key is written only on success. */
static bool public_text_decode(const char *s, const char *end, uint8_t public_key[BATON_PUBLIC_KEY_BYTES])
{
	uint8_t decoded[BATON_PUBLIC_KEY_BYTES];

	if (!starts_with(s, end, PUBLIC_PREFIX))
		return false;
	if (!base64_decode_32(s + strlen(PUBLIC_PREFIX), end, decoded))
		return false;
	memcpy(public_key, decoded, sizeof(decoded));
	return true;
}

/* Matches "name" then optional blanks, ':' and optional blanks; *value
 * points past them. */
static bool field_value(const char *s, const char *end, const char *name, const char **value)
{
	if (!starts_with(s, end, name))
		return false;
	s += strlen(name);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s != ':')
		return false;
	s++;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*value = s;
	return true;
}

/* Appends s to buf[0..cap); false when it does not fit. Used instead of
 * snprintf for text that holds a secret, so no copy of it is left in
 * stdio's buffers. */
static bool append(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap - *len)
		return false;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
	return true;
}

/* Flushes the directory that holds path, so a new name in it survives a crash. */
static int dir_sync(const char *path)
{
	char        dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t      len;
	int         fd, rv;

	if (slash == NULL)
		memcpy(dir, ".", 2);
	else {
		len = slash == path ? 1 : (size_t)(slash - path);
		if (len >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, len);
		dir[len] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rv = fsync(fd);
	if (rv != 0 && (errno == EINVAL || errno == EROFS))
		rv = 0; /* file systems that cannot sync a directory */
	(void)close(fd);
	return rv;
}

/*
 * Creates path with exactly data, never replacing a file already there. The
 * bytes go to a temporary file beside it first, which is then linked in
 * under the final name: a reader (another batond starting at the same time)
 * sees the whole file or none, and of several writers exactly one wins while
 * the others get BATON_ALREADY_EXISTS.
 */
static baton_status file_create(const char *path, mode_t mode, const char *data, size_t len,
    char *msg, size_t msg_len)
{
	char         tmp[PATH_MAX];
	const char  *step = "write";
	baton_status rv = BATON_OK;
	int          fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return fail(msg, msg_len, BATON_INVALID_ARGUMENT, "path too long: %s", path);
	if (access(path, F_OK) == 0)
		return fail(msg, msg_len, BATON_ALREADY_EXISTS, "%s already exists; not overwriting it", path);
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 from the start */
	if (fd < 0)
		return fail(msg, msg_len, BATON_UNAVAILABLE, "cannot create %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) != 0) {
		step = "set the mode of";
		goto failed;
	}
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto failed;
		}
		if (n == 0) {
			errno = EIO;
			goto failed;
		}
		data += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0) {
		step = "flush";
		goto failed;
	}
	err = close(fd);
	fd = -1;
	if (err != 0) {
		step = "close";
		goto failed;
	}
	if (link(tmp, path) != 0) {
		err = errno;
		(void)unlink(tmp);
		if (err == EEXIST)
			return fail(msg, msg_len, BATON_ALREADY_EXISTS, "%s already exists; not overwriting it", path);
		return fail(msg, msg_len, BATON_UNAVAILABLE, "cannot create %s: %s", path, strerror(err));
	}
	if (unlink(tmp) != 0 || dir_sync(path) != 0) {
		step = "flush the directory of";
		err = errno;
		return fail(msg, msg_len, BATON_UNAVAILABLE, "cannot %s %s: %s", step, path, strerror(err));
	}
	goto out;

failed:
	err = errno;
	if (fd >= 0)
		(void)close(fd); /* already failing; the first error is the one to report */
	if (unlink(tmp) != 0)
		rv = fail(msg, msg_len, BATON_UNAVAILABLE,
		    "cannot %s %s: %s; removing the temporary file %s failed too: %s", step, path,
		    strerror(err), tmp, strerror(errno));
	else
		rv = fail(msg, msg_len, BATON_UNAVAILABLE, "cannot %s %s: %s", step, path,
		    strerror(err));
out:
	return rv;
}

/*
 * Reads at most KEY_FILE_MAX bytes of a regular file into buf, which has
 * room for cap > KEY_FILE_MAX bytes. With secret, refuses a file that group
 * or others may access. The caller wipes buf on every path.
 */
static baton_status file_read_small(const char *path, bool secret, char *buf, size_t cap,
    size_t *len, char *msg, size_t msg_len)
{
	struct stat  st;
	baton_status rv = BATON_OK;
	size_t       total = 0;
	int          fd;

	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return fail(msg, msg_len, BATON_NOT_FOUND, "cannot open %s: %s", path,
			    strerror(errno));
		if (errno == EACCES)
			return fail(msg, msg_len, BATON_PERMISSION_DENIED, "cannot open %s: %s", path,
			    strerror(errno));
		return fail(msg, msg_len, BATON_UNAVAILABLE, "cannot open %s: %s", path,
		    strerror(errno));
	}
	/* fstat the open file, not the path, so the checked file is the read one. */
	if (fstat(fd, &st) != 0) {
		rv = fail(msg, msg_len, BATON_UNAVAILABLE, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rv = fail(msg, msg_len, BATON_INVALID_ARGUMENT, "%s is not a regular file", path);
		goto out;
	}
	if (secret && (st.st_mode & 077) != 0) {
		rv = fail(msg, msg_len, BATON_PERMISSION_DENIED,
		    "%s has mode %04o, so group or others can access the secret key; run `chmod 600 %s`",
		    path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size > KEY_FILE_MAX) {
		rv = fail(msg, msg_len, BATON_INVALID_ARGUMENT,
		    "%s is too large to be a key file (more than %d bytes)", path, KEY_FILE_MAX);
		goto out;
	}
	/* The size may change under us; the read itself is bounded too. */
	while (total < cap) {
		ssize_t n = read(fd, buf + total, cap - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rv = fail(msg, msg_len, BATON_UNAVAILABLE, "cannot read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
	}
	if (total > KEY_FILE_MAX) {
		rv = fail(msg, msg_len, BATON_INVALID_ARGUMENT,
		    "%s is too large to be a key file (more than %d bytes)", path, KEY_FILE_MAX);
		goto out;
	}
	if (memchr(buf, '\0', total) != NULL) {
		rv = fail(msg, msg_len, BATON_INVALID_ARGUMENT, "%s holds a NUL byte; not a key file",
		    path);
		goto out;
	}
	*len = total;
out:
	if (close(fd) != 0 && rv == BATON_OK)
		rv = fail(msg, msg_len, BATON_UNAVAILABLE, "cannot close %s: %s", path, strerror(errno));
	return rv;
}

/*
 * Parses the lines of a key file into out. With public_only (loading a
 * public key) a bare printable key line is accepted too and the secret-key
 * line is skipped without being decoded. out may hold partial secret bytes
 * on failure; the caller wipes it.
 */
static baton_status key_lines_parse(const char *path, const char *text, size_t len,
    bool public_only, key_lines *out, char *msg, size_t msg_len)
{
	const char *p = text, *text_end = text + len;
	size_t      line_no = 0;

	while (p < text_end) {
		const char *newline = memchr(p, '\n', (size_t)(text_end - p));
		const char *s = p, *end = newline != NULL ? newline : text_end;
		const char *value = NULL;

		p = newline != NULL ? newline + 1 : text_end;
		line_no++;
		trim(&s, &end);
		if (s == end || *s == '#')
			continue;
		if (field_value(s, end, "public-key", &value) ||
		    (public_only && starts_with(s, end, PUBLIC_PREFIX))) {
			if (value == NULL)
				value = s; /* a bare printable key, as in a .pub file */
			if (out->has_public)
				return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
				    "%s:%zu: a second public key", path, line_no);
			if (!public_text_decode(value, end, out->public_key))
				return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
				    "%s:%zu: the public key is not \"" PUBLIC_PREFIX
				    "\" followed by %d base64url characters",
				    path, line_no, KEY_BASE64_CHARS);
			out->has_public = true;
		} else if (field_value(s, end, "secret-key", &value)) {
			if (public_only)
				continue;
			if (out->has_secret)
				return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
				    "%s:%zu: a second secret-key line", path, line_no);
			if (!starts_with(value, end, SECRET_PREFIX) ||
			    !base64_decode_32(value + strlen(SECRET_PREFIX), end, out->seed))
				return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
				    "%s:%zu: the secret key is not \"" SECRET_PREFIX
				    "\" followed by %d base64url characters",
				    path, line_no, KEY_BASE64_CHARS);
			out->has_secret = true;
		} else {
			/* The line itself is not quoted: it may be a mangled secret. */
			return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
			    "%s:%zu: not a key file line (expected \"public-key:\" or \"secret-key:\")",
			    path, line_no);
		}
	}
	return BATON_OK;
}

baton_status baton_key_generate(baton_key *key)
{
	assert(key != NULL);
	if (sodium_init() < 0)
		return BATON_INTERNAL;
	if (crypto_sign_keypair(key->public_key, key->secret_key) != 0) {
		baton_key_wipe(key);
		return BATON_INTERNAL;
	}
	return BATON_OK;
}

void baton_key_wipe(baton_key *key)
{
	if (key != NULL)
		sodium_memzero(key, sizeof(*key));
}

baton_status baton_key_file_write(const char *path, const baton_key *key, const char *comment,
    char *msg, size_t msg_len)
{
	uint8_t      seed[crypto_sign_SEEDBYTES];
	uint8_t      derived_public[crypto_sign_PUBLICKEYBYTES];
	uint8_t      derived_secret[crypto_sign_SECRETKEYBYTES];
	char         public_text[BATON_PUBLIC_KEY_TEXT];
	char         seed_text[sodium_base64_ENCODED_LEN(crypto_sign_SEEDBYTES, KEY_BASE64_VARIANT)];
	char         text[KEY_FILE_MAX];
	size_t       len = 0;
	baton_status rv;

	msg_clear(msg, msg_len);
	if (path == NULL || key == NULL)
		return fail(msg, msg_len, BATON_INVALID_ARGUMENT, "no key file path or key given");
	if (comment != NULL) {
		if (strlen(comment) > COMMENT_MAX)
			return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
			    "the comment for %s is longer than %d bytes", path, COMMENT_MAX);
		for (const char *c = comment; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
				    "the comment for %s must be one line without control characters",
				    path);
	}
	if (sodium_init() < 0)
		return fail(msg, msg_len, BATON_INTERNAL, "libsodium cannot initialise");

	if (crypto_sign_ed25519_sk_to_seed(seed, key->secret_key) != 0 ||
	    crypto_sign_seed_keypair(derived_public, derived_secret, seed) != 0) {
		rv = fail(msg, msg_len, BATON_INTERNAL, "cannot derive the key pair for %s", path);
		goto out;
	}
	/* A file whose halves disagree could never be read back. */
	if (sodium_memcmp(derived_public, key->public_key, sizeof(derived_public)) != 0) {
		rv = fail(msg, msg_len, BATON_INVALID_ARGUMENT,
		    "not writing %s: the public key does not match the secret key", path);
		goto out;
	}
	baton_public_key_format(key->public_key, public_text);
	if (sodium_bin2base64(seed_text, sizeof(seed_text), seed, sizeof(seed),
	        KEY_BASE64_VARIANT) == NULL) {
		rv = fail(msg, msg_len, BATON_INTERNAL, "cannot encode the secret key for %s", path);
		goto out;
	}
	text[0] = '\0';
	if (!append(text, sizeof(text), &len, key_file_banner) ||
	    (comment != NULL && (!append(text, sizeof(text), &len, "# ") ||
	                            !append(text, sizeof(text), &len, comment) ||
	                            !append(text, sizeof(text), &len, "\n"))) ||
	    !append(text, sizeof(text), &len, "public-key: ") ||
	    !append(text, sizeof(text), &len, public_text) ||
	    !append(text, sizeof(text), &len, "\nsecret-key: " SECRET_PREFIX) ||
	    !append(text, sizeof(text), &len, seed_text) ||
	    !append(text, sizeof(text), &len, "\n")) {
		rv = fail(msg, msg_len, BATON_INTERNAL, "the key file text for %s does not fit", path);
		goto out;
	}
	rv = file_create(path, 0600, text, len, msg, msg_len);
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(derived_secret, sizeof(derived_secret));
	sodium_memzero(seed_text, sizeof(seed_text));
	sodium_memzero(text, sizeof(text));
	return rv;
}

baton_status baton_key_file_read(const char *path, baton_key *key, char *msg, size_t msg_len)
{
	char         text[KEY_FILE_MAX + 1];
	uint8_t      derived_public[crypto_sign_PUBLICKEYBYTES];
	key_lines    lines;
	size_t       len = 0;
	baton_status rv;

	msg_clear(msg, msg_len);
	memset(&lines, 0, sizeof(lines));
	if (path == NULL || key == NULL)
		return fail(msg, msg_len, BATON_INVALID_ARGUMENT, "no key file path or key given");
	if (sodium_init() < 0)
		return fail(msg, msg_len, BATON_INTERNAL, "libsodium cannot initialise");

	rv = file_read_small(path, true, text, sizeof(text), &len, msg, msg_len);
	if (rv != BATON_OK)
		goto out;
	rv = key_lines_parse(path, text, len, false, &lines, msg, msg_len);
	if (rv != BATON_OK)
		goto out;
	if (!lines.has_public || !lines.has_secret) {
		rv = fail(msg, msg_len, BATON_INVALID_ARGUMENT, "%s is not a key file: no %s line",
		    path, !lines.has_public ? "public-key:" : "secret-key:");
		goto out;
	}
	if (crypto_sign_seed_keypair(derived_public, key->secret_key, lines.seed) != 0) {
		rv = fail(msg, msg_len, BATON_INTERNAL, "cannot derive the key pair of %s", path);
		goto out;
	}
	if (sodium_memcmp(derived_public, lines.public_key, sizeof(derived_public)) != 0) {
		rv = fail(msg, msg_len, BATON_INVALID_ARGUMENT,
		    "%s: the public key does not match the secret key", path);
		goto out;
	}
	memcpy(key->public_key, derived_public, sizeof(derived_public));
	rv = BATON_OK;
out:
	if (rv != BATON_OK)
		baton_key_wipe(key); /* never hand back half a key */
	sodium_memzero(text, sizeof(text));
	sodium_memzero(&lines, sizeof(lines));
	return rv;
}

void baton_public_key_format(const uint8_t public_key[BATON_PUBLIC_KEY_BYTES],
    char out[BATON_PUBLIC_KEY_TEXT])
{
	size_t prefix_len = strlen(PUBLIC_PREFIX);

	memcpy(out, PUBLIC_PREFIX, prefix_len);
	/* The room is checked at compile time above, so this cannot fail. */
	if (sodium_bin2base64(out + prefix_len, BATON_PUBLIC_KEY_TEXT - prefix_len, public_key,
	        BATON_PUBLIC_KEY_BYTES, KEY_BASE64_VARIANT) == NULL)
		out[0] = '\0';
}

baton_status baton_public_key_parse(const char *text, uint8_t public_key[BATON_PUBLIC_KEY_BYTES])
{
	const char *s = text, *end;

	if (text == NULL)
		return BATON_INVALID_ARGUMENT;
	end = text + strlen(text);
	trim(&s, &end);
	if (!public_text_decode(s, end, public_key))
		return BATON_INVALID_ARGUMENT;
	return BATON_OK;
}

baton_status baton_public_key_load(const char *text_or_path,
    uint8_t public_key[BATON_PUBLIC_KEY_BYTES], char *msg, size_t msg_len)
{
	char         text[KEY_FILE_MAX + 1];
	key_lines    lines;
	const char  *s = text_or_path, *end;
	size_t       len = 0;
	baton_status rv;

	msg_clear(msg, msg_len);
	memset(&lines, 0, sizeof(lines));
	if (text_or_path == NULL)
		return fail(msg, msg_len, BATON_INVALID_ARGUMENT, "no public key given");
	end = s + strlen(s);
	trim(&s, &end);
	if (starts_with(s, end, PUBLIC_PREFIX)) {
		if (baton_public_key_parse(text_or_path, public_key) != BATON_OK)
			return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
			    "not a public key: expected \"" PUBLIC_PREFIX
			    "\" followed by %d base64url characters",
			    KEY_BASE64_CHARS);
		return BATON_OK;
	}
	/* Never echo a pasted secret key back as a "path" into messages and logs. */
	if (starts_with(s, end, SECRET_PREFIX))
		return fail(msg, msg_len, BATON_INVALID_ARGUMENT,
		    "that is a secret key, not a public key; give the public key or its file");

	rv = file_read_small(text_or_path, false, text, sizeof(text), &len, msg, msg_len);
	if (rv != BATON_OK)
		goto out;
	rv = key_lines_parse(text_or_path, text, len, true, &lines, msg, msg_len);
	if (rv != BATON_OK)
		goto out;
	if (!lines.has_public) {
		rv = fail(msg, msg_len, BATON_INVALID_ARGUMENT, "%s holds no public key", text_or_path);
		goto out;
	}
	memcpy(public_key, lines.public_key, sizeof(lines.public_key));
out:
	/* A key file's secret line was read into text even though it is not decoded. */
	sodium_memzero(text, sizeof(text));
	sodium_memzero(&lines, sizeof(lines));
	return rv;
}

baton_status baton_public_key_file_write(const char *path,
    const uint8_t public_key[BATON_PUBLIC_KEY_BYTES], char *msg, size_t msg_len)
{
	char   text[BATON_PUBLIC_KEY_TEXT + 1];
	size_t len;

	msg_clear(msg, msg_len);
	if (path == NULL || public_key == NULL)
		return fail(msg, msg_len, BATON_INVALID_ARGUMENT, "no public key file path or key given");
	baton_public_key_format(public_key, text);
	len = strlen(text);
	text[len++] = '\n';
	return file_create(path, 0644, text, len, msg, msg_len);
}
