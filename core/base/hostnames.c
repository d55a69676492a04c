/*
 * hostnames - the names and addresses this host answers to. Everything is
 * read from the system as it is at the call; nothing is cached but a
 * resolver request that outlived its wait (see hostnames_gai).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/hostnames.h"
#include "core/base/strv.h"

/* How long the canonical name is waited for: a dead DNS server must not hold up start-up. */
#define HOSTNAMES_CANON_MS 1000

/*
 * The canonical-name lookup. A request a resolver thread has begun cannot be
 * cancelled, and glibc writes its answer into the request when it ends: so
 * the request lives here rather than on the stack, and a later call that
 * finds it still running goes without the canonical name instead of waiting
 * again.
 */
static struct {
	struct gaicb req;
	struct addrinfo hints;
	char host[HOST_NAME_MAX + 1];
	bool busy;
} hostnames_gai;
static pthread_mutex_t hostnames_gai_lock = PTHREAD_MUTEX_INITIALIZER;

static void
hostnames_gai_reap(void)
{
	if (hostnames_gai.req.ar_result != NULL)
		freeaddrinfo(hostnames_gai.req.ar_result);
	hostnames_gai.req.ar_result = NULL;
	hostnames_gai.busy = false;
}

/* hostnames_gai_wait - gai_error once the request ended or the wait is over. */
static int
hostnames_gai_wait(void)
{
	const struct gaicb *list[1] = {&hostnames_gai.req};
	int64_t deadline = clock_mono_ms() + HOSTNAMES_CANON_MS;
	int g;

	while ((g = gai_error(&hostnames_gai.req)) == EAI_INPROGRESS) {
		int64_t left = deadline - clock_mono_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		gai_suspend(list, 1, &ts);
	}
	return (g);
}

/* hostnames_canon - host's canonical name into out; 0, or -1 when there is none in time. */
static int
hostnames_canon(const char *host, char *out, size_t len)
{
	struct gaicb *list[1] = {&hostnames_gai.req};
	int r = -1;

	pthread_mutex_lock(&hostnames_gai_lock);
	if (hostnames_gai.busy) {
		if (gai_error(&hostnames_gai.req) == EAI_INPROGRESS)
			goto out;
		hostnames_gai_reap();
	}
	memset(&hostnames_gai, 0, sizeof(hostnames_gai));
	snprintf(hostnames_gai.host, sizeof(hostnames_gai.host), "%s", host);
	hostnames_gai.hints.ai_flags = AI_CANONNAME;
	hostnames_gai.hints.ai_socktype = SOCK_STREAM;
	hostnames_gai.req.ar_name = hostnames_gai.host;
	hostnames_gai.req.ar_request = &hostnames_gai.hints;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0)
		goto out;
	hostnames_gai.busy = true;
	if (hostnames_gai_wait() == EAI_INPROGRESS &&
	    gai_cancel(&hostnames_gai.req) == EAI_NOTCANCELED)
		goto out; /* still running: reaped by a later call */
	if (gai_error(&hostnames_gai.req) == 0 && hostnames_gai.req.ar_result != NULL &&
	    hostnames_gai.req.ar_result->ai_canonname != NULL) {
		snprintf(out, len, "%s", hostnames_gai.req.ar_result->ai_canonname);
		r = 0;
	}
	hostnames_gai_reap();
out:
	pthread_mutex_unlock(&hostnames_gai_lock);
	return (r);
}

/* hostnames_add - append a copy of s unless it is empty or there already (names ignore case). */
static int
hostnames_add(struct strv *sv, const char *s)
{
	if (*s == '\0')
		return (0);
	for (size_t i = 0; i < sv->n; i++)
		if (strcasecmp(sv->v[i], s) == 0)
			return (0);
	return (strv_add(sv, s));
}

static int
hostnames_add_self(struct strv *sv)
{
	char host[HOST_NAME_MAX + 1], canon[NI_MAXHOST];

	if (gethostname(host, sizeof(host)) == -1)
		return (0); /* no host name: the addresses still identify us */
	host[sizeof(host) - 1] = '\0';
	if (hostnames_add(sv, host) == -1)
		return (-1);
	if (host[0] == '\0' || hostnames_canon(host, canon, sizeof(canon)) == -1)
		return (0);
	return (hostnames_add(sv, canon));
}

/* hostnames_ntop - an interface address as text; 0, or -1 for one that is left out. */
static int
hostnames_ntop(const struct sockaddr *sa, char *out, size_t len)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		return (inet_ntop(AF_INET, &in->sin_addr, out, len) == NULL ? -1 : 0);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		/* fe80::/10 needs a zone ("%eth0") to mean anything, and a SAN cannot say it. */
		if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
			return (-1);
		return (inet_ntop(AF_INET6, &in6->sin6_addr, out, len) == NULL ? -1 : 0);
	}
	return (-1);
}

static int
hostnames_add_ifaddrs(struct strv *sv)
{
	struct ifaddrs *ifa, *i;
	char buf[INET6_ADDRSTRLEN];
	int r = 0;

	if (getifaddrs(&ifa) == -1)
		return (errno == ENOMEM ? -1 : 0);
	for (i = ifa; i != NULL && r == 0; i = i->ifa_next)
		if (i->ifa_addr != NULL && hostnames_ntop(i->ifa_addr, buf, sizeof(buf)) == 0)
			r = hostnames_add(sv, buf);
	freeifaddrs(ifa);
	return (r);
}

/* hostnames_add_listen - listen_host (an address in its canonical text) unless a wildcard. */
static int
hostnames_add_listen(struct strv *sv, const char *listen_host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char buf[INET6_ADDRSTRLEN];
	const char *s = listen_host;

	if (s == NULL)
		return (0);
	if (inet_pton(AF_INET, s, addr) == 1)
		s = inet_ntop(AF_INET, addr, buf, sizeof(buf));
	else if (inet_pton(AF_INET6, s, addr) == 1)
		s = inet_ntop(AF_INET6, addr, buf, sizeof(buf));
	if (s == NULL || strcmp(s, "0.0.0.0") == 0 || strcmp(s, "::") == 0)
		return (0);
	return (hostnames_add(sv, s));
}

char **
hostnames_list(const char *listen_host)
{
	struct strv sv = {0};

	if (hostnames_add(&sv, "localhost") == -1 || hostnames_add_self(&sv) == -1 ||
	    hostnames_add_ifaddrs(&sv) == -1 || hostnames_add(&sv, "127.0.0.1") == -1 ||
	    hostnames_add(&sv, "::1") == -1 || hostnames_add_listen(&sv, listen_host) == -1) {
		strv_free(&sv);
		return (NULL);
	}
	return (sv.v);
}

void
hostnames_free(char **names)
{
	if (names == NULL)
		return;
	for (size_t i = 0; names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

bool
hostnames_is_ip(const char *s)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (s == NULL)
		return (false);
	return (inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1);
}
