/*
 * secret - the daemon's few cryptographic primitives, all from OpenSSL:
 * random tokens, the SHA-256 a token is stored as, the password KDF
 * (scrypt) with its parameters kept in the stored string so the cost can
 * rise later, and constant-time comparison. It stores nothing and knows no
 * user: labs/auth decides what is a password and what is a token.
 */
#ifndef LW_SECRET_H
#define LW_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* A token as handed out: "lw_" and 43 base64url characters (256 random bits). */
#define SECRET_TOKEN_LEN 46
/* A stored password hash: "$scrypt$ln=15,r=8,p=3$SALT$HASH" (base64). */
#define SECRET_HASH_MAX 160
/* The hex SHA-256 a token is stored as. */
#define SECRET_DIGEST_LEN 64

/* secret_token - a new random token into out (SECRET_TOKEN_LEN + 1 bytes); 0 or -1. */
int secret_token(char *out, size_t len);
/* secret_password - a random password of 20 base64url characters into out (>= 21 bytes). */
int secret_password(char *out, size_t len);
/* secret_digest - the hex SHA-256 of s into out (SECRET_DIGEST_LEN + 1 bytes). */
void secret_digest(const char *s, char *out);
/* secret_hash - the scrypt hash of password with a new salt into out; 0, or -1. */
int secret_hash(const char *password, char *out, size_t len);
/*
 * secret_verify - whether password matches stored (a secret_hash string),
 * compared in constant time. A malformed stored string never matches; a
 * NULL stored still costs one KDF run, so an unknown user takes as long.
 */
bool secret_verify(const char *password, const char *stored);
/* secret_equal - constant-time equality of two NUL-terminated strings. */
bool secret_equal(const char *a, const char *b);

#endif
