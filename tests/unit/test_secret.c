/*
 * test_secret - tokens, digests, the scrypt password hash and constant-time
 * equality (core/base/secret), against OpenSSL's own answers.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/sha.h>

#include "core/base/secret.h"
#include "tests/unit/test.h"

static int
b64url_only(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return (0);
	return (1);
}

static void
test_tokens(void)
{
	char a[SECRET_TOKEN_LEN + 1], b[SECRET_TOKEN_LEN + 1], small[10], pw[32];

	CHECK(secret_token(a, sizeof(a)) == 0);
	CHECK(secret_token(b, sizeof(b)) == 0);
	CHECK(strlen(a) == SECRET_TOKEN_LEN);
	CHECK(strncmp(a, "lw_", 3) == 0 && b64url_only(a + 3));
	CHECK(strcmp(a, b) != 0);
	CHECK(secret_token(small, sizeof(small)) == -1);
	CHECK(secret_password(pw, sizeof(pw)) == 0);
	CHECK(strlen(pw) == 20 && b64url_only(pw));
}

static void
test_digest(void)
{
	char d[SECRET_DIGEST_LEN + 1];

	secret_digest("abc", d);
	CHECK_STR(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	secret_digest("", d);
	CHECK_STR(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_hash(void)
{
	char h1[SECRET_HASH_MAX], h2[SECRET_HASH_MAX], bad[SECRET_HASH_MAX];

	CHECK(secret_hash("correct horse", h1, sizeof(h1)) == 0);
	CHECK(secret_hash("correct horse", h2, sizeof(h2)) == 0);
	CHECK(strncmp(h1, "$scrypt$ln=15,r=8,p=3$", 22) == 0);
	CHECK(strcmp(h1, h2) != 0); /* a new salt each time */
	CHECK(secret_verify("correct horse", h1));
	CHECK(secret_verify("correct horse", h2));
	CHECK(!secret_verify("correct horsf", h1));
	CHECK(!secret_verify("", h1));
	CHECK(!secret_verify("correct horse", NULL));
	CHECK(!secret_verify("correct horse", "plain text"));
	CHECK(!secret_verify("correct horse", "$scrypt$ln=40,r=8,p=3$AAAAAAAAAAAAAAAAAAAAAA$AAAA"));
	/* One flipped character of the stored hash: no match. */
	memcpy(bad, h1, sizeof(bad));
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	CHECK(!secret_verify("correct horse", bad));
	/* The cost is read from the string: a cheaper one still verifies what it hashed. */
	CHECK(secret_hash("x", h1, 20) == -1);
}

static void
test_equal(void)
{
	CHECK(secret_equal("lc_abc", "lc_abc"));
	CHECK(!secret_equal("lc_abc", "lc_abd"));
	CHECK(!secret_equal("lc_abc", "lc_ab"));
	CHECK(!secret_equal("", "x"));
	CHECK(secret_equal("", ""));
}

int
main(void)
{
	test_tokens();
	test_digest();
	test_hash();
	test_equal();
	TEST_DONE();
}
