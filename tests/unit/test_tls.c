/*
 * test_tls - the daemon's own certificate (made, reused, renewed), a given
 * pair (checked), and the host names a certificate is made for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/base/err.h"
#include "core/base/hostnames.h"
#include "core/base/paths.h"
#include "web/tls.h"
#include "tests/unit/test.h"

static char *const test_names[] = {"localhost", "127.0.0.1", "::1", "lab.example", NULL};

static int
file_mode(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	return (stat(path, &st) == -1 ? -1 : (int)(st.st_mode & 07777));
}

static char *
file_read(const char *dir, const char *name)
{
	char path[512], *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	if (getdelim(&buf, &len, '\0', f) == -1) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return (buf);
}

static int
file_write(const char *dir, const char *name, const char *data, mode_t mode)
{
	char path[512];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		return (-1);
	fputs(data, f);
	return (fclose(f) == 0 ? 0 : -1);
}

static X509 *
pem_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return (x);
}

/* verify_err - X509_V_OK when cert, trusted as its own anchor, verifies for host as a TLS server.
 */
static int
verify_err(X509 *cert, const char *host, unsigned long flags)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err = -1;

	if (store != NULL && ctx != NULL && X509_STORE_add_cert(store, cert) == 1 &&
	    X509_STORE_CTX_init(ctx, store, cert, NULL) == 1) {
		X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);

		X509_VERIFY_PARAM_set_flags(param, flags);
		X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
		if (hostnames_is_ip(host))
			X509_VERIFY_PARAM_set1_ip_asc(param, host);
		else
			X509_VERIFY_PARAM_set1_host(param, host, 0);
		err = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return (err);
}

static void
check_cert(const char *pem)
{
	X509 *x = pem_cert(pem);
	char cn[128] = "";
	const ASN1_INTEGER *serial;

	CHECK(x != NULL);
	if (x == NULL)
		return;
	CHECK(X509_get_version(x) == X509_VERSION_3);
	CHECK(X509_verify(x, X509_get0_pubkey(x)) == 1); /* self-signed */
	CHECK((X509_get_extension_flags(x) & EXFLAG_SS) != 0);
	CHECK(EVP_PKEY_is_a(X509_get0_pubkey(x), "EC"));
	CHECK(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) >
	    0);
	CHECK_STR(cn, "localhost");
	CHECK(X509_check_host(x, "localhost", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1);
	CHECK(X509_check_host(x, "lab.example", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1);
	CHECK(X509_check_host(x, "other.example", 0, 0, NULL) != 1);
	CHECK(X509_check_ip_asc(x, "127.0.0.1", 0) == 1);
	CHECK(X509_check_ip_asc(x, "::1", 0) == 1);
	CHECK(X509_check_ip_asc(x, "10.9.9.9", 0) != 1);
	CHECK(X509_check_ca(x) == 0); /* a leaf */
	CHECK((X509_get_extended_key_usage(x) & XKU_SSL_SERVER) != 0);
	serial = X509_get0_serialNumber(x);
	CHECK(ASN1_STRING_length(serial) >= 15 && ASN1_STRING_length(serial) <= 17);
	/* notAfter ~397 days away, notBefore in the past. */
	CHECK(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
	{
		time_t t396 = time(NULL) + 396 * 86400, t398 = time(NULL) + 398 * 86400;

		CHECK(X509_cmp_time(X509_get0_notAfter(x), &t396) > 0);
		CHECK(X509_cmp_time(X509_get0_notAfter(x), &t398) < 0);
	}
	/* What curl --cacert and Python's ssl do: trust it as its own anchor. */
	CHECK(verify_err(x, "127.0.0.1", 0) == X509_V_OK);
	CHECK(verify_err(x, "::1", 0) == X509_V_OK);
	CHECK(verify_err(x, "lab.example", X509_V_FLAG_X509_STRICT) == X509_V_OK);
	CHECK(verify_err(x, "other.example", 0) == X509_V_ERR_HOSTNAME_MISMATCH);
	X509_free(x);
}

/* pair_make - a self-signed P-256 pair valid from days_from to days_to (from now), as PEM. */
static void
pair_make(long days_from, long days_to, char **cert_pem, char **key_pem)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	char *d;
	long n;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), days_from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), days_to * 86400);
	X509_NAME_add_entry_by_NID(X509_get_subject_name(x), NID_commonName, MBSTRING_ASC,
	    (unsigned char *)"old", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	PEM_write_bio_X509(cb, x);
	PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(cb, &d);
	*cert_pem = strndup(d, (size_t)n);
	n = BIO_get_mem_data(kb, &d);
	*key_pem = strndup(d, (size_t)n);
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* test_renew - an own pair that expired, expires soon, or is no pair is replaced. */
static void
test_renew(const char *data, long days_from, long days_to, bool mismatch)
{
	char *old_cert, *old_key, *other_cert, *other_key, *cert = NULL, *key = NULL;
	struct lw_err e = {0};

	pair_make(days_from, days_to, &old_cert, &old_key);
	pair_make(-1, 100, &other_cert, &other_key);
	CHECK(file_write(data, "/tls/cert.pem", old_cert, 0644) == 0);
	CHECK(file_write(data, "/tls/key.pem", mismatch ? other_key : old_key, 0600) == 0);
	CHECK(tls_load(data, NULL, NULL, test_names, &cert, &key, &e) == 0);
	CHECK(cert != NULL && strcmp(cert, old_cert) != 0);
	CHECK(key != NULL && strcmp(key, old_key) != 0 && strcmp(key, other_key) != 0);
	if (cert != NULL)
		check_cert(cert);
	tls_free(cert, key);
	tls_free(old_cert, old_key);
	tls_free(other_cert, other_key);
}

static void
test_own(const char *data, const char *other)
{
	char *cert = NULL, *key = NULL, *cert2 = NULL, *key2 = NULL, *f, key_path[512];
	char *const more_names[] = {"localhost", "127.0.0.1", "::1", "new.example", NULL};
	struct lw_err e = {0};

	snprintf(key_path, sizeof(key_path), "%s/tls/key.pem", data);
	CHECK(tls_load(data, NULL, NULL, test_names, &cert, &key, &e) == 0);
	CHECK(cert != NULL && key != NULL);
	if (cert == NULL || key == NULL)
		return;
	CHECK(file_mode(data, "/tls") == 0700);
	CHECK(file_mode(data, "/tls/key.pem") == 0600);
	CHECK(file_mode(data, "/tls/cert.pem") == 0644);
	CHECK(file_mode(data, "/tls/.key.pem.tmp") == -1 && errno == ENOENT);
	CHECK_STR(f = file_read(data, "/tls/cert.pem"), cert);
	free(f);
	CHECK_STR(f = file_read(data, "/tls/key.pem"), key);
	free(f);
	CHECK(strncmp(key, "-----BEGIN PRIVATE KEY-----", 27) == 0);
	check_cert(cert);

	/* Reused as it is, even for other names; a key readable by others is made private. */
	CHECK(chmod(key_path, 0644) == 0);
	CHECK(tls_load(data, NULL, NULL, more_names, &cert2, &key2, &e) == 0);
	CHECK_STR(cert2, cert);
	CHECK_STR(key2, key);
	CHECK(file_mode(data, "/tls/key.pem") == 0600);
	tls_free(cert2, key2);

	/* A second data dir makes a pair of its own. */
	CHECK(tls_load(other, NULL, NULL, test_names, &cert2, &key2, &e) == 0);
	CHECK(cert2 != NULL && strcmp(cert2, cert) != 0);
	CHECK(key2 != NULL && strcmp(key2, key) != 0);
	tls_free(cert2, key2);
	tls_free(cert, key);
}

static void
test_given(const char *data, const char *other, const char *elsewhere)
{
	char cert_path[512], key_path[512], other_key[512], *cert = NULL, *key = NULL;
	char *f, *old_cert, *old_key;
	struct lw_err e = {0};

	snprintf(cert_path, sizeof(cert_path), "%s/c.pem", elsewhere);
	snprintf(key_path, sizeof(key_path), "%s/k.pem", elsewhere);
	snprintf(other_key, sizeof(other_key), "%s/tls/key.pem", other);
	f = file_read(data, "/tls/cert.pem");
	CHECK(f != NULL && file_write(elsewhere, "/c.pem", f, 0644) == 0);
	free(f);
	f = file_read(data, "/tls/key.pem");
	CHECK(f != NULL && file_write(elsewhere, "/k.pem", f, 0600) == 0);
	CHECK(tls_load(elsewhere, cert_path, key_path, NULL, &cert, &key, &e) == 0);
	CHECK_STR(key, f);
	free(f);
	tls_free(cert, key);
	CHECK(file_mode(elsewhere, "/tls") == -1); /* a given pair makes nothing */

	/* The key of another pair. */
	e.code = 0;
	CHECK(tls_load(data, cert_path, other_key, NULL, &cert, &key, &e) == -1);
	CHECK(e.code == ERR_INVALID && strstr(e.msg, other_key) != NULL);
	CHECK(cert == NULL && key == NULL);

	/* One of the two. */
	e.code = 0;
	CHECK(tls_load(data, cert_path, NULL, NULL, &cert, &key, &e) == -1);
	CHECK(e.code == ERR_INVALID);
	CHECK_STR(e.msg, "--tls-cert and --tls-key go together");
	CHECK(tls_load(data, NULL, key_path, NULL, &cert, &key, &e) == -1);

	/* Missing, not PEM, expired. */
	e.code = 0;
	CHECK(tls_load(data, "/nonexistent/c.pem", key_path, NULL, &cert, &key, &e) == -1);
	CHECK(e.code == ERR_INVALID && strstr(e.msg, "/nonexistent/c.pem") != NULL);
	CHECK(tls_load(data, key_path, key_path, NULL, &cert, &key, &e) == -1);
	CHECK(strstr(e.msg, "not a PEM certificate") != NULL);
	CHECK(tls_load(data, cert_path, cert_path, NULL, &cert, &key, &e) == -1);
	CHECK(strstr(e.msg, "private key") != NULL);
	pair_make(-30, -1, &old_cert, &old_key);
	CHECK(file_write(elsewhere, "/c.pem", old_cert, 0644) == 0);
	CHECK(file_write(elsewhere, "/k.pem", old_key, 0600) == 0);
	CHECK(tls_load(data, cert_path, key_path, NULL, &cert, &key, &e) == -1);
	CHECK(e.code == ERR_INVALID && strstr(e.msg, "expired") != NULL);
	tls_free(old_cert, old_key);
}

static bool
has(char **v, const char *s)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return (true);
	return (false);
}

static bool
unique(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		for (size_t j = i + 1; v[j] != NULL; j++)
			if (strcasecmp(v[i], v[j]) == 0)
				return (false);
	return (true);
}

static void
test_hostnames(void)
{
	char **v = hostnames_list(NULL);

	CHECK(v != NULL);
	CHECK(v != NULL && strcmp(v[0], "localhost") == 0);
	CHECK(has(v, "127.0.0.1") && has(v, "::1"));
	CHECK(unique(v));
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		CHECK(strncasecmp(v[i], "fe80:", 5) != 0 && strchr(v[i], '[') == NULL);
	hostnames_free(v);

	v = hostnames_list("10.1.2.3");
	CHECK(has(v, "10.1.2.3") && unique(v));
	hostnames_free(v);
	v = hostnames_list("0.0.0.0");
	CHECK(v != NULL && !has(v, "0.0.0.0") && !has(v, ""));
	hostnames_free(v);
	v = hostnames_list("::");
	CHECK(v != NULL && !has(v, "::"));
	hostnames_free(v);
	v = hostnames_list("127.0.0.1"); /* already there: once */
	CHECK(unique(v));
	hostnames_free(v);
	v = hostnames_list("0:0::1"); /* ::1 written otherwise */
	CHECK(unique(v) && !has(v, "0:0::1"));
	hostnames_free(v);
	v = hostnames_list("Lab.Example");
	CHECK(has(v, "Lab.Example"));
	hostnames_free(v);

	CHECK(hostnames_is_ip("127.0.0.1"));
	CHECK(hostnames_is_ip("::1"));
	CHECK(hostnames_is_ip("2001:db8::5"));
	CHECK(!hostnames_is_ip("localhost"));
	CHECK(!hostnames_is_ip("10.1.2"));
	CHECK(!hostnames_is_ip("[::1]"));
	CHECK(!hostnames_is_ip(""));
	CHECK(!hostnames_is_ip(NULL));
}

int
main(void)
{
	char data[] = "/tmp/lwtlstest.XXXXXX", other[] = "/tmp/lwtlstest.XXXXXX";
	char elsewhere[] = "/tmp/lwtlstest.XXXXXX";

	CHECK(mkdtemp(data) != NULL && mkdtemp(other) != NULL && mkdtemp(elsewhere) != NULL);
	test_own(data, other);
	test_given(data, other, elsewhere);
	test_renew(data, -30, -1, false); /* expired */
	test_renew(data, -30, 3, false);  /* expires within 7 days */
	test_renew(data, -30, 100, true); /* a key that is not the certificate's */
	test_hostnames();
	paths_rmtree(data);
	paths_rmtree(other);
	paths_rmtree(elsewhere);
	TEST_DONE();
}
