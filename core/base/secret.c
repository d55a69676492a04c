/*
 * secret - tokens, digests and the password KDF.
 *
 * scrypt at N = 2^15, r = 8, p = 3 is one of OWASP's equivalent settings
 * for password storage (2^17/8/1 uses 128 MiB per login; this uses 32 MiB
 * and three times the mixing). The parameters are stored with each hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/base/secret.h"

#define KDF_LOG_N 15
#define KDF_R 8
#define KDF_P 3
#define KDF_SALT 16
#define KDF_KEY 32
#define KDF_MAXMEM (64UL << 20)

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of n bytes into out (4n/3 + 2 bytes). */
static void
b64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	unsigned v;

	for (size_t i = 0; i < n; i += 3) {
		v = (unsigned)in[i] << 16;
		v |= i + 1 < n ? (unsigned)in[i + 1] << 8 : 0;
		v |= i + 2 < n ? in[i + 2] : 0;
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64url[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
}

/* The inverse; the number of bytes, or -1 for a character outside the alphabet. */
static int
b64url_decode(const char *in, unsigned char *out, size_t max)
{
	size_t n = 0, bits = 0;
	unsigned v = 0;
	const char *p;

	for (; *in != '\0'; in++) {
		if ((p = strchr(b64url, *in)) == NULL || *in == '\0')
			return (-1);
		v = (v << 6) | (unsigned)(p - b64url);
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n == max)
				return (-1);
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	return ((int)n);
}

int
secret_token(char *out, size_t len)
{
	unsigned char raw[32];

	if (len < SECRET_TOKEN_LEN + 1 || RAND_bytes(raw, sizeof(raw)) != 1)
		return (-1);
	memcpy(out, "lw_", 3);
	b64url_encode(raw, sizeof(raw), out + 3);
	OPENSSL_cleanse(raw, sizeof(raw));
	return (0);
}

int
secret_password(char *out, size_t len)
{
	unsigned char raw[15];

	if (len < 21 || RAND_bytes(raw, sizeof(raw)) != 1)
		return (-1);
	b64url_encode(raw, sizeof(raw), out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return (0);
}

void
secret_digest(const char *s, char *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	static const char hex[] = "0123456789abcdef";

	SHA256((const unsigned char *)s, strlen(s), md);
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * sizeof(md)] = '\0';
}

static int
kdf(const char *password, const unsigned char *salt, size_t saltlen, int log_n, int r, int p,
    unsigned char *key)
{
	return (EVP_PBE_scrypt(password, strlen(password), salt, saltlen, 1ULL << log_n,
	            (uint64_t)r, (uint64_t)p, KDF_MAXMEM, key, KDF_KEY) == 1
	        ? 0
	        : -1);
}

int
secret_hash(const char *password, char *out, size_t len)
{
	unsigned char salt[KDF_SALT], key[KDF_KEY];
	char s64[32], k64[48];

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    kdf(password, salt, sizeof(salt), KDF_LOG_N, KDF_R, KDF_P, key) == -1)
		return (-1);
	b64url_encode(salt, sizeof(salt), s64);
	b64url_encode(key, sizeof(key), k64);
	OPENSSL_cleanse(key, sizeof(key));
	if ((size_t)snprintf(out, len, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", KDF_LOG_N, KDF_R, KDF_P,
	        s64, k64) >= len)
		return (-1);
	return (0);
}

/* Split a stored hash; 0, or -1 when it is not one of ours (or its cost is out of bounds). */
static int
parse_stored(const char *stored, int *log_n, int *r, int *p, unsigned char *salt, int *saltlen,
    unsigned char *key)
{
	char s64[64], k64[64];

	if (stored == NULL ||
	    sscanf(stored, "$scrypt$ln=%d,r=%d,p=%d$%63[A-Za-z0-9_-]$%63[A-Za-z0-9_-]", log_n, r, p,
	        s64, k64) != 5)
		return (-1);
	if (*log_n < 10 || *log_n > 20 || *r < 1 || *r > 32 || *p < 1 || *p > 16)
		return (-1);
	if ((*saltlen = b64url_decode(s64, salt, KDF_SALT * 2)) < 8 ||
	    b64url_decode(k64, key, KDF_KEY) != KDF_KEY)
		return (-1);
	return (0);
}

bool
secret_verify(const char *password, const char *stored)
{
	unsigned char salt[KDF_SALT * 2], want[KDF_KEY], got[KDF_KEY];
	int log_n, r, p, saltlen;
	bool ok;

	if (parse_stored(stored, &log_n, &r, &p, salt, &saltlen, want) == -1) {
		/* The same work as a real check: no timing tells an unknown user apart. */
		memset(salt, 0, KDF_SALT);
		kdf(password, salt, KDF_SALT, KDF_LOG_N, KDF_R, KDF_P, got);
		return (false);
	}
	ok = kdf(password, salt, (size_t)saltlen, log_n, r, p, got) == 0 &&
	    CRYPTO_memcmp(got, want, KDF_KEY) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return (ok);
}

bool
secret_equal(const char *a, const char *b)
{
	char da[SECRET_DIGEST_LEN + 1], db[SECRET_DIGEST_LEN + 1];

	/* Digests first: equal lengths, so the comparison time tells nothing. */
	secret_digest(a, da);
	secret_digest(b, db);
	return (CRYPTO_memcmp(da, db, SECRET_DIGEST_LEN) == 0);
}
