/* keys.h - Ed25519 key pairs of Baton principals and servers: files and printable public keys. */
#ifndef BATON_KEYS_H
#define BATON_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Contract
 * --------
 * - A baton_key is an Ed25519 signing key pair (libsodium crypto_sign).
 *   It identifies a principal (a person or an integration) or a batond
 *   server. It is never used for key exchange: the secure channel makes
 *   separate ephemeral X25519 keys per session.
 * - The printable public key is "ed25519:" followed by the 32 bytes in
 *   unpadded URL-safe base64 (43 characters): 51 characters in all.
 * - A key file is text, mode 0600, and holds both halves:
 *       # Baton Ed25519 key pair. Keep this file secret.
 *       public-key: ed25519:<43 characters>
 *       secret-key: ed25519-secret:<43 characters: the 32-byte seed>
 *   Lines starting with '#' and blank lines are ignored. A public-key file
 *   (".pub") holds just the printable public key on one line.
 * - Functions that can fail return a baton_status and, when msg is not
 *   NULL, write a one-line reason into msg[0..msg_len).
 * - Secret material is wiped (sodium_memzero) on every path; call
 *   baton_key_wipe() when done with a key.
 */

#define BATON_PUBLIC_KEY_BYTES 32
#define BATON_SECRET_KEY_BYTES 64 /* libsodium's seed || public key */
/* Room for the printable public key and its NUL. */
#define BATON_PUBLIC_KEY_TEXT 64

typedef struct baton_key {
	uint8_t public_key[BATON_PUBLIC_KEY_BYTES];
	uint8_t secret_key[BATON_SECRET_KEY_BYTES];
} baton_key;

/* Makes a fresh key pair from the system's random source. BATON_INTERNAL
 * only if libsodium cannot initialise. */
baton_status baton_key_generate(baton_key *key) __attribute__((warn_unused_result));

/* Wipes both halves. NULL is fine. */
void baton_key_wipe(baton_key *key);

/*
 * Writes key to a new file at path with mode 0600 (created with O_EXCL:
 * an existing file is never overwritten, BATON_ALREADY_EXISTS), flushed to
 * disk. comment (may be NULL) becomes a '#' line. BATON_UNAVAILABLE for
 * other file-system errors, with the path and errno text in msg.
 */
baton_status baton_key_file_write(const char *path, const baton_key *key, const char *comment,
    char *msg, size_t msg_len) __attribute__((warn_unused_result));

/*
 * Reads a key file. Refuses (BATON_PERMISSION_DENIED) a file that group or
 * others may read, like ssh does; BATON_INVALID_ARGUMENT for a file that is
 * not a key file or whose public key does not match its secret key;
 * BATON_NOT_FOUND if it does not exist.
 */
baton_status baton_key_file_read(const char *path, baton_key *key, char *msg, size_t msg_len)
    __attribute__((warn_unused_result));

/* Writes the printable public key ("ed25519:...") into out, which has
 * room for BATON_PUBLIC_KEY_TEXT bytes. */
void baton_public_key_format(const uint8_t public_key[BATON_PUBLIC_KEY_BYTES],
    char out[BATON_PUBLIC_KEY_TEXT]);

/* Parses a printable public key (surrounding white space allowed).
 * BATON_INVALID_ARGUMENT if it is not one. */
baton_status baton_public_key_parse(const char *text, uint8_t public_key[BATON_PUBLIC_KEY_BYTES])
    __attribute__((warn_unused_result));

/*
 * Loads a public key given either as the printable text itself or as the
 * path of a file that holds it (a ".pub" file, or the "public-key:" line of
 * a key file; the secret half, if present, is not read). Errors as for
 * baton_public_key_parse() and baton_key_file_read().
 */
baton_status baton_public_key_load(const char *text_or_path,
    uint8_t public_key[BATON_PUBLIC_KEY_BYTES], char *msg, size_t msg_len)
    __attribute__((warn_unused_result));

/* Writes the printable public key plus a newline to a new file at path,
 * mode 0644, never overwriting (BATON_ALREADY_EXISTS). */
baton_status baton_public_key_file_write(const char *path,
    const uint8_t public_key[BATON_PUBLIC_KEY_BYTES], char *msg, size_t msg_len)
    __attribute__((warn_unused_result));

#ifdef __cplusplus
}
#endif
#endif
