/*
 * tls - the server's certificate and key as PEM text: a pair the user gave
 * (--tls-cert, --tls-key), checked, or else the daemon's own self-signed pair
 * in DATA_DIR/tls, made on first use and renewed before it expires. It reads
 * and writes those files only: it opens no socket and configures no TLS
 * library (web/server hands the PEM to libmicrohttpd), and it never touches
 * a file the user named but to read it.
 */
#ifndef LW_TLS_H
#define LW_TLS_H

#include "core/base/err.h"

/*
 * tls_load - the certificate and key PEM into *cert_pem and *key_pem (free
 * both with tls_free). With cert_file and key_file, those two files, once
 * the key is found to match the certificate and the certificate unexpired;
 * only one of them is ERR_INVALID. With neither, DATA_DIR/tls/cert.pem and
 * key.pem, made (ECDSA P-256, self-signed, subjectAltName = names, the
 * NULL-terminated list from hostnames_list) when missing, unreadable, not a
 * pair, or expiring within 7 days; a certificate that lacks some of names is
 * kept, and says so in the log. Returns 0, or -1 with e.
 */
int tls_load(const char *data_dir, const char *cert_file, const char *key_file, char *const *names,
    char **cert_pem, char **key_pem, struct lw_err *e);
/* tls_free - free tls_load's PEM text; the key's is wiped first. Either may be NULL. */
void tls_free(char *cert_pem, char *key_pem);

#endif
