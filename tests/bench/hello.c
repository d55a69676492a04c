/*
 * hello - the bench's reference HTTP server: bare libmicrohttpd answering
 * "hello\n" to every GET, with the daemon's threading (epoll, one thread per
 * core), so the api rows compare labwire's request path against the
 * library's floor on the same machine.
 * Usage: hello ADDR PORT; runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static const char body[] = "hello\n";

static enum MHD_Result
hello_answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **ctx)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	static int first;

	(void)cls, (void)url, (void)version, (void)upload, (void)upload_len;
	if (strcmp(method, "GET") != 0)
		return (MHD_NO);
	/*
	 * Answered on the second call, once the request is read in full:
	 * libmicrohttpd closes a connection whose answer was queued earlier.
	 */
	if (*ctx == NULL) {
		*ctx = &first;
		return (MHD_YES);
	}
	resp =
	    MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return (MHD_NO);
	MHD_add_response_header(resp, "Content-Type", "text/plain");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return (ret);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct MHD_Daemon *d;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	sigset_t set;
	int sig;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: hello ADDR PORT\n");
		return (2);
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	/* Signals are taken by sigwait below, not by MHD's threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    hello_answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(cores > 0 ? cores : 1),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)8192, MHD_OPTION_LISTEN_BACKLOG_SIZE,
	    (unsigned int)1024, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "hello: cannot listen on %s:%s\n", argv[1], argv[2]);
		return (1);
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return (0);
}
