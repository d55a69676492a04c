/*
 * hostnames - the names and addresses by which this host may be reached:
 * "localhost", its host name (and FQDN), every interface address and the
 * loopback addresses, for a self-signed certificate's subjectAltName. It only
 * reads what the system says (gethostname, getifaddrs, a bounded resolver
 * lookup): it makes no certificate (web/tls does), opens no socket and
 * changes nothing.
 */
#ifndef LW_HOSTNAMES_H
#define LW_HOSTNAMES_H

#include <stdbool.h>

/*
 * hostnames_list - a NULL-terminated vector of names and addresses, without
 * duplicates: "localhost", the host name and its canonical name when the
 * resolver answers within a second, every interface address (IPv6 without
 * brackets, link-local fe80::/10 left out), "127.0.0.1", "::1", then
 * listen_host unless it is NULL or a wildcard ("", "0.0.0.0", "::"). Free it
 * with hostnames_free; returns NULL when out of memory.
 */
char **hostnames_list(const char *listen_host);
/* hostnames_free - free a vector from hostnames_list (NULL is fine). */
void hostnames_free(char **names);
/* hostnames_is_ip - true when s is an IPv4 or IPv6 literal (inet_pton). */
bool hostnames_is_ip(const char *s);

#endif
