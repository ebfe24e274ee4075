/* test_keys.c - Ed25519 key generation, key files and printable public keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include <baton/keys.h>

/*
 * The key pair made from the seed bytes 0x01..0x20 (computed once with
 * libsodium and cross-checked with OpenSSL's Ed25519). The public key in
 * hex is 79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664.
 */
#define VECTOR_PUBLIC      "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ"
#define VECTOR_SEED        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"
#define VECTOR_PUBLIC_LINE "public-key: " VECTOR_PUBLIC "\n"
#define VECTOR_SECRET_LINE "secret-key: ed25519-secret:" VECTOR_SEED "\n"
#define VECTOR_FILE        VECTOR_PUBLIC_LINE VECTOR_SECRET_LINE
#define BANNER             "# Baton Ed25519 key pair. Keep this file secret.\n"
/* A well-formed public key that is not the vector's (first character changed). */
#define OTHER_PUBLIC       "ed25519:fbVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ"

static const uint8_t vector_public_bytes[32] = {
	0x79, 0xb5, 0x56, 0x2e, 0x8f, 0xe6, 0x54, 0xf9, 0x40, 0x78, 0xb1, 0x12, 0xe8, 0xa9, 0x8b, 0xa7,
	0x90, 0x1f, 0x85, 0x3a, 0xe6, 0x95, 0xbe, 0xd7, 0xe0, 0xe3, 0x91, 0x0b, 0xad, 0x04, 0x96, 0x64,
};

typedef struct fixture {
	char dir[64];
} fixture;

static void vector_key(baton_key *key)
{
	uint8_t seed[32];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(i + 1);
	assert_int_equal(crypto_sign_seed_keypair(key->public_key, key->secret_key, seed), 0);
}

static void path_in(void **state, const char *name, char *out, size_t out_len)
{
	const fixture *f = *state;
	int n = snprintf(out, out_len, "%s/%s", f->dir, name);
	assert_true(n > 0 && (size_t)n < out_len);
}

static void file_put(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static size_t file_get(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_int_equal(close(fd), 0);
	return (size_t)n;
}

static mode_t file_mode(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void generate_write_read_round_trip(void **state)
{
	baton_key key, back;
	char path[256], msg[512], text[4096];

	path_in(state, "id", path, sizeof(path));
	assert_int_equal(baton_key_generate(&key), BATON_OK);
	assert_int_equal(baton_key_file_write(path, &key, "alice@example", msg, sizeof(msg)), BATON_OK);
	assert_string_equal(msg, "");
	memset(&back, 0xaa, sizeof(back));
	assert_int_equal(baton_key_file_read(path, &back, msg, sizeof(msg)), BATON_OK);
	assert_string_equal(msg, "");
	assert_memory_equal(&back, &key, sizeof(key));
	file_get(path, text, sizeof(text));
	assert_true(strncmp(text, BANNER "# alice@example\npublic-key: ed25519:",
	                strlen(BANNER "# alice@example\npublic-key: ed25519:")) == 0);
	assert_int_equal(unlink(path), 0);
	baton_key_wipe(&key);
	baton_key_wipe(&back);
}

static void known_vector_seed_1_to_32(void **state)
{
	static const char vector_public[] = VECTOR_PUBLIC;
	baton_key key, back;
	uint8_t decoded[32], parsed[32];
	size_t decoded_len = 0;
	const char *decoded_end = NULL;
	char printable[BATON_PUBLIC_KEY_TEXT], path[256], msg[512], text[4096];

	vector_key(&key);
	baton_public_key_format(key.public_key, printable);
	assert_string_equal(printable, VECTOR_PUBLIC);
	/* Cross-check the constant against libsodium's own decoder. */
	assert_int_equal(sodium_base642bin(decoded, sizeof(decoded), &vector_public[8],
	                     strlen(&vector_public[8]), NULL, &decoded_len, &decoded_end,
	                     sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
	assert_int_equal(decoded_len, 32);
	assert_ptr_equal(decoded_end, &vector_public[strlen(vector_public)]);
	assert_memory_equal(decoded, key.public_key, 32);
	assert_memory_equal(vector_public_bytes, key.public_key, 32);
	assert_int_equal(baton_public_key_parse(VECTOR_PUBLIC, parsed), BATON_OK);
	assert_memory_equal(parsed, key.public_key, 32);

	/* Golden bytes of the key file. */
	path_in(state, "vector", path, sizeof(path));
	assert_int_equal(baton_key_file_write(path, &key, NULL, msg, sizeof(msg)), BATON_OK);
	file_get(path, text, sizeof(text));
	assert_string_equal(text, BANNER VECTOR_FILE);
	assert_int_equal(baton_key_file_read(path, &back, msg, sizeof(msg)), BATON_OK);
	assert_memory_equal(&back, &key, sizeof(key));
	assert_int_equal(unlink(path), 0);
	baton_key_wipe(&key);
	baton_key_wipe(&back);
}

static void formatted_key_is_51_characters(void **state)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	(void)state;
	for (int i = 0; i < 64; i++) {
		baton_key key;
		uint8_t parsed[32];
		char printable[BATON_PUBLIC_KEY_TEXT];

		assert_int_equal(baton_key_generate(&key), BATON_OK);
		baton_public_key_format(key.public_key, printable);
		assert_int_equal(strlen(printable), 51);
		assert_true(strncmp(printable, "ed25519:", 8) == 0);
		assert_int_equal(strspn(printable + 8, alphabet), 43);
		assert_int_equal(baton_public_key_parse(printable, parsed), BATON_OK);
		assert_memory_equal(parsed, key.public_key, 32);
		baton_key_wipe(&key);
	}
}

static void surrounding_whitespace_is_accepted(void **state)
{
	static const char *const cases[] = {
		VECTOR_PUBLIC,
		"  " VECTOR_PUBLIC,
		VECTOR_PUBLIC "\n",
		" \t" VECTOR_PUBLIC "\r\n ",
		"\n\n" VECTOR_PUBLIC "\t\t",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t parsed[32];
		char msg[512];
		assert_int_equal(baton_public_key_parse(cases[i], parsed), BATON_OK);
		assert_memory_equal(parsed, vector_public_bytes, 32);
		memset(parsed, 0, sizeof(parsed));
		assert_int_equal(baton_public_key_load(cases[i], parsed, msg, sizeof(msg)), BATON_OK);
		assert_memory_equal(parsed, vector_public_bytes, 32);
	}
}

static void bad_printable_key_case_table(void **state)
{
	static const struct { const char *name, *text; } cases[] = {
		{ "empty", "" },
		{ "only white space", " \t\n" },
		{ "prefix alone", "ed25519:" },
		{ "wrong prefix ed448", "ed448:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ" },
		{ "upper-case prefix", "ED25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ" },
		{ "secret prefix", "ed25519-secret:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ" },
		{ "missing prefix", "ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ" },
		{ "space after prefix", "ed25519: ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ" },
		{ "padding", "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=" },
		{ "42 characters", "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60Elm" },
		{ "44 characters", "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQA" },
		{ "standard alphabet +", "ed25519:ebVWLo+mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ" },
		{ "standard alphabet /", "ed25519:ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ" },
		{ "non-canonical last character", "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmR" },
		{ "trailing garbage", "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQx" },
		{ "trailing word", "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ x" },
		{ "two keys", VECTOR_PUBLIC " " VECTOR_PUBLIC },
		{ "inner space", "ed25519:ebVWLo_mVPlAeLES6KmLp5 AfhTrmlb7X4OORC60ElmQ" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t parsed[32], untouched[32];
		memset(parsed, 0x5a, sizeof(parsed));
		memset(untouched, 0x5a, sizeof(untouched));
		if (baton_public_key_parse(cases[i].text, parsed) != BATON_INVALID_ARGUMENT)
			fail_msg("case \"%s\" was accepted", cases[i].name);
		assert_memory_equal(parsed, untouched, sizeof(parsed));
	}
	assert_int_equal(baton_public_key_parse(NULL, (uint8_t[32]){ 0 }), BATON_INVALID_ARGUMENT);
}

static void key_file_mode_is_0600_and_pub_file_0644(void **state)
{
	static const mode_t umasks[] = { 022, 077, 0 };
	baton_key key;
	char path[256], pub[256], msg[512], text[256];

	vector_key(&key);
	path_in(state, "moded", path, sizeof(path));
	path_in(state, "moded.pub", pub, sizeof(pub));
	for (size_t i = 0; i < sizeof(umasks) / sizeof(umasks[0]); i++) {
		mode_t old = umask(umasks[i]);
		baton_status key_rv = baton_key_file_write(path, &key, NULL, msg, sizeof(msg));
		baton_status pub_rv = baton_public_key_file_write(pub, key.public_key, msg, sizeof(msg));
		umask(old);
		assert_int_equal(key_rv, BATON_OK);
		assert_int_equal(pub_rv, BATON_OK);
		assert_int_equal(file_mode(path), 0600);
		assert_int_equal(file_mode(pub), 0644);
		file_get(pub, text, sizeof(text));
		assert_string_equal(text, VECTOR_PUBLIC "\n");
		assert_int_equal(unlink(path), 0);
		assert_int_equal(unlink(pub), 0);
	}
	baton_key_wipe(&key);
}

static void write_never_overwrites(void **state)
{
	baton_key key;
	char path[256], link_path[256], target[256], msg[512], text[256];

	vector_key(&key);
	path_in(state, "precious", path, sizeof(path));
	file_put(path, "precious\n", 9, 0600);
	assert_int_equal(baton_key_file_write(path, &key, NULL, msg, sizeof(msg)), BATON_ALREADY_EXISTS);
	assert_non_null(strstr(msg, path));
	assert_int_equal(baton_public_key_file_write(path, key.public_key, msg, sizeof(msg)),
	    BATON_ALREADY_EXISTS);
	file_get(path, text, sizeof(text));
	assert_string_equal(text, "precious\n");
	assert_int_equal(file_mode(path), 0600);

	/* A dangling symlink is not followed to create its target. */
	path_in(state, "link", link_path, sizeof(link_path));
	path_in(state, "target", target, sizeof(target));
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(baton_key_file_write(link_path, &key, NULL, msg, sizeof(msg)),
	    BATON_ALREADY_EXISTS);
	assert_int_equal(access(target, F_OK), -1);

	assert_int_equal(unlink(link_path), 0);
	assert_int_equal(unlink(path), 0);
	baton_key_wipe(&key);
}

static void write_refuses_bad_input_and_leaves_no_file(void **state)
{
	baton_key key;
	char path[256], msg[512], long_comment[2000];

	vector_key(&key);
	path_in(state, "refused", path, sizeof(path));
	assert_int_equal(baton_key_file_write(path, &key, "two\nlines", msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT);
	assert_int_equal(access(path, F_OK), -1);
	memset(long_comment, 'c', sizeof(long_comment) - 1);
	long_comment[sizeof(long_comment) - 1] = '\0';
	assert_int_equal(baton_key_file_write(path, &key, long_comment, msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT);
	assert_int_equal(access(path, F_OK), -1);
	key.public_key[0] ^= 1;
	assert_int_equal(baton_key_file_write(path, &key, NULL, msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "does not match"));
	assert_int_equal(access(path, F_OK), -1);
	baton_key_wipe(&key);
}

static void write_failure_removes_the_partial_file(void **state)
{
	baton_key key;
	struct rlimit old_limit, small;
	char path[256], dir_path[256], msg[512];
	baton_status rv;
	void (*old_handler)(int);

	vector_key(&key);
	path_in(state, "partial", path, sizeof(path));
	/* A file size limit makes write() fail after the file exists. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
	small = old_limit;
	small.rlim_cur = 16;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rv = baton_key_file_write(path, &key, NULL, msg, sizeof(msg));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(rv, BATON_UNAVAILABLE);
	assert_non_null(strstr(msg, path));
	assert_int_equal(access(path, F_OK), -1);

	/* A directory that does not exist. */
	path_in(state, "no-such-dir/key", dir_path, sizeof(dir_path));
	assert_int_equal(baton_key_file_write(dir_path, &key, NULL, msg, sizeof(msg)),
	    BATON_UNAVAILABLE);
	assert_non_null(strstr(msg, dir_path));
	baton_key_wipe(&key);
}

static void read_mode_case_table(void **state)
{
	static const struct { mode_t mode; baton_status status; } cases[] = {
		{ 0600, BATON_OK },
		{ 0400, BATON_OK },
		{ 0700, BATON_OK },
		{ 0640, BATON_PERMISSION_DENIED },
		{ 0604, BATON_PERMISSION_DENIED },
		{ 0644, BATON_PERMISSION_DENIED },
		{ 0660, BATON_PERMISSION_DENIED },
		{ 0602, BATON_PERMISSION_DENIED },
		{ 0610, BATON_PERMISSION_DENIED },
	};
	baton_key expected;
	char path[256];

	vector_key(&expected);
	path_in(state, "moded-read", path, sizeof(path));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		baton_key key;
		char msg[512], mode_text[16];

		file_put(path, VECTOR_FILE, strlen(VECTOR_FILE), cases[i].mode);
		memset(&key, 0xaa, sizeof(key));
		if (baton_key_file_read(path, &key, msg, sizeof(msg)) != cases[i].status)
			fail_msg("mode %04o: %s", (unsigned)cases[i].mode, msg);
		if (cases[i].status == BATON_OK) {
			assert_memory_equal(&key, &expected, sizeof(key));
		} else {
			snprintf(mode_text, sizeof(mode_text), "%04o", (unsigned)cases[i].mode);
			assert_non_null(strstr(msg, mode_text));
			assert_non_null(strstr(msg, "chmod 600"));
			assert_non_null(strstr(msg, path));
			assert_true(all_zero(&key, sizeof(key)));
		}
		assert_int_equal(unlink(path), 0);
		baton_key_wipe(&key);
	}
	baton_key_wipe(&expected);
}

static void missing_file_is_not_found(void **state)
{
	baton_key key;
	uint8_t public_key[32];
	char path[256], deep[256], msg[512];

	path_in(state, "absent", path, sizeof(path));
	path_in(state, "absent-dir/absent", deep, sizeof(deep));
	assert_int_equal(baton_key_file_read(path, &key, msg, sizeof(msg)), BATON_NOT_FOUND);
	assert_non_null(strstr(msg, path));
	assert_int_equal(baton_key_file_read(deep, &key, msg, sizeof(msg)), BATON_NOT_FOUND);
	assert_int_equal(baton_public_key_load(path, public_key, msg, sizeof(msg)), BATON_NOT_FOUND);
	assert_non_null(strstr(msg, path));
	/* msg is optional. */
	assert_int_equal(baton_key_file_read(path, &key, NULL, 0), BATON_NOT_FOUND);
	assert_int_equal(baton_public_key_load(path, public_key, NULL, 0), BATON_NOT_FOUND);
}

static void messages_stay_on_one_line(void **state)
{
	baton_key key;
	char path[256], msg[512];

	path_in(state, "line\nbreak", path, sizeof(path));
	assert_int_equal(baton_key_file_read(path, &key, msg, sizeof(msg)), BATON_NOT_FOUND);
	assert_null(strchr(msg, '\n'));
	assert_true(strlen(msg) > 0);
	/* A tiny msg buffer is truncated, not overrun. */
	assert_int_equal(baton_key_file_read(path, &key, msg, 4), BATON_NOT_FOUND);
	assert_int_equal(strlen(msg), 3);
}

static void malformed_key_file_case_table(void **state)
{
	static const struct { const char *name, *text; size_t len; const char *msg_part; } cases[] = {
		{ "empty", "", 0, "no public-key" },
		{ "only comments", "# a comment\n\n   # indented\n", 0, "no public-key" },
		{ "missing secret line", BANNER VECTOR_PUBLIC_LINE, 0, "no secret-key" },
		{ "missing public line", BANNER VECTOR_SECRET_LINE, 0, "no public-key" },
		{ "public prefix ed448",
		    "public-key: ed448:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ\n" VECTOR_SECRET_LINE,
		    0, ":1:" },
		{ "secret prefix ed25519",
		    VECTOR_PUBLIC_LINE "secret-key: ed25519:" VECTOR_SEED "\n", 0, ":2:" },
		{ "public 42 characters",
		    "public-key: ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60Elm\n" VECTOR_SECRET_LINE,
		    0, ":1:" },
		{ "public 44 characters",
		    "public-key: ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQA\n" VECTOR_SECRET_LINE,
		    0, ":1:" },
		{ "secret 42 characters",
		    VECTOR_PUBLIC_LINE "secret-key: ed25519-secret:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHy\n",
		    0, ":2:" },
		{ "secret 44 characters",
		    VECTOR_PUBLIC_LINE "secret-key: ed25519-secret:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAA\n",
		    0, ":2:" },
		{ "public non-base64 character",
		    "public-key: ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60El!Q\n" VECTOR_SECRET_LINE,
		    0, ":1:" },
		{ "secret non-base64 character",
		    VECTOR_PUBLIC_LINE "secret-key: ed25519-secret:AQIDBAUGBwgJCgsMDQ4PEBESExQVFh+YGRobHB0eHyA\n",
		    0, ":2:" },
		{ "secret padding",
		    VECTOR_PUBLIC_LINE "secret-key: ed25519-secret:" VECTOR_SEED "=\n", 0, ":2:" },
		{ "secret trailing garbage",
		    VECTOR_PUBLIC_LINE "secret-key: ed25519-secret:" VECTOR_SEED " x\n", 0, ":2:" },
		{ "public does not match secret",
		    BANNER "public-key: " OTHER_PUBLIC "\n" VECTOR_SECRET_LINE, 0,
		    "public key does not match the secret key" },
		{ "unknown key line", BANNER VECTOR_FILE "private-key: nothing\n", 0, ":4:" },
		{ "name without colon", "public-key " VECTOR_PUBLIC "\n" VECTOR_SECRET_LINE, 0, ":1:" },
		{ "misspelt name", "public_key: " VECTOR_PUBLIC "\n" VECTOR_SECRET_LINE, 0, ":1:" },
		{ "bare public key", VECTOR_PUBLIC "\n" VECTOR_SECRET_LINE, 0, ":1:" },
		{ "second public line", VECTOR_FILE VECTOR_PUBLIC_LINE, 0, ":3:" },
		{ "second secret line", VECTOR_FILE VECTOR_SECRET_LINE, 0, ":3:" },
		{ "NUL byte", VECTOR_FILE "#\0\n", sizeof(VECTOR_FILE "#\0\n") - 1, "NUL" },
	};
	char path[256];

	path_in(state, "malformed", path, sizeof(path));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		baton_key key;
		char msg[512];
		size_t len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].text);

		file_put(path, cases[i].text, len, 0600);
		memset(&key, 0xaa, sizeof(key));
		if (baton_key_file_read(path, &key, msg, sizeof(msg)) != BATON_INVALID_ARGUMENT)
			fail_msg("case \"%s\" was not refused: %s", cases[i].name, msg);
		if (strstr(msg, path) == NULL || strstr(msg, cases[i].msg_part) == NULL)
			fail_msg("case \"%s\": message \"%s\" lacks \"%s\"", cases[i].name, msg,
			    cases[i].msg_part);
		if (strstr(msg, VECTOR_SEED) != NULL)
			fail_msg("case \"%s\": the message quotes the secret", cases[i].name);
		assert_true(all_zero(&key, sizeof(key)));
		assert_int_equal(unlink(path), 0);
	}
}

static void key_file_size_limit(void **state)
{
	static const struct { size_t size; baton_status status; } cases[] = {
		{ 4096, BATON_OK },
		{ 4097, BATON_INVALID_ARGUMENT },
		{ 100000, BATON_INVALID_ARGUMENT },
	};
	char path[256];

	path_in(state, "sized", path, sizeof(path));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t body = strlen(VECTOR_FILE), pad = cases[i].size - body;
		char *text = malloc(cases[i].size);
		baton_key key;
		uint8_t public_key[32];
		char msg[512];

		assert_non_null(text);
		/* One long comment line, then the key lines: a valid file of the given size. */
		text[0] = '#';
		memset(text + 1, 'x', pad - 2);
		text[pad - 1] = '\n';
		memcpy(text + pad, VECTOR_FILE, body);
		file_put(path, text, cases[i].size, 0600);
		free(text);
		if (baton_key_file_read(path, &key, msg, sizeof(msg)) != cases[i].status)
			fail_msg("size %zu: %s", cases[i].size, msg);
		assert_int_equal(baton_public_key_load(path, public_key, msg, sizeof(msg)),
		    cases[i].status);
		if (cases[i].status != BATON_OK)
			assert_non_null(strstr(msg, "too large"));
		assert_int_equal(unlink(path), 0);
		baton_key_wipe(&key);
	}
}

static void key_file_layouts_accepted(void **state)
{
	static const struct { const char *name, *text; } cases[] = {
		{ "as written", BANNER VECTOR_FILE },
		{ "secret first", VECTOR_SECRET_LINE VECTOR_PUBLIC_LINE },
		{ "no newline at end", VECTOR_PUBLIC_LINE "secret-key: ed25519-secret:" VECTOR_SEED },
		{ "no spaces", "public-key:" VECTOR_PUBLIC "\nsecret-key:ed25519-secret:" VECTOR_SEED "\n" },
		{ "spaces around colon",
		    "public-key :  " VECTOR_PUBLIC "\n\tsecret-key\t:\ted25519-secret:" VECTOR_SEED "  \n" },
		{ "CRLF and comments",
		    "# one\r\n\r\n  # two\r\n" "public-key: " VECTOR_PUBLIC "\r\n"
		    "secret-key: ed25519-secret:" VECTOR_SEED "\r\n" },
	};
	baton_key expected;
	char path[256];

	vector_key(&expected);
	path_in(state, "layout", path, sizeof(path));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		baton_key key;
		char msg[512];

		file_put(path, cases[i].text, strlen(cases[i].text), 0600);
		if (baton_key_file_read(path, &key, msg, sizeof(msg)) != BATON_OK)
			fail_msg("case \"%s\" was refused: %s", cases[i].name, msg);
		assert_memory_equal(&key, &expected, sizeof(key));
		assert_int_equal(unlink(path), 0);
		baton_key_wipe(&key);
	}
	baton_key_wipe(&expected);
}

static void public_key_load_case_table(void **state)
{
	static const struct {
		const char  *name, *text;
		mode_t       mode;
		baton_status status;
	} cases[] = {
		{ "bare key", VECTOR_PUBLIC "\n", 0644, BATON_OK },
		{ "bare key, no newline", VECTOR_PUBLIC, 0644, BATON_OK },
		{ "bare key with comment", "# alice\n\n  " VECTOR_PUBLIC "  \r\n", 0644, BATON_OK },
		{ "key file 0600", BANNER VECTOR_FILE, 0600, BATON_OK },
		{ "key file 0644", BANNER VECTOR_FILE, 0644, BATON_OK },
		{ "key file, public line only", VECTOR_PUBLIC_LINE, 0644, BATON_OK },
		{ "key file, secret line not decoded",
		    VECTOR_PUBLIC_LINE "secret-key: not even base64!\n", 0600, BATON_OK },
		{ "garbage", "hello\n", 0644, BATON_INVALID_ARGUMENT },
		{ "empty", "", 0644, BATON_INVALID_ARGUMENT },
		{ "only comments", "# nothing\n", 0644, BATON_INVALID_ARGUMENT },
		{ "secret line only", VECTOR_SECRET_LINE, 0600, BATON_INVALID_ARGUMENT },
		{ "bad key", "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60Elm\n", 0644,
		    BATON_INVALID_ARGUMENT },
		{ "two keys", VECTOR_PUBLIC "\n" OTHER_PUBLIC "\n", 0644, BATON_INVALID_ARGUMENT },
		{ "bare key and public line", VECTOR_PUBLIC "\n" VECTOR_PUBLIC_LINE, 0644,
		    BATON_INVALID_ARGUMENT },
	};
	char path[256];

	path_in(state, "load.pub", path, sizeof(path));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t public_key[32];
		char msg[512];

		file_put(path, cases[i].text, strlen(cases[i].text), cases[i].mode);
		memset(public_key, 0, sizeof(public_key));
		if (baton_public_key_load(path, public_key, msg, sizeof(msg)) != cases[i].status)
			fail_msg("case \"%s\": %s", cases[i].name, msg);
		if (cases[i].status == BATON_OK)
			assert_memory_equal(public_key, vector_public_bytes, 32);
		else
			assert_non_null(strstr(msg, path));
		assert_int_equal(unlink(path), 0);
	}
}

static void public_key_load_from_text_and_written_files(void **state)
{
	baton_key key;
	uint8_t public_key[32];
	char key_path[256], pub_path[256], msg[512];

	assert_int_equal(baton_key_generate(&key), BATON_OK);
	path_in(state, "loaded", key_path, sizeof(key_path));
	path_in(state, "loaded.pub", pub_path, sizeof(pub_path));
	assert_int_equal(baton_key_file_write(key_path, &key, "loaded", msg, sizeof(msg)), BATON_OK);
	assert_int_equal(baton_public_key_file_write(pub_path, key.public_key, msg, sizeof(msg)),
	    BATON_OK);

	memset(public_key, 0, sizeof(public_key));
	assert_int_equal(baton_public_key_load(pub_path, public_key, msg, sizeof(msg)), BATON_OK);
	assert_memory_equal(public_key, key.public_key, 32);
	memset(public_key, 0, sizeof(public_key));
	assert_int_equal(baton_public_key_load(key_path, public_key, msg, sizeof(msg)), BATON_OK);
	assert_memory_equal(public_key, key.public_key, 32);
	assert_int_equal(chmod(key_path, 0644), 0);
	memset(public_key, 0, sizeof(public_key));
	assert_int_equal(baton_public_key_load(key_path, public_key, msg, sizeof(msg)), BATON_OK);
	assert_memory_equal(public_key, key.public_key, 32);

	assert_int_equal(baton_public_key_load(" " VECTOR_PUBLIC " ", public_key, msg, sizeof(msg)),
	    BATON_OK);
	assert_memory_equal(public_key, vector_public_bytes, 32);
	assert_int_equal(baton_public_key_load("ed25519:short", public_key, msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT);
	/* A pasted secret key is refused without being echoed back. */
	assert_int_equal(baton_public_key_load("ed25519-secret:" VECTOR_SEED, public_key, msg,
	                     sizeof(msg)), BATON_INVALID_ARGUMENT);
	assert_null(strstr(msg, VECTOR_SEED));
	assert_int_equal(baton_public_key_load(NULL, public_key, msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT);

	assert_int_equal(unlink(key_path), 0);
	assert_int_equal(unlink(pub_path), 0);
	baton_key_wipe(&key);
}

static void non_regular_files_are_refused(void **state)
{
	baton_key key;
	uint8_t public_key[32];
	char fifo[256], msg[512];
	const fixture *f = *state;

	/* Opening a FIFO without a writer must not hang. */
	path_in(state, "fifo", fifo, sizeof(fifo));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(baton_key_file_read(fifo, &key, msg, sizeof(msg)), BATON_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "not a regular file"));
	assert_int_equal(baton_public_key_load(fifo, public_key, msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT);
	assert_int_equal(unlink(fifo), 0);
	assert_int_equal(baton_public_key_load(f->dir, public_key, msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT);
}

static void wipe_zeroes_both_halves(void **state)
{
	baton_key key;
	(void)state;
	assert_int_equal(baton_key_generate(&key), BATON_OK);
	assert_false(all_zero(key.secret_key, sizeof(key.secret_key)));
	baton_key_wipe(&key);
	assert_true(all_zero(&key, sizeof(key)));
	baton_key_wipe(NULL);
}

static int group_setup(void **state)
{
	static fixture f;
	strcpy(f.dir, "/tmp/baton-test-keys-XXXXXX");
	if (sodium_init() < 0 || mkdtemp(f.dir) == NULL)
		return -1;
	*state = &f;
	return 0;
}

/* Removes whatever a failed test left behind, then the directory. */
static int group_teardown(void **state)
{
	const fixture *f = *state;
	DIR *dir = opendir(f->dir);
	struct dirent *entry;
	char path[512];

	if (dir == NULL)
		return -1;
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, entry->d_name);
		(void)unlink(path);
	}
	(void)closedir(dir);
	return rmdir(f->dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generate_write_read_round_trip),
		cmocka_unit_test(known_vector_seed_1_to_32),
		cmocka_unit_test(formatted_key_is_51_characters),
		cmocka_unit_test(surrounding_whitespace_is_accepted),
		cmocka_unit_test(bad_printable_key_case_table),
		cmocka_unit_test(key_file_mode_is_0600_and_pub_file_0644),
		cmocka_unit_test(write_never_overwrites),
		cmocka_unit_test(write_refuses_bad_input_and_leaves_no_file),
		cmocka_unit_test(write_failure_removes_the_partial_file),
		cmocka_unit_test(read_mode_case_table),
		cmocka_unit_test(missing_file_is_not_found),
		cmocka_unit_test(messages_stay_on_one_line),
		cmocka_unit_test(malformed_key_file_case_table),
		cmocka_unit_test(key_file_size_limit),
		cmocka_unit_test(key_file_layouts_accepted),
		cmocka_unit_test(public_key_load_case_table),
		cmocka_unit_test(public_key_load_from_text_and_written_files),
		cmocka_unit_test(non_regular_files_are_refused),
		cmocka_unit_test(wipe_zeroes_both_halves),
	};
	return cmocka_run_group_tests_name("unit: keys", tests, group_setup, group_teardown);
}
