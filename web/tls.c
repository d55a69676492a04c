/*
 * tls - the server's certificate and key. The self-signed certificate is a
 * leaf (CA:FALSE), which curl, Python and Node accept as their own trust
 * anchor with --cacert / cafile; Firefox refuses a CA certificate used as a
 * server's, so CA:TRUE is not used.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/base/hostnames.h"
#include "core/base/log.h"
#include "core/base/paths.h"
#include "web/tls.h"

#define TLS_FILE_MAX (1024 * 1024) /* a PEM chain is a few KB; this bounds a wrong file */
#define TLS_DAYS 397               /* the longest validity browsers accept */
#define TLS_RENEW_SECS (7 * 24 * 3600)
#define TLS_CN_MAX 64 /* ub-common-name (RFC 5280) */

/* A certificate and its key, as PEM text and parsed. */
struct tls_pair {
	char *cert_pem;
	char *key_pem;
	X509 *cert;
	EVP_PKEY *key;
};

static void
tls_wipe(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void
tls_pair_free(struct tls_pair *p)
{
	free(p->cert_pem);
	tls_wipe(p->key_pem);
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
	memset(p, 0, sizeof(*p));
}

/* tls_ssl_err - e = the message, then OpenSSL's first queued error; clears the queue; -1. */
static int __attribute__((format(printf, 3, 4)))
tls_ssl_err(struct lw_err *e, int code, const char *fmt, ...)
{
	unsigned long err = ERR_get_error();
	char what[160], why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err == 0)
		snprintf(why, sizeof(why), "no detail from OpenSSL");
	else
		ERR_error_string_n(err, why, sizeof(why));
	ERR_clear_error();
	return (err_set(e, code, "%s (%s)", what, why));
}

/*
 * tls_read - the whole file at path, NUL-terminated, into *out; 0, or -1
 * with errno (EFBIG over TLS_FILE_MAX). The buffer is sized once, so no
 * copy of a key is left behind by a realloc.
 */
static int
tls_read(const char *path, char **out)
{
	struct stat st;
	size_t len = 0;
	ssize_t n = 0;
	char *buf;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1)
		goto fail;
	if (st.st_size > TLS_FILE_MAX || !S_ISREG(st.st_mode)) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (len < (size_t)st.st_size &&
	    (n = TEMP_FAILURE_RETRY(read(fd, buf + len, (size_t)st.st_size - len))) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	if (n == -1) {
		saved = errno;
		OPENSSL_cleanse(buf, len);
		free(buf);
		errno = saved;
		goto fail;
	}
	close(fd);
	*out = buf;
	return (0);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/* tls_no_passphrase - the PEM password callback: an encrypted key is refused, never prompted for.
 */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return (-1);
}

/* tls_pair_parse - parse p's PEM text (read from cert_path, key_path) and check they are a pair. */
static int
tls_pair_parse(struct tls_pair *p, const char *cert_path, const char *key_path, struct lw_err *e)
{
	BIO *bio;

	if ((bio = BIO_new_mem_buf(p->cert_pem, -1)) == NULL)
		return (tls_ssl_err(e, ERR_INTERNAL, "%s", cert_path));
	p->cert = PEM_read_bio_X509(bio, NULL, tls_no_passphrase, NULL);
	BIO_free(bio);
	if (p->cert == NULL)
		return (tls_ssl_err(e, ERR_INVALID, "%s: not a PEM certificate", cert_path));
	if ((bio = BIO_new_mem_buf(p->key_pem, -1)) == NULL)
		return (tls_ssl_err(e, ERR_INTERNAL, "%s", key_path));
	p->key = PEM_read_bio_PrivateKey(bio, NULL, tls_no_passphrase, NULL);
	BIO_free(bio);
	if (p->key == NULL)
		return (tls_ssl_err(
		    e, ERR_INVALID, "%s: not an unencrypted PEM private key", key_path));
	if (X509_check_private_key(p->cert, p->key) != 1)
		return (tls_ssl_err(e, ERR_INVALID, "%s is not the key of the certificate in %s",
		    key_path, cert_path));
	return (0);
}

/* tls_pair_read - read and parse the pair in cert_path and key_path; 0, or -1 with e. */
static int
tls_pair_read(struct tls_pair *p, const char *cert_path, const char *key_path, struct lw_err *e)
{
	if (tls_read(cert_path, &p->cert_pem) == -1)
		return (err_set(e, ERR_INVALID, "cannot read %s: %s", cert_path, strerror(errno)));
	if (tls_read(key_path, &p->key_pem) == -1)
		return (err_set(e, ERR_INVALID, "cannot read %s: %s", key_path, strerror(errno)));
	return (tls_pair_parse(p, cert_path, key_path, e));
}

/* tls_time - an ASN1 time as "YYYY-MM-DD HH:MM UTC" for messages. */
static const char *
tls_time(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "(unreadable date)");
	return (buf);
}

/* tls_expires_within - true when cert's notAfter is less than secs away (or unreadable). */
static bool
tls_expires_within(X509 *cert, time_t secs)
{
	time_t when = time(NULL) + secs;

	return (X509_cmp_time(X509_get0_notAfter(cert), &when) <= 0);
}

/* tls_hand_out - move p's PEM text to the caller. */
static int
tls_hand_out(struct tls_pair *p, char **cert_pem, char **key_pem)
{
	*cert_pem = p->cert_pem;
	*key_pem = p->key_pem;
	p->cert_pem = p->key_pem = NULL;
	tls_pair_free(p);
	return (0);
}

/* tls_load_given - the pair the user named, checked. */
static int
tls_load_given(
    const char *cert_file, const char *key_file, char **cert_pem, char **key_pem, struct lw_err *e)
{
	struct tls_pair p = {0};
	char when[64];

	if (tls_pair_read(&p, cert_file, key_file, e) == -1)
		goto fail;
	if (tls_expires_within(p.cert, 0)) {
		err_set(e, ERR_INVALID, "%s: the certificate expired on %s", cert_file,
		    tls_time(X509_get0_notAfter(p.cert), when, sizeof(when)));
		goto fail;
	}
	if (tls_expires_within(p.cert, TLS_RENEW_SECS))
		log_warnx("tls: the certificate in %s expires on %s", cert_file,
		    tls_time(X509_get0_notAfter(p.cert), when, sizeof(when)));
	return (tls_hand_out(&p, cert_pem, key_pem));
fail:
	tls_pair_free(&p);
	return (-1);
}

/* tls_dns_ok - a name a DNS subjectAltName can carry: letters, digits, '-', '.', '_', '*'. */
static bool
tls_dns_ok(const char *s)
{
	if (*s == '\0')
		return (false);
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || strchr("-._*", *s) != NULL))
			return (false);
	return (true);
}

/* tls_san_add - one name to gens: an IP entry for an address, else a DNS one. */
static int
tls_san_add(GENERAL_NAMES *gens, const char *name)
{
	GENERAL_NAME *gen;
	ASN1_IA5STRING *dns;

	if (hostnames_is_ip(name)) {
		if ((gen = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD, name, 0)) == NULL)
			return (-1);
	} else {
		if ((gen = GENERAL_NAME_new()) == NULL || (dns = ASN1_IA5STRING_new()) == NULL)
			goto fail;
		GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
		if (ASN1_STRING_set(dns, name, -1) != 1)
			goto fail;
	}
	if (sk_GENERAL_NAME_push(gens, gen) > 0)
		return (0);
fail:
	GENERAL_NAME_free(gen);
	return (-1);
}

/*
 * tls_san - the subjectAltName extension for names. Built entry by entry,
 * not from a "DNS:a,IP:b" string, so that no name is read as syntax; a name
 * that is neither an address nor a DNS name is left out.
 */
static int
tls_san(X509 *cert, char *const *names)
{
	GENERAL_NAMES *gens;
	int r = -1;

	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		return (-1);
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		if (!hostnames_is_ip(names[i]) && !tls_dns_ok(names[i])) {
			log_info("tls: '%s' is no DNS name; left out of the certificate", names[i]);
			continue;
		}
		if (tls_san_add(gens, names[i]) == -1)
			goto out;
	}
	if (sk_GENERAL_NAME_num(gens) > 0 &&
	    X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	r = 0;
out:
	GENERAL_NAMES_free(gens);
	return (r);
}

/* tls_exts - the fixed extensions of a server leaf; the key identifiers need the public key set. */
static int
tls_exts(X509 *cert)
{
	static const struct {
		int nid;
		const char *value;
	} exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "serverAuth"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	};
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, exts[i].nid, exts[i].value);
		int ok = ext != NULL && X509_add_ext(cert, ext, -1) == 1;

		X509_EXTENSION_free(ext);
		if (!ok)
			return (-1);
	}
	return (0);
}

/* tls_serial - a random positive 128-bit serial number. */
static int
tls_serial(X509 *cert)
{
	unsigned char raw[16];
	BIGNUM *bn;
	int r = -1;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return (-1);
	raw[0] |= 0x01; /* never zero, which RFC 5280 forbids */
	if ((bn = BN_bin2bn(raw, sizeof(raw), NULL)) == NULL)
		return (-1);
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL)
		r = 0;
	BN_free(bn);
	return (r);
}

/* tls_cn - the first name that is not an address and fits a CN, or "labwire". */
static const char *
tls_cn(char *const *names)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		if (!hostnames_is_ip(names[i]) && tls_dns_ok(names[i]) &&
		    strlen(names[i]) <= TLS_CN_MAX)
			return (names[i]);
	return ("labwire");
}

/* tls_cert_new - a self-signed certificate for key, naming names. */
static X509 *
tls_cert_new(EVP_PKEY *key, char *const *names)
{
	X509 *cert;
	X509_NAME *subj;

	if ((cert = X509_new()) == NULL)
		return (NULL);
	subj = X509_get_subject_name(cert);
	if (X509_set_version(cert, X509_VERSION_3) != 1 || tls_serial(cert) == -1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), TLS_DAYS, 0, NULL) == NULL ||
	    X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_ASC,
	        (const unsigned char *)tls_cn(names), -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, subj) != 1 || X509_set_pubkey(cert, key) != 1 ||
	    tls_exts(cert) == -1 || tls_san(cert, names) == -1 ||
	    X509_sign(cert, key, EVP_sha256()) <= 0) {
		X509_free(cert);
		return (NULL);
	}
	return (cert);
}

/* tls_bio_string - a memory BIO's contents as a malloc'd string; NULL when out of memory. */
static char *
tls_bio_string(BIO *bio)
{
	char *data, *s;
	long len = BIO_get_mem_data(bio, &data);

	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return (NULL);
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	return (s);
}

/* tls_pem - p's certificate and key as PEM text (the key as unencrypted PKCS#8). */
static int
tls_pem(struct tls_pair *p)
{
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_secmem());
	int r = -1;

	if (cb != NULL && kb != NULL && PEM_write_bio_X509(cb, p->cert) == 1 &&
	    PEM_write_bio_PrivateKey(kb, p->key, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (p->cert_pem = tls_bio_string(cb)) != NULL && (p->key_pem = tls_bio_string(kb)) != NULL)
		r = 0;
	BIO_free(cb);
	BIO_free(kb);
	return (r);
}

/* tls_make - a new P-256 key and a self-signed certificate for names into p; 0, or -1 with e. */
static int
tls_make(struct tls_pair *p, char *const *names, struct lw_err *e)
{
	if ((p->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return (tls_ssl_err(e, ERR_INTERNAL, "cannot make a P-256 key"));
	if ((p->cert = tls_cert_new(p->key, names)) == NULL)
		return (tls_ssl_err(e, ERR_INTERNAL, "cannot make a certificate"));
	if (tls_pem(p) == -1)
		return (tls_ssl_err(e, ERR_INTERNAL, "cannot write the certificate as PEM"));
	return (0);
}

/* tls_write_all - write len bytes of data to fd; 0, or -1 with errno. */
static int
tls_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = TEMP_FAILURE_RETRY(write(fd, data, len));

		if (n == -1)
			return (-1);
		data += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * tls_write - data to dir/name through dir/.name.tmp and a rename, so a
 * reader sees the old file or the new, never half of one. The temporary file
 * is created with mode (0600 for the key) so that no moment finds it readable
 * by others; fchmod makes the mode exact whatever the umask.
 */
static int
tls_write(const char *dir, const char *name, const char *data, mode_t mode, struct lw_err *e)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd, n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);

	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    (n = snprintf(path, sizeof(path), "%s/%s", dir, name)) < 0 || (size_t)n >= sizeof(path))
		return (err_set(e, ERR_INTERNAL, "%s: path too long", dir));
	(void)unlink(tmp); /* left over from a crash */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd == -1)
		return (err_set(e, ERR_INTERNAL, "cannot create %s: %s", tmp, strerror(errno)));
	if (fchmod(fd, mode) == -1 || tls_write_all(fd, data, strlen(data)) == -1 ||
	    fsync(fd) == -1) {
		err_set(e, ERR_INTERNAL, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		err_set(e, ERR_INTERNAL, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	return (0);
fail:
	(void)unlink(tmp);
	return (-1);
}

/* tls_sync_dir - make the renames in dir durable. */
static void
tls_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return;
	if (fsync(fd) == -1)
		log_warn("tls: fsync %s", dir);
	close(fd);
}

/* tls_dir - make DATA_DIR/tls, mode 0700 (tightened when it exists looser). */
static int
tls_dir(const char *dir, struct lw_err *e)
{
	struct stat st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return (err_set(e, ERR_INTERNAL, "cannot make %s: %s", dir, strerror(errno)));
	if (lstat(dir, &st) == -1)
		return (err_set(e, ERR_INTERNAL, "%s: %s", dir, strerror(errno)));
	if (!S_ISDIR(st.st_mode))
		return (err_set(e, ERR_INTERNAL, "%s is not a directory", dir));
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) == -1)
		return (err_set(e, ERR_INTERNAL, "cannot chmod %s: %s", dir, strerror(errno)));
	return (0);
}

/* tls_log_missing - log the names cert does not carry (it is kept all the same). */
static void
tls_log_missing(X509 *cert, const char *path, char *const *names)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		int r = hostnames_is_ip(names[i])
		    ? X509_check_ip_asc(cert, names[i], 0)
		    : X509_check_host(cert, names[i], 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL);

		if (r != 1)
			log_info("tls: %s does not name %s (remove it to have a new one made)",
			    path, names[i]);
	}
	ERR_clear_error();
}

/* tls_key_private - tighten a key file others may read (copied in, or an old umask) to 0600. */
static void
tls_key_private(const char *key_path)
{
	struct stat st;

	if (stat(key_path, &st) == 0 && (st.st_mode & 077) != 0) {
		if (chmod(key_path, 0600) == -1)
			log_warn("tls: chmod 0600 %s", key_path);
		else
			log_info("tls: %s was readable by others; now 0600", key_path);
	}
}

/*
 * tls_reuse - the pair in cert_path and key_path when it can serve: a pair,
 * valid for more than TLS_RENEW_SECS. 0, or -1 with *why (and p emptied).
 */
static int
tls_reuse(struct tls_pair *p, const char *cert_path, const char *key_path, struct lw_err *why)
{
	char when[64];

	if (access(cert_path, F_OK) == -1 && access(key_path, F_OK) == -1 && errno == ENOENT) {
		err_set(why, ERR_NOT_FOUND, "none yet");
		goto fail;
	}
	if (tls_pair_read(p, cert_path, key_path, why) == -1)
		goto fail;
	tls_key_private(key_path);
	if (tls_expires_within(p->cert, TLS_RENEW_SECS)) {
		err_set(why, ERR_INVALID, "it expires on %s",
		    tls_time(X509_get0_notAfter(p->cert), when, sizeof(when)));
		goto fail;
	}
	return (0);
fail:
	tls_pair_free(p);
	return (-1);
}

/* tls_names_text - names as "a, b, c" for a log line, cut short at len. */
static const char *
tls_names_text(char *const *names, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; names != NULL && names[i] != NULL && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", names[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	return (buf[0] != '\0' ? buf : "no names");
}

/* tls_replace - make a new pair into p and write it to dir. */
static int
tls_replace(struct tls_pair *p, const char *dir, char *const *names, struct lw_err *e)
{
	char when[64], text[512];

	if (tls_make(p, names, e) == -1)
		return (-1);
	/* The key first: a crash between the two renames leaves a mismatch, which is renewed. */
	if (tls_write(dir, "key.pem", p->key_pem, 0600, e) == -1 ||
	    tls_write(dir, "cert.pem", p->cert_pem, 0644, e) == -1)
		return (-1);
	tls_sync_dir(dir);
	log_info("tls: made a self-signed certificate %s/cert.pem (key %s/key.pem), valid until "
	         "%s, for %s",
	    dir, dir, tls_time(X509_get0_notAfter(p->cert), when, sizeof(when)),
	    tls_names_text(names, text, sizeof(text)));
	return (0);
}

/* tls_load_own - DATA_DIR/tls/{cert,key}.pem, made or renewed when they cannot serve. */
static int
tls_load_own(
    const char *data_dir, char *const *names, char **cert_pem, char **key_pem, struct lw_err *e)
{
	char dir[PATH_MAX], cert_path[PATH_MAX], key_path[PATH_MAX];
	struct tls_pair p = {0};
	struct lw_err why = {0};

	if ((size_t)snprintf(dir, sizeof(dir), "%s/tls", data_dir) >= sizeof(dir) - 16)
		return (err_set(e, ERR_INTERNAL, "%s: path too long", data_dir));
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	if (paths_mkdir_p(data_dir) == -1)
		return (err_set(e, ERR_INTERNAL, "cannot make %s: %s", data_dir, strerror(errno)));
	if (tls_dir(dir, e) == -1)
		return (-1);
	if (tls_reuse(&p, cert_path, key_path, &why) == 0) {
		tls_log_missing(p.cert, cert_path, names);
		return (tls_hand_out(&p, cert_pem, key_pem));
	}
	if (why.code != ERR_NOT_FOUND)
		log_info("tls: replacing %s: %s", cert_path, why.msg);
	if (tls_replace(&p, dir, names, e) == -1) {
		tls_pair_free(&p);
		return (-1);
	}
	return (tls_hand_out(&p, cert_pem, key_pem));
}

int
tls_load(const char *data_dir, const char *cert_file, const char *key_file, char *const *names,
    char **cert_pem, char **key_pem, struct lw_err *e)
{
	bool have_cert = cert_file != NULL && *cert_file != '\0';
	bool have_key = key_file != NULL && *key_file != '\0';

	*cert_pem = *key_pem = NULL;
	if (have_cert != have_key)
		return (err_set(e, ERR_INVALID, "--tls-cert and --tls-key go together"));
	if (have_cert)
		return (tls_load_given(cert_file, key_file, cert_pem, key_pem, e));
	if (data_dir == NULL || *data_dir == '\0')
		return (err_set(e, ERR_INTERNAL, "tls: no data directory for the certificate"));
	return (tls_load_own(data_dir, names, cert_pem, key_pem, e));
}

void
tls_free(char *cert_pem, char *key_pem)
{
	free(cert_pem);
	tls_wipe(key_pem);
}
