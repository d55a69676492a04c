/*
 * stream - a capture's pcap followed from the daemon into a file or pipe
 * as it comes, cut only at record boundaries, with a packet count on
 * stderr each second. It stops when the stream ends or a signal is noted;
 * starting and stopping the capture itself is capture.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/cli/cli_int.h"

#define CLI_PROGRESS_MS 1000 /* between lines of "captured N packets" */

/* cli_stream - following a capture's pcap into fd. */
struct cli_stream {
	CURL *c;
	int fd;
	int progress;        /* a count on stderr every second */
	long status;         /* of the answer, once it began */
	int werr;            /* errno of the write (or memory) that failed */
	struct cli_buf held; /* the start of a record not yet whole */
	struct cli_buf refusal;
	struct cli_pcap pcap;
	long long next_ms; /* of the progress line */
};

static int
cli_stream_ok(const struct cli_stream *s)
{
	return (s->status >= 200 && s->status <= 299);
}

/* cli_stream_out - all of p to s->fd; 0, or -1 with s->werr. */
static int
cli_stream_out(struct cli_stream *s, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(s->fd, p, n)) == -1) {
			/* A reader that stopped reading must not make Ctrl-C wait for it. */
			if (errno == EINTR && !cli_signal_caught())
				continue;
			s->werr = errno;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/*
 * cli_stream_write - curl's write callback: the pcap up to its last record
 * boundary goes out at once (no buffering: a live reader sees each packet
 * as it comes); the rest is held until its record is whole.
 */
static size_t
cli_stream_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct cli_stream *s = arg;
	size_t n = size * nmemb, held = s->held.n, out;

	if (s->status == 0)
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
	if (!cli_stream_ok(s))
		return (cli_buf_add(&s->refusal, p, n) == -1 ? 0 : n);
	cli_pcap_feed(&s->pcap, (const unsigned char *)p, n);
	out = held + n - s->pcap.partial; /* >= held when > 0: a boundary is in p */
	if (out > 0) {
		if (cli_stream_out(s, s->held.p, held) == -1 ||
		    cli_stream_out(s, p, out - held) == -1)
			return (0);
		s->held.n = 0;
		p += out - held;
		n -= out - held;
	}
	if (cli_buf_add(&s->held, p, n) == -1) {
		s->werr = errno;
		return (0);
	}
	return (size * nmemb);
}

static void
cli_stream_progress(struct cli_stream *s)
{
	fprintf(stderr, "\rcaptured %llu packets (%llu bytes)", s->pcap.packets, s->pcap.bytes);
}

/* cli_stream_tick - curl calls it at least once a second, and when a signal woke it. */
static int
cli_stream_tick(
    void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct cli_stream *s = arg;
	long long now;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (cli_signal_caught())
		return (1);
	if (s->progress && cli_stream_ok(s) && (now = clock_mono_ms()) >= s->next_ms) {
		cli_stream_progress(s);
		s->next_ms = now + CLI_PROGRESS_MS;
	}
	return (0);
}

/* cli_stream_run - GET path into s->fd until the stream ends or we are stopped. */
static CURLcode
cli_stream_run(struct cli_stream *s, const char *path, char *errbuf)
{
	struct curl_slist *hdrs;
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	if ((hdrs = curl_slist_append(NULL, "Accept: application/vnd.tcpdump.pcap")) == NULL)
		return (rc);
	if ((s->c = cli_http_handle("GET", path, NULL, hdrs, NULL, errbuf)) != NULL) {
		curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, cli_stream_write);
		curl_easy_setopt(s->c, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(s->c, CURLOPT_XFERINFOFUNCTION, cli_stream_tick);
		curl_easy_setopt(s->c, CURLOPT_XFERINFODATA, s);
		/* A capture lasts as long as it lasts, and a quiet link sends nothing. */
		curl_easy_setopt(s->c, CURLOPT_TIMEOUT, 0L);
		curl_easy_setopt(s->c, CURLOPT_TCP_KEEPALIVE, 1L);
		s->next_ms = clock_mono_ms() + CLI_PROGRESS_MS;
		rc = curl_easy_perform(s->c);
		if (s->status == 0)
			curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
		curl_easy_cleanup(s->c);
		s->c = NULL;
	}
	curl_slist_free_all(hdrs);
	return (rc);
}

/* cli_stream_judge - why the stream is over. */
static int
cli_stream_judge(struct cli_stream *s, CURLcode rc, const char *errbuf)
{
	if (s->progress && cli_stream_ok(s)) {
		cli_stream_progress(s); /* the final count, and the line ended */
		fputc('\n', stderr);
	}
	if (rc == CURLE_OK && cli_stream_ok(s))
		return (CLI_STREAM_ENDED);
	if (cli_signal_caught() || s->werr == EPIPE)
		return (CLI_STREAM_STOP);
	if (s->werr != 0)
		fprintf(stderr, "labwire: cannot write the capture: %s\n", strerror(s->werr));
	else if (s->status != 0 && !cli_stream_ok(s))
		cli_http_answer(s->status, &s->refusal, NULL);
	else if (s->status == 0)
		cli_http_unreachable(rc, errbuf);
	else
		fprintf(
		    stderr, "labwire: the capture stream broke: %s\n", cli_http_why(rc, errbuf));
	return (CLI_STREAM_FAILED);
}

int
cli_stream_follow(int fd, int progress, const char *path)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct cli_stream s = {.fd = fd, .progress = progress};
	CURLcode rc;
	int how;

	rc = cli_stream_run(&s, path, errbuf);
	how = cli_stream_judge(&s, rc, errbuf);
	free(s.held.p);
	free(s.refusal.p);
	return (how);
}
