/*
 * test_cli - the telnet client against a real telnet server (a libtelnet
 * one in a thread, opening like QEMU's: WILL ECHO, WILL SGA, WILL/DO BINARY,
 * plus DO TTYPE and DO SGA), and the CLI against a small HTTP server that
 * answers like the daemon: tables, errors, --wait, console scripting, a
 * capture streamed as pcap, and image uploads checked byte by byte.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libtelnet.h>

#include "core/cli/cli.h"
#include "core/cli/telnet_client.h"
#include "tests/unit/test.h"

/* ---- a listening socket on 127.0.0.1, any port ---- */

static int
listen_any(int *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(fd, 8) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return (-1);
	}
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* closed_port - a port nothing listens on (bound, then released). */
static int
closed_port(void)
{
	int port = 0, fd = listen_any(&port);

	close(fd);
	return (port);
}

/* ---- the telnet server ---- */

struct tsrv {
	int lfd, port, cfd;
	volatile int stop;
	volatile int login; /* the next session asks for a login first, like the daemon's */
	int auth;           /* this session: 1 at "login:", 2 at "Password:", 0 logged in */
	char user[64];
	telnet_t *tn;
	char line[256];
	size_t nline;
	unsigned char wire[8192]; /* what the client sent, as sent, this session */
	size_t nwire;
	int sessions; /* finished */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static struct tsrv ts = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static const telnet_telopt_t tsrv_opts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT},
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_TTYPE, TELNET_WONT, TELNET_DO},
    {-1, 0, 0},
};

/*
 * tsrv_login - a login line, answered like the daemon's console: user
 * "token" with the secret "tok3n" is let in (the console then shows
 * "booted"), anything else is refused and asked again.
 */
static void
tsrv_login(struct tsrv *s)
{
	static const char refused[] = "Login incorrect\r\nlogin: ";

	if (s->auth == 1) {
		snprintf(s->user, sizeof(s->user), "%.*s", (int)s->nline, s->line);
		telnet_send(s->tn, s->line, s->nline);
		telnet_send(s->tn, "\r\nPassword: ", 12);
		s->auth = 2;
		return;
	}
	telnet_send(s->tn, "\r\n", 2);
	if (strcmp(s->user, "token") == 0 && s->nline == 5 && memcmp(s->line, "tok3n", 5) == 0) {
		s->auth = 0;
		telnet_send(s->tn, "booted\r\n", 8);
		return;
	}
	s->auth = 1;
	telnet_send(s->tn, refused, sizeof(refused) - 1);
}

/*
 * tsrv_line - answer a line in upper case. "bye" hangs up, "prompt" prints
 * a prompt with no newline after it, "split" sends "okay" in two pieces.
 */
static void
tsrv_line(struct tsrv *s)
{
	if (s->auth != 0) {
		tsrv_login(s);
		return;
	}
	if (s->nline == 3 && memcmp(s->line, "bye", 3) == 0) {
		shutdown(s->cfd, SHUT_RDWR);
		return;
	}
	if (s->nline == 6 && memcmp(s->line, "prompt", 6) == 0) {
		telnet_send(s->tn, "/ # ", 4);
		return;
	}
	if (s->nline == 5 && memcmp(s->line, "split", 5) == 0) {
		telnet_send(s->tn, "ok", 2);
		usleep(100 * 1000);
		telnet_send(s->tn, "ay\r\n", 4);
		return;
	}
	for (size_t i = 0; i < s->nline; i++)
		s->line[i] = (char)toupper((unsigned char)s->line[i]);
	telnet_send(s->tn, s->line, s->nline);
	telnet_send(s->tn, "\r\n", 2);
}

static void
tsrv_event(telnet_t *tn, telnet_event_t *ev, void *arg)
{
	struct tsrv *s = arg;

	(void)tn;
	if (ev->type == TELNET_EV_SEND) {
		if (write(s->cfd, ev->data.buffer, ev->data.size) == -1)
			return;
	} else if (ev->type == TELNET_EV_DATA) {
		for (size_t i = 0; i < ev->data.size; i++) {
			char c = ev->data.buffer[i];

			if ((c == '\r' || c == '\n') && s->nline > 0) {
				tsrv_line(s);
				s->nline = 0;
			} else if (c != '\r' && c != '\n' && c != '\0' &&
			    s->nline < sizeof(s->line))
				s->line[s->nline++] = c;
		}
	}
}

static void
tsrv_session(struct tsrv *s)
{
	char buf[1024];
	ssize_t n;

	s->nwire = s->nline = 0;
	s->tn = telnet_init(tsrv_opts, tsrv_event, 0, s);
	/* QEMU's opening, and two more a client must answer. */
	telnet_negotiate(s->tn, TELNET_WILL, TELNET_TELOPT_ECHO);
	telnet_negotiate(s->tn, TELNET_WILL, TELNET_TELOPT_SGA);
	telnet_negotiate(s->tn, TELNET_WILL, TELNET_TELOPT_BINARY);
	telnet_negotiate(s->tn, TELNET_DO, TELNET_TELOPT_BINARY);
	telnet_negotiate(s->tn, TELNET_DO, TELNET_TELOPT_TTYPE);
	telnet_negotiate(s->tn, TELNET_DO, TELNET_TELOPT_SGA);
	s->auth = s->login ? 1 : 0;
	if (s->auth)
		telnet_send(s->tn, "\r\nlabwire console: log in\r\nlogin: ", 34);
	while ((n = read(s->cfd, buf, sizeof(buf))) > 0) {
		if (s->nwire + (size_t)n <= sizeof(s->wire)) {
			memcpy(s->wire + s->nwire, buf, (size_t)n);
			s->nwire += (size_t)n;
		}
		telnet_recv(s->tn, buf, (size_t)n);
	}
	telnet_free(s->tn);
	close(s->cfd);
}

static void *
tsrv_main(void *arg)
{
	struct tsrv *s = arg;
	struct pollfd p = {.fd = s->lfd, .events = POLLIN};

	while (!s->stop) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((s->cfd = accept(s->lfd, NULL, NULL)) == -1)
			continue;
		tsrv_session(s);
		pthread_mutex_lock(&s->mu);
		s->sessions++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	return (NULL);
}

/* tsrv_wait - until n sessions are over (5 s at most); 0 or -1. */
static int
tsrv_wait(int n)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&ts.mu);
	while (ts.sessions < n && r == 0)
		r = pthread_cond_timedwait(&ts.cv, &ts.mu, &until);
	pthread_mutex_unlock(&ts.mu);
	return (ts.sessions >= n ? 0 : -1);
}

static int
wire_has(const char *seq, size_t n)
{
	return (memmem(ts.wire, ts.nwire, seq, n) != NULL);
}

static int
wire_count(const char *seq, size_t n)
{
	const unsigned char *p = ts.wire, *end = ts.wire + ts.nwire;
	int k = 0;

	while ((p = memmem(p, (size_t)(end - p), seq, n)) != NULL) {
		k++;
		p += n;
	}
	return (k);
}

/* ---- the telnet client on its own ---- */

/* read_until - read from tc until want has arrived (or 5 s); what arrived in got. */
static size_t
read_until(struct telnet_client *tc, char *got, size_t len, const char *want, size_t wlen)
{
	struct pollfd p = {.fd = telnet_client_fd(tc), .events = POLLIN};
	size_t n = 0;
	ssize_t r;

	for (int i = 0; i < 50 && (n < wlen || memmem(got, n, want, wlen) == NULL); i++) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = telnet_client_read(tc, got + n, len - n);
		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	return (n);
}

static void
test_telnet_session(void)
{
	struct pollfd p;
	struct telnet_client *tc;
	char got[256];
	size_t n;
	ssize_t r;

	tc = telnet_client_connect("127.0.0.1", ts.port, 2000);
	CHECK(tc != NULL);
	if (tc == NULL)
		return;
	/* The server speaks first, and only protocol: no data bytes yet. */
	p = (struct pollfd){.fd = telnet_client_fd(tc), .events = POLLIN};
	CHECK(poll(&p, 1, 2000) == 1);
	r = telnet_client_read(tc, got, sizeof(got));
	CHECK(r == -1 && errno == EAGAIN);

	CHECK(telnet_client_send(tc, "hello\r", 6) == 0);
	n = read_until(tc, got, sizeof(got), "HELLO\r\n", 7);
	CHECK(n == 7 && memcmp(got, "HELLO\r\n", 7) == 0);

	/* 0xFF is data: doubled on the wire, single again on both ends. */
	CHECK(telnet_client_send(tc,
	          "a\xff"
	          "b\r",
	          4) == 0);
	n = read_until(tc, got, sizeof(got),
	    "A\xff"
	    "B\r\n",
	    5);
	CHECK(n == 5 &&
	    memcmp(got,
	        "A\xff"
	        "B\r\n",
	        5) == 0);

	/* The server hangs up: read says 0. */
	CHECK(telnet_client_send(tc, "bye\r", 4) == 0);
	p.revents = 0;
	do
		r = poll(&p, 1, 2000) == 1 ? telnet_client_read(tc, got, sizeof(got)) : -2;
	while (r == -1 && errno == EAGAIN);
	CHECK(r == 0);
	telnet_client_close(tc);
}

static void
test_telnet_negotiation(void)
{
	/* Accepted: the server echoes and suppresses go-ahead; we suppress it too. */
	CHECK(wire_has("\xff\xfd\x01", 3)); /* DO ECHO */
	CHECK(wire_has("\xff\xfd\x03", 3)); /* DO SGA */
	CHECK(wire_has("\xff\xfb\x03", 3)); /* WILL SGA */
	/* Refused: binary both ways, terminal type. */
	CHECK(wire_has("\xff\xfe\x00", 3));  /* DONT BINARY */
	CHECK(wire_has("\xff\xfc\x00", 3));  /* WONT BINARY */
	CHECK(wire_has("\xff\xfc\x18", 3));  /* WONT TTYPE */
	CHECK(!wire_has("\xff\xfb\x00", 3)); /* WILL BINARY */
	CHECK(!wire_has("\xff\xfb\x18", 3)); /* WILL TTYPE */
	CHECK(!wire_has("\xff\xfe\x01", 3)); /* DONT ECHO */
	CHECK(!wire_has("\xff\xfb\x01", 3)); /* WILL ECHO: we never echo */
	/* Answered once each: no negotiation loop. */
	CHECK(wire_count("\xff\xfd\x01", 3) == 1);
	CHECK(wire_count("\xff\xfd\x03", 3) == 1);
	/* The data byte 0xFF went out as IAC IAC. */
	CHECK(wire_has("a\xff\xff"
	               "b\r",
	    5));
	CHECK(wire_has("hello\r", 6));
}

static void
test_telnet_errors(void)
{
	struct telnet_client *tc;

	errno = 0;
	tc = telnet_client_connect("127.0.0.1", closed_port(), 2000);
	CHECK(tc == NULL && errno == ECONNREFUSED);
	errno = 0;
	tc = telnet_client_connect("127.0.0.1", 0, 2000);
	CHECK(tc == NULL && errno == EINVAL);
	telnet_client_close(NULL);
}

/* ---- the HTTP server that plays the daemon ---- */

enum { PCAP_END, PCAP_CUT, PCAP_HOLD };

struct hsrv {
	int lfd, port;
	volatile int stop;
	int requests;
	int phase;           /* lab demo: 0 stopped, then each GET after start moves on */
	char lastbody[4096]; /* of the last POST /api/v1/labs */
	char lastpath[600];
	/* captures: demo's link 3 has capture 5 */
	char capbody[512];     /* of the last POST .../captures */
	char caplog[1024];     /* "METHOD path\n" for each capture request */
	const char *capstate;  /* what GET .../captures/5 says */
	int pcap_mode;         /* how the stream ends: PCAP_END, _CUT or _HOLD */
	int pcap_accept;       /* the stream was asked for as pcap */
	const char *pcap_file; /* PCAP_HOLD: signal once this holds the whole pcap */
	pthread_t main;        /* the thread running the CLI, to signal */
	int pcap_hung_up;      /* PCAP_HOLD: the CLI closed the stream after the signal */
	/* image uploads: the last one's request line and headers, and its body */
	char imghead[2048];
	unsigned long long img_got; /* body bytes read */
	int img_bad;                /* one of them was not the file's */
	/* imports: the last one's body as sent, and whether it said it was bytes */
	char impbody[1024];
	size_t impn;
	int imp_octets;
};

static struct hsrv hs;

static const char labs_json[] =
    "{\"labs\":[{\"id\":1,\"name\":\"demo\",\"description\":\"\",\"state\":\"stopped\","
    "\"node_count\":2,\"link_count\":1},{\"id\":12,\"name\":\"core-lab\",\"state\":\"running\","
    "\"node_count\":10,\"link_count\":9}]}";

/* demo_json - lab "demo" as it is at phase. */
static void
demo_json(char *out, size_t len, int phase)
{
	static const char *r1[] = {
	    "\"state\":\"stopped\"",
	    "\"state\":\"starting\",\"ready\":false",
	    "\"state\":\"running\",\"ready\":false,\"accel_in_use\":\"tcg\"",
	    "\"state\":\"running\",\"ready\":true,\"accel_in_use\":\"tcg\"",
	};
	static const char *r2[] = {
	    "\"state\":\"stopped\"",
	    "\"state\":\"starting\"",
	    "\"state\":\"running\",\"accel_in_use\":\"kvm\"",
	    "\"state\":\"running\",\"accel_in_use\":\"kvm\"",
	};

	snprintf(out, len,
	    "{\"id\":1,\"name\":\"demo\",\"state\":\"%s\",\"nodes\":["
	    "{\"id\":1,\"name\":\"r1\",%s,\"console\":{\"type\":\"telnet\",\"host\":\"127.0.0.1\","
	    "\"port\":5001}},{\"id\":2,\"name\":\"r2\",%s}],"
	    "\"links\":[{\"id\":3,\"kind\":\"p2p\",\"state\":\"up\",\"endpoints\":["
	    "{\"node\":\"r1\",\"interface\":\"eth0\"},{\"node\":\"r2\",\"interface\":\"eth0\"}]}]}",
	    phase ? "running" : "stopped", r1[phase], r2[phase]);
}

#define CAPS "/api/v1/labs/demo/links/3/captures"
#define CAP5 CAPS "/5"

/* hsrv_capture - the Captures routes; status, or 0 when path is not one. */
static int
hsrv_capture(const char *method, const char *path, const char *body, char *out, size_t len)
{
	const int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	const char *cap = "{\"id\":5,\"link\":3,\"filter\":\"\",\"state\":\"%s\",\"packets\":%d,"
	                  "\"bytes\":%d,\"dropped\":%d,\"kernel_dropped\":0}";

	if (strstr(path, "/captures") == NULL)
		return (0);
	snprintf(hs.caplog + strlen(hs.caplog), sizeof(hs.caplog) - strlen(hs.caplog), "%s %s\n",
	    method, path);
	if (post && strcmp(path, "/api/v1/labs/off/links/3/captures") == 0)
		return (snprintf(out, len,
		            "{\"error\":{\"code\":\"conflict\",\"message\":\"link 3 is not up: "
		            "start the lab (or a node on the link) first\"}}"),
		    409);
	if (post && strcmp(path, CAPS) == 0) {
		snprintf(hs.capbody, sizeof(hs.capbody), "%s", body);
		if (strstr(body, "\"filter\":\"bogus") != NULL)
			return (snprintf(out, len,
			            "{\"error\":{\"code\":\"invalid\",\"message\":"
			            "\"syntax error in filter expression: syntax error\"}}"),
			    422);
		return (snprintf(out, len, cap, "running", 0, 0, 0), 201);
	}
	/* Stopped by the lab: what the file holds. Stopped by DELETE: a little more. */
	if (get && strcmp(path, CAP5) == 0)
		return (snprintf(out, len, cap, hs.capstate, 3, 1616, 0), 200);
	if (strcmp(method, "DELETE") == 0 && strcmp(path, CAP5) == 0)
		return (snprintf(out, len, cap, "stopped", 4, 1700, 2), 200);
	return (snprintf(out, len, "{\"error\":{\"code\":\"not_found\",\"message\":\"no route\"}}"),
	    404);
}

static const char images_json[] =
    "{\"images\":[{\"name\":\"cirros\",\"template\":\"tiny-linux\",\"state\":\"ready\","
    "\"format\":\"qcow2\",\"virtual_size\":117440512,\"size\":21233664,\"expected\":21233664,"
    "\"sha256\":\"9b4e2f6a1c3d77e0c0ffee00112233445566778899aabbccddeeff0011223344\","
    "\"created_at\":1700000000,\"used_by\":2},{\"name\":\"iosv.qcow2\",\"template\":null,"
    "\"state\":\"uploading\",\"format\":null,\"virtual_size\":null,\"size\":null,"
    "\"expected\":278921216,\"sha256\":null,\"created_at\":1700000100,\"used_by\":0}]}";

/* hsrv_images - list and delete in the image store; status, or 0 when path is not one. */
static int
hsrv_images(const char *method, const char *path, char *out, size_t len)
{
	const int del = strcmp(method, "DELETE") == 0;

	if (strcmp(method, "GET") == 0 && strcmp(path, "/api/v1/images") == 0)
		return (snprintf(out, len, "%s", images_json), 200);
	if (del && strcmp(path, "/api/v1/images/cirros") == 0)
		return (out[0] = '\0', 204);
	if (del && strcmp(path, "/api/v1/images/used") == 0)
		return (snprintf(out, len,
		            "{\"error\":{\"code\":\"conflict\",\"message\":"
		            "\"image 'used' is used by node r1 in lab demo\"}}"),
		    409);
	return (0);
}

/* The answer to an import of a containerlab file: a substitute, renames, drops, a kept config. */
static const char import_json[] =
    "{\"lab\":{\"id\":9,\"name\":\"srl-lab\",\"nodes\":[]},\"report\":{\"format\":\"clab\","
    "\"nodes\":3,\"links\":2,\"lans\":1,\"mapped\":["
    "{\"node\":\"srl1\",\"from\":\"clab:nokia_srlinux\",\"to\":\"frr-router\",\"substitute\":true,"
    "\"reason\":\"no image for srlinux\"},"
    "{\"node\":\"h1\",\"from\":\"clab:linux\",\"to\":\"linux-host\",\"substitute\":false}],"
    "\"interfaces\":[{\"node\":\"srl1\",\"from\":\"e1-1\",\"to\":\"eth0\"}],"
    "\"renamed\":[{\"from\":\"h 2\",\"to\":\"h-2\"},{\"from\":\"x\\u001b]0;t\\u0007\\u009b2J\","
    "\"to\":\"x-0-t-\"}],"
    "\"dropped\":[{\"what\":\"link srl1:mgmt0\",\"reason\":\"management interfaces are not "
    "imported\"}],\"dropped_more\":4,"
    "\"kept\":[{\"node\":\"srl1\",\"what\":\"startup config\",\"reason\":\"written for "
    "nokia_srlinux; frr-router cannot read it\"}],\"kept_more\":2}}";

/* hsrv_import - lab import and export; status, or 0 when path is not one. */
static int
hsrv_import(const char *method, const char *path, char *out, size_t len)
{
	if (strcmp(method, "POST") == 0 && strncmp(path, "/api/v1/labs/import", 19) == 0) {
		if (strstr(path, "format=gns3") != NULL)
			return (snprintf(out, len,
			            "{\"error\":{\"code\":\"invalid\",\"message\":\"not a GNS3 "
			            "project: "
			            "no topology.nodes\\u001b[2J\"}}"),
			    422);
		return (snprintf(out, len, "%s", import_json), 201);
	}
	if (strcmp(method, "GET") != 0)
		return (0);
	if (strcmp(path, "/api/v1/labs/demo/export") == 0)
		return (
		    snprintf(out, len, "{\n  \"format\": \"labwire\",\n  \"name\": \"demo\"\n}\n"),
		    200);
	if (strcmp(path, "/api/v1/labs/demo/export?format=clab") == 0)
		return (snprintf(out, len, "name: demo\ntopology:\n  nodes: {}\n"), 200);
	if (strcmp(path, "/api/v1/labs/demo/export?as=yaml") == 0)
		return (snprintf(out, len, "format: labwire\nname: demo\n"), 200);
	return (0);
}

/* hsrv_route - the answer to one request: status, and body into out. */
static int
hsrv_route(const char *method, const char *path, const char *body, char *out, size_t len)
{
	const int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	int status;

	snprintf(hs.lastpath, sizeof(hs.lastpath), "%s %s", method, path);
	if ((status = hsrv_capture(method, path, body, out, len)) != 0)
		return (status);
	if ((status = hsrv_import(method, path, out, len)) != 0)
		return (status);
	if (get && strcmp(path, "/api/v1/labs") == 0)
		return (snprintf(out, len, "%s", labs_json), 200);
	if (post && strcmp(path, "/api/v1/labs") == 0) {
		snprintf(hs.lastbody, sizeof(hs.lastbody), "%s", body);
		return (snprintf(out, len, "{\"id\":7,\"name\":\"demo\",\"nodes\":[]}"), 201);
	}
	if (get && strcmp(path, "/api/v1/labs/demo") == 0) {
		demo_json(out, len, hs.phase);
		if (hs.phase > 0 && hs.phase < 3)
			hs.phase++;
		return (200);
	}
	if (post && strcmp(path, "/api/v1/labs/demo/start") == 0) {
		hs.phase = 1;
		return (
		    snprintf(out, len, "{\"id\":1,\"name\":\"demo\",\"state\":\"starting\"}"), 202);
	}
	if (post && strcmp(path, "/api/v1/labs/demo/stop") == 0)
		return (
		    snprintf(out, len, "{\"id\":1,\"name\":\"demo\",\"state\":\"stopping\"}"), 202);
	if (post && strcmp(path, "/api/v1/labs/bad/start") == 0)
		return (
		    snprintf(out, len, "{\"id\":2,\"name\":\"bad\",\"state\":\"starting\"}"), 202);
	if (get && strcmp(path, "/api/v1/labs/bad") == 0)
		return (snprintf(out, len,
		            "{\"id\":2,\"name\":\"bad\",\"nodes\":[{\"name\":\"r1\","
		            "\"state\":\"error\",\"error\":\"qemu exited: no kernel\"}]}"),
		    200);
	/* r3's console takes a token, r4's a wrong one */
	if (get &&
	    (strcmp(path, "/api/v1/labs/demo/nodes/r3") == 0 ||
	        strcmp(path, "/api/v1/labs/demo/nodes/r4") == 0))
		return (snprintf(out, len,
		            "{\"id\":3,\"name\":\"r3\",\"state\":\"running\","
		            "\"ready\":true,\"console\":{\"type\":\"telnet\","
		            "\"host\":\"127.0.0.1\",\"port\":%d,\"token\":\"%s\"}}",
		            ts.port, path[strlen(path) - 1] == '3' ? "tok3n" : "nope"),
		    200);
	if (get && strcmp(path, "/api/v1/labs/demo/nodes/r1") == 0)
		return (snprintf(out, len,
		            "{\"id\":1,\"name\":\"r1\",\"state\":\"running\","
		            "\"ready\":true,\"console\":{\"type\":\"telnet\","
		            "\"host\":\"0.0.0.0\",\"port\":%d}}",
		            ts.port),
		    200);
	if (strcmp(method, "DELETE") == 0 && strcmp(path, "/api/v1/labs/demo") == 0)
		return (out[0] = '\0', 204);
	if (strcmp(method, "PATCH") == 0 && strcmp(path, "/api/v1/labs/demo/links/3") == 0) {
		snprintf(hs.lastbody, sizeof(hs.lastbody), "%s", body);
		return (snprintf(out, len,
		            "{\"id\":3,\"state\":\"down\",\"impairment\":{\"delay_ms\":50,"
		            "\"loss_pct\":2.5,\"jitter_ms\":0}}"),
		    200);
	}
	if ((status = hsrv_images(method, path, out, len)) != 0)
		return (status);
	if (get && strcmp(path, "/api/v1/labs/no%20such%2Flab") == 0)
		return (snprintf(out, len,
		            "{\"error\":{\"code\":\"not_found\","
		            "\"message\":\"lab 'no such/lab' not found\"}}"),
		    404);
	return (snprintf(out, len, "{\"error\":{\"code\":\"not_found\",\"message\":\"no route\"}}"),
	    404);
}

/* hsrv_head - read a request's headers into buf (*n bytes, maybe more); its body, or NULL. */
static char *
hsrv_head(int fd, char *buf, size_t len, size_t *n)
{
	ssize_t r;
	char *end;

	*n = 0;
	buf[0] = '\0';
	while ((end = strstr(buf, "\r\n\r\n")) == NULL) {
		if (*n + 1 >= len || (r = read(fd, buf + *n, len - *n - 1)) <= 0)
			return (NULL);
		*n += (size_t)r;
		buf[*n] = '\0';
	}
	return (end + 4);
}

/* hsrv_length - the request's Content-Length, 0 when it has none. */
static unsigned long long
hsrv_length(const char *req, const char *body)
{
	const char *cl = strcasestr(req, "\r\nContent-Length:");

	return (cl != NULL && cl < body ? strtoull(cl + 17, NULL, 10) : 0);
}

/* hsrv_read - the rest of a request into buf (Content-Length bytes); body. */
static char *
hsrv_read(int fd, char *buf, size_t len, char *end, size_t n)
{
	size_t want;
	ssize_t r;

	want = (size_t)(end - buf) + (size_t)hsrv_length(buf, end);
	while (n < want && n + 1 < len && (r = read(fd, buf + n, len - n - 1)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return (end);
}

/* ---- a capture's pcap stream ---- */

static unsigned char pcap[1024];
static size_t pcap_len;   /* all of it */
static size_t pcap_whole; /* up to the end of its last whole record */

static void
put(size_t *off, uint32_t v, int bytes, int big)
{
	for (int i = 0; i < bytes; i++)
		pcap[(*off)++] = (unsigned char)(v >> (big ? 8 * (bytes - 1 - i) : 8 * i));
}

/*
 * pcap_build - three packets (one cut by the snaplen to 96 of its 1514
 * bytes: 1616 on the wire), written big- or little-endian, with micro- or
 * nanosecond timestamps; cut adds the start of a fourth that never ends.
 */
static void
pcap_build(int big, int nano, int cut)
{
	static const uint32_t caplen[] = {60, 96, 42}, origlen[] = {60, 1514, 42};
	size_t off = 0;

	put(&off, nano ? 0xa1b23c4d : 0xa1b2c3d4, 4, big);
	put(&off, 2, 2, big);
	put(&off, 4, 2, big);
	put(&off, 0, 4, big);
	put(&off, 0, 4, big);
	put(&off, 96, 4, big);
	put(&off, 1, 4, big); /* Ethernet */
	for (int i = 0; i < 3; i++) {
		put(&off, 1700000000u + (uint32_t)i, 4, big);
		put(&off, 1000u * (uint32_t)i, 4, big);
		put(&off, caplen[i], 4, big);
		put(&off, origlen[i], 4, big);
		/* every byte value turns up: NUL, CR LF, 0xff */
		for (uint32_t k = 0; k < caplen[i]; k++)
			pcap[off++] = (unsigned char)(k * 37 + (uint32_t)i * 101);
	}
	pcap_whole = pcap_len = off;
	if (cut) {
		put(&off, 1700000009u, 4, big);
		put(&off, 0, 4, big);
		put(&off, 50, 4, big);
		put(&off, 50, 4, big);
		put(&off, 0x01020304, 4, big);
		pcap_len = off;
	}
}

static int
send_all(int fd, const void *p, size_t n)
{
	/* MSG_NOSIGNAL: the CLI hangs up mid-stream when it is stopped. */
	return (send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1);
}

/* file_size_is - wait until file holds n bytes (5 s at most). */
static int
file_size_is(const char *file, size_t n)
{
	struct stat sb;

	for (int i = 0; i < 500; i++) {
		if (stat(file, &sb) == 0 && (size_t)sb.st_size == n)
			return (1);
		usleep(10 * 1000);
	}
	return (0);
}

/* hsrv_pcap - the pcap, chunked, in pieces that cut headers; then as hs.pcap_mode says. */
static void
hsrv_pcap(int fd)
{
	static const size_t piece[] = {5, 31, 7, 64, 3, 16};
	const char *head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
	                   "Transfer-Encoding: chunked\r\n\r\n";
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char size[16], buf[256];
	size_t off, k, i;
	int r;

	if (send_all(fd, head, strlen(head)) == -1)
		return;
	for (off = 0, k = 0, i = 0; off < pcap_len; off += k, i++) {
		k = piece[i % 6] < pcap_len - off ? piece[i % 6] : pcap_len - off;
		snprintf(size, sizeof(size), "%zx\r\n", k);
		if (send_all(fd, size, strlen(size)) == -1 || send_all(fd, pcap + off, k) == -1 ||
		    send_all(fd, "\r\n", 2) == -1)
			return;
		usleep(2000);
	}
	if (hs.pcap_mode != PCAP_HOLD) {
		send_all(fd, "0\r\n\r\n", 5);
		return;
	}
	/* Still running, as a capture does: Ctrl-C once it is all written. */
	if (!file_size_is(hs.pcap_file, pcap_whole))
		return;
	pthread_kill(hs.main, SIGINT);
	/* The CLI hangs up; if the signal did not stop it, the stream would go on. */
	while ((r = poll(&p, 1, 5000)) == 1 && read(fd, buf, sizeof(buf)) > 0)
		;
	hs.pcap_hung_up = (r == 1);
}

static void
hsrv_reply(int fd, int status, const char *out)
{
	char head[256];

	snprintf(head, sizeof(head),
	    "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    status, strlen(out));
	if (write(fd, head, strlen(head)) == -1 || write(fd, out, strlen(out)) == -1)
		return;
}

/* ---- image uploads ---- */

/* img_byte - what the file to upload holds at off: every byte value, no short period. */
static unsigned char
img_byte(unsigned long long off)
{
	return ((unsigned char)(off * 131 + (off >> 11)));
}

static void
img_check(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] != img_byte(hs.img_got + i))
			hs.img_bad = 1;
	hs.img_got += n;
}

#define IMG_SHA "5f0c2ab7d8e14a3f9e6b1c0d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7"

/*
 * hsrv_upload - POST /api/v1/images as the daemon takes it: names "taken"
 * and "x%26y" refused at once (no 100 Continue: the body never comes),
 * "cut" hung up on halfway, "junk" read to the end and refused.
 */
/* img_refusal - the answer to a name refused before the body: status, message into out. */
static int
img_refusal(const char *name, char *out, size_t len)
{
	const char *fmt = "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}";

	if (strncmp(name, "taken ", 6) == 0)
		return (
		    snprintf(out, len, fmt, "conflict", "an image named 'taken' already exists"),
		    409);
	if (strncmp(name, "x%26y ", 6) == 0)
		return (snprintf(out, len, fmt, "invalid", "image name 'x&y' is not valid"), 422);
	return (0);
}

/*
 * hsrv_upload - POST /api/v1/images as the daemon takes it: names "taken"
 * and "x&y" refused at once (no 100 Continue: the body never comes), "cut"
 * hung up on halfway, "junk" read to the end and refused.
 */
static void
hsrv_upload(int fd, const char *req, const char *body, size_t n)
{
	const unsigned long long want = hsrv_length(req, body);
	const char *name = strstr(req, "?name=") + 6;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[65536], out[1024];
	int status;
	ssize_t r;

	snprintf(hs.imghead, sizeof(hs.imghead), "%.*s", (int)(body - req), req);
	hs.img_got = hs.img_bad = 0;
	if ((status = img_refusal(name, out, sizeof(out))) != 0) {
		hsrv_reply(fd, status, out);
		/* Until the CLI hangs up: without waiting for 100 Continue, it would send the body.
		 */
		hs.img_got = n - (size_t)(body - req);
		while (poll(&p, 1, 5000) == 1 && (r = read(fd, buf, sizeof(buf))) > 0)
			hs.img_got += (size_t)r;
		return;
	}
	if (strcasestr(req, "\r\nExpect: 100-continue\r\n") != NULL &&
	    write(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 25)
		return;
	img_check(body, n - (size_t)(body - req));
	while (hs.img_got < want && (r = read(fd, buf, sizeof(buf))) > 0) {
		img_check(buf, (size_t)r);
		if (strncmp(name, "cut ", 4) == 0 && hs.img_got > want / 2)
			return;
	}
	if (strncmp(name, "junk ", 5) == 0) {
		hsrv_reply(fd, 422,
		    "{\"error\":{\"code\":\"invalid\","
		    "\"message\":\"the file is not a disk image qemu-img knows\"}}");
		return;
	}
	snprintf(out, sizeof(out),
	    "{\"name\":\"%.*s\",\"template\":null,\"state\":\"ready\",\"format\":\"qcow2\","
	    "\"virtual_size\":67108864,\"size\":%llu,\"expected\":%llu,\"sha256\":\"" IMG_SHA
	    "\",\"created_at\":1700000200,\"used_by\":0}",
	    (int)strcspn(name, "& "), name, hs.img_got, want);
	hsrv_reply(fd, 201, out);
}

static void
hsrv_serve(int fd)
{
	char req[8192], out[4096], method[16] = "", path[512] = "";
	char *body;
	size_t n;
	int status;

	if ((body = hsrv_head(fd, req, sizeof(req), &n)) == NULL)
		return;
	sscanf(req, "%15s %511s", method, path);
	hs.requests++;
	if (strcmp(method, "POST") == 0 && strncmp(path, "/api/v1/images?name=", 20) == 0) {
		snprintf(hs.lastpath, sizeof(hs.lastpath), "%s %s", method, path);
		hsrv_upload(fd, req, body, n);
		return;
	}
	body = hsrv_read(fd, req, sizeof(req), body, n);
	if (strncmp(path, "/api/v1/labs/import", 19) == 0) {
		hs.impn = hsrv_length(req, body);
		memcpy(
		    hs.impbody, body, hs.impn < sizeof(hs.impbody) ? hs.impn : sizeof(hs.impbody));
		hs.imp_octets =
		    strcasestr(req, "\r\nContent-Type: application/octet-stream\r\n") != NULL;
	}
	if (strcmp(method, "GET") == 0 && strcmp(path, CAP5 "/pcap?follow=1") == 0) {
		snprintf(hs.caplog + strlen(hs.caplog), sizeof(hs.caplog) - strlen(hs.caplog),
		    "GET %s\n", path);
		hs.pcap_accept =
		    strcasestr(req, "\r\nAccept: application/vnd.tcpdump.pcap\r\n") != NULL;
		hsrv_pcap(fd);
		return;
	}
	status = hsrv_route(method, path, body, out, sizeof(out));
	hsrv_reply(fd, status, out);
}

static void *
hsrv_main(void *arg)
{
	struct hsrv *s = arg;
	struct pollfd p = {.fd = s->lfd, .events = POLLIN};
	int fd;

	while (!s->stop) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((fd = accept(s->lfd, NULL, NULL)) == -1)
			continue;
		hsrv_serve(fd);
		close(fd);
	}
	return (NULL);
}

/* ---- running the CLI with its output captured ---- */

struct run {
	int rc;
	char out[16384];
	size_t nout; /* out may hold NULs */
	char err[16384];
};

static int run_stdout = -1; /* when set, the CLI's stdout instead of a file */
static int run_stderr = -1; /* when set, the CLI's stderr instead of a file */

static size_t
slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (n);
}

/* run_cli - cli_main(argv...) with stdin from in, stdout and stderr kept in r. */
static void
run_cli(struct run *r, const char *in, ...)
{
	char *argv[32];
	int argc = 0, save[3];
	FILE *f[3] = {tmpfile(), tmpfile(), tmpfile()};
	va_list ap;

	va_start(ap, in);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fputs(in, f[0]);
	fflush(f[0]);
	rewind(f[0]);
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 3; i++) {
		save[i] = dup(i);
		if (i == 1 && run_stdout != -1)
			dup2(run_stdout, i);
		else if (i == 2 && run_stderr != -1)
			dup2(run_stderr, i);
		else
			dup2(fileno(f[i]), i);
	}
	r->rc = cli_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 3; i++) {
		dup2(save[i], i);
		close(save[i]);
	}
	fclose(f[0]);
	r->nout = slurp(f[1], r->out, sizeof(r->out));
	slurp(f[2], r->err, sizeof(r->err));
}

static char url[64];

static void
test_cli_usage(void)
{
	struct run r;

	run_cli(&r, "", "labwire", "--help", NULL);
	CHECK(r.rc == 2);
	CHECK(strstr(r.out, "usage: labwire [--url URL] [--token T] [--cacert FILE] COMMAND") !=
	    NULL);
	CHECK(strstr(r.out, "user add NAME [--role R] [--data-dir DIR]") != NULL);
	CHECK(strstr(r.out, "console LAB NODE") != NULL);
	CHECK(strstr(r.out, "  image add FILE [--name NAME] [--template T]\n") != NULL);
	CHECK(strstr(r.out, "  image rm NAME ") != NULL);
	CHECK(strstr(r.out, "  lab import FILE [--name N] [--format F]\n") != NULL);
	CHECK(
	    strstr(r.out, "  lab export LAB [--format labwire|clab] [--yaml] [-o FILE]\n") != NULL);
	run_cli(&r, "", "labwire", "frobnicate", NULL);
	CHECK(r.rc == 2);
	CHECK(strstr(r.err, "unknown command 'frobnicate'") != NULL);
	run_cli(&r, "", "labwire", "lab", "start", NULL);
	CHECK(r.rc == 2);
	CHECK_STR(r.err, "usage: labwire lab start LAB [--wait [--timeout S]]\n");
	run_cli(&r, "", "labwire", "lab", "list", "--wait", NULL);
	CHECK(r.rc == 2);
	run_cli(&r, "", "labwire", "lab", "start", "x", "--wait", "--timeout", "soon", NULL);
	CHECK(r.rc == 2);
	CHECK(strstr(r.err, "'soon' is not a number of seconds") != NULL);
	run_cli(&r, "", "labwire", "console", "demo", "r1", "--expect", "(", NULL);
	CHECK(r.rc == 2);
}

static void
test_cli_http(void)
{
	struct run r;
	char bad[64];
	json_t *j = NULL;
	long st = -1;
	int before;

	CHECK(cli_set_url(url) == 0);
	CHECK(cli_http("GET", "/api/v1/labs", NULL, &st, &j) == 0);
	CHECK(st == 200);
	CHECK(json_array_size(json_object_get(j, "labs")) == 2);
	json_decref(j);

	/* Names are escaped into one path segment; the API's message is shown. */
	run_cli(&r, "", "labwire", "--url", url, "lab", "show", "no such/lab", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(hs.lastpath, "GET /api/v1/labs/no%20such%2Flab");
	CHECK_STR(r.err, "labwire: lab 'no such/lab' not found (HTTP 404)\n");

	snprintf(bad, sizeof(bad), "http://127.0.0.1:%d", closed_port());
	before = hs.requests;
	run_cli(&r, "", "labwire", "--url", bad, "lab", "list", NULL);
	CHECK(r.rc == 1);
	CHECK(strncmp(r.err, "labwire: cannot reach the daemon at ", 36) == 0);
	CHECK(strstr(r.err, bad) != NULL);
	CHECK(hs.requests == before);
}

static void
test_cli_labs(void)
{
	struct run r;
	char file[] = "/tmp/test_cli_XXXXXX";
	const char *topo =
	    "{\"name\":\"demo\",\"nodes\":[{\"name\":\"r1\",\"template\":\"tiny-linux\"}]}\n";
	int fd;

	run_cli(&r, "", "labwire", "--url", url, "lab", "list", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out,
	    "ID  NAME      STATE    NODES  LINKS\n"
	    "1   demo      stopped  2      1\n"
	    "12  core-lab  running  10     9\n");

	/* The file goes as is, byte for byte; stdin works the same. */
	run_cli(&r, topo, "labwire", "--url", url, "lab", "create", "-", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "created lab demo (id 7)\n");
	CHECK_STR(hs.lastbody, topo);
	if ((fd = mkstemp(file)) != -1) {
		CHECK(write(fd, "{\"name\": \"x\",\n \"nodes\": [}\n", 27) == 27);
		close(fd);
		run_cli(&r, "", "labwire", "--url", url, "lab", "create", file, NULL);
		CHECK(r.rc == 1);
		CHECK(strstr(r.err, ":2:") != NULL);
		unlink(file);
	}

	run_cli(&r, "", "labwire", "--url", url, "lab", "show", "demo", NULL);
	CHECK(r.rc == 0);
	CHECK(strstr(r.out, "lab demo (id 1): stopped\n") != NULL);
	CHECK(strstr(r.out, "NAME  STATE    ACCEL  CONSOLE         READY\n") != NULL);
	CHECK(strstr(r.out, "r1    stopped  -      127.0.0.1:5001  -\n") != NULL);
	CHECK(strstr(r.out, "3   p2p   r1:eth0 -- r2:eth0  up     -         -\n") != NULL);

	/* Links: down, and an impairment spec that becomes the JSON the API takes. */
	run_cli(&r, "", "labwire", "--url", url, "link", "down", "demo", "3", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.lastbody, "{\"state\":\"down\"}");
	CHECK_STR(r.out, "link 3: down, impairment delay_ms=50 loss_pct=2.5\n");
	run_cli(&r, "", "labwire", "--url", url, "link", "impair", "demo", "3",
	    "delay_ms=50,loss_pct=2.5,a_to_b.rate_kbps=1000", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.lastbody,
	    "{\"impairment\":{\"delay_ms\":50,\"loss_pct\":2.5,\"a_to_b\":{\"rate_kbps\":1000}}}");
	run_cli(&r, "", "labwire", "--url", url, "link", "impair", "demo", "3", "none", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.lastbody, "{\"impairment\":{}}");
	run_cli(
	    &r, "", "labwire", "--url", url, "link", "impair", "demo", "3", "delay_ms=fast", NULL);
	CHECK(r.rc == 1 && strstr(r.err, "not a number") != NULL);
	run_cli(&r, "", "labwire", "--url", url, "link", "up", "demo", "../3", NULL);
	CHECK(r.rc == 1 && strstr(r.err, "by its id") != NULL);

	run_cli(&r, "", "labwire", "--url", url, "lab", "delete", "demo", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "deleted lab demo\n");
}

/* A lab file of another tool goes as is (any bytes, NULs too); the report is printed for people. */
static void
test_cli_import(void)
{
	static const char clab[] = "name: srl-lab\ntopology:\n  nodes:\n\0\xff\n";
	char file[] = "/tmp/test_cli_XXXXXX", got[4096];
	struct run r;
	int fd;

	if ((fd = mkstemp(file)) == -1 || write(fd, clab, sizeof(clab) - 1) != sizeof(clab) - 1) {
		CHECK(!"a file to import");
		return;
	}
	close(fd);
	run_cli(&r, "", "labwire", "--url", url, "lab", "import", file, "--name", "my lab", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.lastpath, "POST /api/v1/labs/import?name=my%20lab");
	CHECK(hs.impn == sizeof(clab) - 1 && memcmp(hs.impbody, clab, hs.impn) == 0);
	CHECK(hs.imp_octets);
	CHECK(
	    strncmp(r.out,
	        "imported lab srl-lab (id 9) from clab: 3 nodes, 2 links (1 LAN segment)\n\n"
	        "NODE  FROM                TO          NOTE\n"
	        "srl1  clab:nokia_srlinux  frr-router  substitute: no image for srlinux\n"
	        "h1    clab:linux          linux-host  -\n",
	        strlen("imported lab srl-lab (id 9) from clab: 3 nodes, 2 links (1 LAN segment)\n\n"
	               "NODE  FROM                TO          NOTE\n"
	               "srl1  clab:nokia_srlinux  frr-router  substitute: no image for srlinux\n"
	               "h1    clab:linux          linux-host  -\n")) == 0);
	CHECK(strstr(r.out, "\nnodes renamed:\n  h 2 -> h-2\n") != NULL);
	/* A name from the file with terminal escapes (ESC, BEL, C1 CSI) is shown defused. */
	CHECK(strstr(r.out, "\n  x?]0;t??2J -> x-0-t-\n") != NULL);
	CHECK(strstr(r.out, "\ninterfaces renamed:\n  srl1: e1-1 -> eth0\n") != NULL);
	CHECK(strstr(r.out,
	          "\ndropped:\n  link srl1:mgmt0: management interfaces are not imported\n"
	          "  ... and 4 more\n") != NULL);
	CHECK(strstr(r.out,
	          "\nkept on the node, not applied:\n  srl1: startup config: written for "
	          "nokia_srlinux; frr-router cannot read it\n  ... and 2 more\n") != NULL);

	/* A file the daemon cannot read: its message, exit 1. */
	run_cli(&r, "", "labwire", "--url", url, "lab", "import", file, "--format", "gns3", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(hs.lastpath, "POST /api/v1/labs/import?format=gns3");
	CHECK_STR(r.err, "labwire: not a GNS3 project: no topology.nodes?[2J (HTTP 422)\n");
	CHECK(r.nout == 0);
	run_cli(&r, "", "labwire", "--url", url, "lab", "import", "/nonexistent/x.clab.yml", NULL);
	CHECK(r.rc == 1 && strstr(r.err, "No such file") != NULL);
	run_cli(&r, "", "labwire", "--url", url, "lab", "import", file, "--yaml", NULL);
	CHECK(r.rc == 2);

	/* Export: stdout byte for byte, or a file; the daemon's refusal in its words. */
	run_cli(&r, "", "labwire", "--url", url, "lab", "export", "demo", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "{\n  \"format\": \"labwire\",\n  \"name\": \"demo\"\n}\n");
	run_cli(&r, "", "labwire", "--url", url, "lab", "export", "demo", "--yaml", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "format: labwire\nname: demo\n");
	run_cli(&r, "", "labwire", "--url", url, "lab", "export", "demo", "--format", "clab", "-o",
	    file, NULL);
	CHECK(r.rc == 0);
	snprintf(got, sizeof(got), "exported lab demo to %s (33 B)\n", file);
	CHECK_STR(r.out, got);
	if ((fd = open(file, O_RDONLY)) != -1) {
		ssize_t n = read(fd, got, sizeof(got) - 1);

		got[n > 0 ? n : 0] = '\0';
		close(fd);
		CHECK_STR(got, "name: demo\ntopology:\n  nodes: {}\n");
	}
	run_cli(&r, "", "labwire", "--url", url, "lab", "export", "no such/lab", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(hs.lastpath, "GET /api/v1/labs/no%20such%2Flab/export");
	CHECK_STR(r.err, "labwire: no route (HTTP 404)\n");
	unlink(file);
}

static void
test_cli_wait(void)
{
	struct run r;

	run_cli(&r, "", "labwire", "--url", url, "lab", "start", "demo", "--wait", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out,
	    "lab demo: starting\n"
	    "r1: starting\n"
	    "r2: starting\n"
	    "r1: running, not ready yet\n"
	    "r2: running\n"
	    "r1: running, ready\n"
	    "lab demo: running\n");

	run_cli(&r, "", "labwire", "--url", url, "lab", "start", "bad", "--wait", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(r.err, "labwire: node r1 failed: qemu exited: no kernel\n");

	/* Never stopped: "demo" stays running, so a short --timeout gives up. */
	run_cli(&r, "", "labwire", "--url", url, "lab", "stop", "demo", "--wait", "--timeout",
	    "0.6", NULL);
	CHECK(r.rc == 1);
	CHECK(strstr(r.err, "timed out after 0.6 s waiting for lab demo to be stopped") != NULL);
}

static void
test_cli_console(void)
{
	struct run r;
	char want[64], lurl[64];
	int done = ts.sessions;

	snprintf(lurl, sizeof(lurl), "http://localhost:%d", hs.port);
	/* The daemon said 0.0.0.0: the console is on the daemon's host. */
	run_cli(&r, "", "labwire", "--url", lurl, "console", "demo", "r1", "--print", NULL);
	CHECK(r.rc == 0);
	snprintf(want, sizeof(want), "localhost %d\n", ts.port);
	CHECK_STR(r.out, want);

	run_cli(&r, "", "labwire", "--url", url, "console", "demo", "r1", "--wait-ready", "--send",
	    "hello", "--expect", "^HELLO$", "--send", "again", "--expect", "^AGAIN$", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "HELLO\nAGAIN\n");
	CHECK(strstr(r.err, "r1: running, ready\n") != NULL);

	run_cli(&r, "", "labwire", "--url", url, "console", "demo", "r1", "--send", "one",
	    "--expect", "^NEVER$", "--timeout", "0.5", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(r.out, "ONE\n");
	CHECK(strstr(r.err, "timed out waiting for /^NEVER$/") != NULL);

	/* "$" at the end of output that paused: a prompt. */
	run_cli(&r, "", "labwire", "--url", url, "console", "demo", "r1", "--send", "prompt",
	    "--expect", "# $", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "/ # ");
	/* ...but not at the end of a line still arriving. */
	run_cli(&r, "", "labwire", "--url", url, "console", "demo", "r1", "--send", "split",
	    "--expect", "^ok(ay)?$", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "okay\n");

	/* Not a terminal: piped in, copied out untouched. */
	run_cli(&r, "ping\n", "labwire", "--url", url, "console", "demo", "r1", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "PING\r\n");
	CHECK(tsrv_wait(done + 5) == 0);
}

/* A console that asks for a login: the CLI answers with the node's token, unseen. */
static void
test_cli_console_login(void)
{
	struct run r;
	int done = ts.sessions;

	ts.login = 1;
	run_cli(&r, "", "labwire", "--url", url, "console", "demo", "r3", "--send", "hello",
	    "--expect", "^HELLO$", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "booted\nHELLO\n");
	CHECK(wire_has("token\r", 6) && wire_has("tok3n\r", 6));
	CHECK(tsrv_wait(done + 1) == 0);
	/* Piped, as a session: the login is not shown either. */
	run_cli(&r, "ping\n", "labwire", "--url", url, "console", "demo", "r3", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "booted\r\nPING\r\n");
	CHECK(tsrv_wait(done + 2) == 0);
	/* A refused token shows as the console's refusal; --expect then fails. */
	run_cli(&r, "", "labwire", "--url", url, "console", "demo", "r4", "--expect", "booted",
	    "--timeout", "0.5", NULL);
	CHECK(r.rc == 1);
	CHECK(strstr(r.out, "Login incorrect") != NULL);
	CHECK(tsrv_wait(done + 3) == 0);
	ts.login = 0;
	/* Without a token nothing is answered: the console is as before. */
	run_cli(&r, "", "labwire", "--url", url, "console", "demo", "r1", "--send", "hi",
	    "--expect", "^HI$", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "HI\n");
	CHECK(!wire_has("token", 5));
	CHECK(tsrv_wait(done + 4) == 0);
}

#define CAP_START "capture 5 on lab demo link 3; Ctrl-C stops it\n"
#define CAP_FROM_GET "capture 5: 3 packets, 1616 bytes, 0 dropped\n"
#define CAP_FROM_DELETE "capture 5: 4 packets, 1700 bytes, 2 dropped\n"
#define CAP_COUNTED "\rcaptured 3 packets (1616 bytes)\n"

static void
cap_reset(int mode, const char *state)
{
	hs.caplog[0] = hs.capbody[0] = '\0';
	hs.pcap_mode = mode;
	hs.capstate = state;
	hs.pcap_accept = 0;
}

/* file_is - file holds exactly the n bytes at p. */
static int
file_is(const char *file, const void *p, size_t n)
{
	char buf[2048];
	FILE *f = fopen(file, "rb");
	size_t got;

	if (f == NULL)
		return (0);
	got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return (got == n && memcmp(buf, p, n) == 0);
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return (n >= t && strcmp(s + n - t, tail) == 0);
}

/* The capture ends three ways: on the appliance, mid-record, or by Ctrl-C. */
static void
test_cli_capture_file(const char *file)
{
	struct run r;

	/* The lab stopped: the stream ends, the counts come from a GET, nothing to stop. */
	pcap_build(0, 0, 0);
	cap_reset(PCAP_END, "stopped");
	run_cli(&r, "", "labwire", "--url", url, "capture", "demo", "3", "-f", "icmp or arp", "-s",
	    "96", "-w", file, NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.capbody, "{\"filter\":\"icmp or arp\",\"snaplen\":96}");
	CHECK(hs.pcap_accept);
	CHECK(file_is(file, pcap, pcap_len));
	CHECK_STR(hs.caplog, "POST " CAPS "\nGET " CAP5 "/pcap?follow=1\nGET " CAP5 "\n");
	CHECK(strncmp(r.err, CAP_START, strlen(CAP_START)) == 0);
	CHECK(ends_with(r.err, CAP_COUNTED CAP_FROM_GET));
	CHECK(r.nout == 0);

	/* The stream breaks off inside a record while the capture runs: the file
	 * stops at the last whole record, and the capture is stopped. */
	pcap_build(0, 1, 1);
	cap_reset(PCAP_END, "running");
	run_cli(&r, "", "labwire", "--url", url, "capture", "demo", "3", "--write", file, NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.capbody, "{}");
	CHECK(pcap_len > pcap_whole && file_is(file, pcap, pcap_whole));
	CHECK_STR(hs.caplog,
	    "POST " CAPS "\nGET " CAP5 "/pcap?follow=1\nGET " CAP5 "\nDELETE " CAP5 "\n");
	CHECK(ends_with(r.err, CAP_COUNTED CAP_FROM_DELETE));

	/* Ctrl-C while it streams: DELETE stops it, and its answer has the counts. */
	pcap_build(1, 1, 0);
	cap_reset(PCAP_HOLD, "running");
	hs.pcap_file = file;
	hs.pcap_hung_up = 0;
	run_cli(&r, "", "labwire", "--url", url, "capture", "demo", "3", "-w", file, NULL);
	CHECK(r.rc == 0);
	CHECK(hs.pcap_hung_up);
	CHECK(file_is(file, pcap, pcap_len));
	CHECK_STR(hs.caplog, "POST " CAPS "\nGET " CAP5 "/pcap?follow=1\nDELETE " CAP5 "\n");
	CHECK(ends_with(r.err, CAP_COUNTED CAP_FROM_DELETE));
}

/* Without -w: stdout, live; its reader going away stops the capture. */
static void
test_cli_capture_stdout(void)
{
	struct run r;
	int p[2];

	pcap_build(1, 0, 0);
	cap_reset(PCAP_END, "stopped");
	run_cli(&r, "", "labwire", "--url", url, "capture", "demo", "3", NULL);
	CHECK(r.rc == 0);
	CHECK(r.nout == pcap_len && memcmp(r.out, pcap, pcap_len) == 0);
	CHECK_STR(r.err, CAP_START CAP_FROM_GET); /* and no count: stdout is the pcap */

	if (pipe(p) == -1)
		return;
	close(p[0]);
	cap_reset(PCAP_END, "running");
	run_stdout = p[1];
	run_cli(&r, "", "labwire", "--url", url, "capture", "demo", "3", "-w", "-", NULL);
	run_stdout = -1;
	close(p[1]);
	CHECK(r.rc == 0);
	CHECK_STR(hs.caplog, "POST " CAPS "\nGET " CAP5 "/pcap?follow=1\nDELETE " CAP5 "\n");
	CHECK_STR(r.err, CAP_START CAP_FROM_DELETE);
}

static void
test_cli_capture_errors(const char *file)
{
	struct run r;
	int m, t = -1, before;
	FILE *f;

	/* The API's message; a file that was there is untouched, one made for nothing is gone. */
	if ((f = fopen(file, "w")) != NULL) {
		fputs("old", f);
		fclose(f);
	}
	run_cli(&r, "", "labwire", "--url", url, "capture", "off", "3", "-w", file, NULL);
	CHECK(r.rc == 1);
	CHECK_STR(r.err,
	    "labwire: link 3 is not up: start the lab (or a node on the link) first (HTTP 409)\n");
	CHECK(file_is(file, "old", 3));
	unlink(file);
	run_cli(&r, "", "labwire", "--url", url, "capture", "demo", "3", "-f", "bogus", "-w", file,
	    NULL);
	CHECK(r.rc == 1);
	CHECK_STR(r.err, "labwire: syntax error in filter expression: syntax error (HTTP 422)\n");
	CHECK(access(file, F_OK) == -1);

	run_cli(&r, "", "labwire", "capture", "demo", "3", "-s", "lots", "-w", file, NULL);
	CHECK(r.rc == 2);
	CHECK_STR(r.err, "labwire: 'lots' is not a snapshot length in bytes\n");
	run_cli(&r, "", "labwire", "capture", "demo", "-w", file, NULL);
	CHECK(r.rc == 2);
	CHECK_STR(r.err, "usage: labwire capture LAB LINK [-f FILTER] [-s SNAPLEN] [-w FILE|-]\n");
	run_cli(&r, "", "labwire", "console", "demo", "r1", "-w", file, NULL);
	CHECK(r.rc == 2);

	/* No -w and stdout is a terminal: refused before asking the daemon anything. */
	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) == -1)
		return;
	if (grantpt(m) == 0 && unlockpt(m) == 0 &&
	    (t = open(ptsname(m), O_RDWR | O_NOCTTY)) != -1) {
		before = hs.requests;
		run_stdout = t;
		run_cli(&r, "", "labwire", "--url", url, "capture", "demo", "3", NULL);
		run_stdout = -1;
		CHECK(r.rc == 2);
		CHECK(strstr(r.err, "-w file.pcap") != NULL);
		CHECK(strstr(r.err, "labwire capture demo 3 | wireshark -k -i -") != NULL);
		CHECK(hs.requests == before);
		close(t);
	}
	close(m);
}

static void
test_cli_capture(void)
{
	char file[] = "/tmp/test_cli_pcap_XXXXXX";
	int fd;

	hs.main = pthread_self();
	if ((fd = mkstemp(file)) == -1) {
		CHECK(fd != -1);
		return;
	}
	close(fd);
	test_cli_capture_file(file);
	test_cli_capture_stdout();
	test_cli_capture_errors(file);
	unlink(file);
}

/* ---- the image store ---- */

#define IMG_SIZE (3u * 1024 * 1024 + 4321) /* not a multiple of any buffer */
#define IMG_DONE "uploaded disk-1.qcow2 (3.0 MiB)\n"

/* img_file - dir/name holding size bytes of img_byte; 0 or -1. */
static int
img_file(const char *dir, const char *name, size_t size, char *path, size_t len)
{
	char buf[8192];
	size_t off, k;
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	for (off = 0; off < size; off += k) {
		k = size - off < sizeof(buf) ? size - off : sizeof(buf);
		for (size_t i = 0; i < k; i++)
			buf[i] = (char)img_byte(off + i);
		if (fwrite(buf, 1, k, f) != k)
			break;
	}
	return (fclose(f) == 0 && off == size ? 0 : -1);
}

/* The file goes as one POST with a Content-Length, byte for byte, named by its base name. */
static void
test_cli_image_add(const char *file)
{
	char want[512];
	struct run r;

	run_cli(&r, "", "labwire", "--url", url, "image", "add", file, NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.lastpath, "POST /api/v1/images?name=disk-1.qcow2");
	snprintf(want, sizeof(want), "\r\nContent-Length: %u\r\n", IMG_SIZE);
	CHECK(strcasestr(hs.imghead, want) != NULL);
	CHECK(strcasestr(hs.imghead, "\r\nTransfer-Encoding") == NULL);
	CHECK(strcasestr(hs.imghead, "\r\nExpect: 100-continue\r\n") != NULL);
	CHECK(strcasestr(hs.imghead, "\r\nContent-Type: application/octet-stream\r\n") != NULL);
	CHECK(hs.img_got == IMG_SIZE && !hs.img_bad);
	CHECK_STR(
	    r.out, "added image disk-1.qcow2: qcow2, virtual size 64 MiB, sha256 " IMG_SHA "\n");
	CHECK_STR(r.err, IMG_DONE); /* not a terminal: no progress, only the last line */

	/* Options anywhere; query values escaped. */
	run_cli(&r, "", "labwire", "--url", url, "image", "add", "--template", "a b&c", file,
	    "--name", "iosv", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.lastpath, "POST /api/v1/images?name=iosv&template=a%20b%26c");
	CHECK(hs.img_got == IMG_SIZE && !hs.img_bad);
	CHECK(strncmp(r.out, "added image iosv: ", 18) == 0);
}

/* Refusals: the daemon's words, exit 1; one that comes first saves sending the body. */
static void
test_cli_image_refused(const char *file)
{
	char bad[64];
	struct run r;

	run_cli(&r, "", "labwire", "--url", url, "image", "add", file, "--name", "taken", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(r.err,
	    "uploading disk-1.qcow2: stopped at 0% (0 B of 3.0 MiB)\n"
	    "labwire: an image named 'taken' already exists (HTTP 409)\n");
	CHECK(hs.img_got == 0);
	run_cli(&r, "", "labwire", "--url", url, "image", "add", file, "--name", "x&y", NULL);
	CHECK(r.rc == 1);
	CHECK(ends_with(r.err, "labwire: image name 'x&y' is not valid (HTTP 422)\n"));
	CHECK(hs.img_got == 0);

	run_cli(&r, "", "labwire", "--url", url, "image", "add", file, "--name", "junk", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(
	    r.err, IMG_DONE "labwire: the file is not a disk image qemu-img knows (HTTP 422)\n");
	CHECK(hs.img_got == IMG_SIZE && !hs.img_bad);
	CHECK(r.nout == 0);

	run_cli(&r, "", "labwire", "--url", url, "image", "add", file, "--name", "cut", NULL);
	CHECK(r.rc == 1);
	CHECK(strstr(r.err, "uploading disk-1.qcow2: stopped at ") != NULL);
	CHECK(strstr(r.err, "\nlabwire: the upload broke off: ") != NULL);

	snprintf(bad, sizeof(bad), "http://127.0.0.1:%d", closed_port());
	run_cli(&r, "", "labwire", "--url", bad, "image", "add", file, NULL);
	CHECK(r.rc == 1);
	CHECK(strstr(r.err, "labwire: cannot reach the daemon at ") != NULL);
}

/* What is wrong with FILE (or its name) is said before any request. */
static void
test_cli_image_file(const char *dir)
{
	char path[256], want[512];
	struct run r;
	int before = hs.requests;

	snprintf(path, sizeof(path), "%s/nope.img", dir);
	run_cli(&r, "", "labwire", "--url", url, "image", "add", path, NULL);
	CHECK(r.rc == 1);
	snprintf(want, sizeof(want), "labwire: %s: No such file or directory\n", path);
	CHECK_STR(r.err, want);
	run_cli(&r, "", "labwire", "--url", url, "image", "add", dir, NULL);
	CHECK(r.rc == 1);
	snprintf(want, sizeof(want), "labwire: %s: not a regular file\n", dir);
	CHECK_STR(r.err, want);
	if (img_file(dir, "empty.img", 0, path, sizeof(path)) == 0) {
		run_cli(&r, "", "labwire", "--url", url, "image", "add", path, NULL);
		CHECK(r.rc == 1);
		CHECK(strstr(r.err, "empty.img: empty file\n") != NULL);
		unlink(path);
	}
	CHECK(img_file(dir, "my disk.img", 1000, path, sizeof(path)) == 0);
	run_cli(&r, "", "labwire", "--url", url, "image", "add", path, NULL);
	CHECK(r.rc == 2);
	CHECK(strncmp(r.err, "labwire: 'my disk.img' cannot be an image name (", 48) == 0);
	CHECK(ends_with(r.err, "; pass --name NAME\n"));
	CHECK(hs.requests == before);
	run_cli(&r, "", "labwire", "--url", url, "image", "add", path, "--name", "mydisk", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.lastpath, "POST /api/v1/images?name=mydisk");
	CHECK(hs.img_got == 1000 && !hs.img_bad);
	unlink(path);

	run_cli(&r, "", "labwire", "image", "add", NULL);
	CHECK(r.rc == 2);
	CHECK_STR(r.err, "usage: labwire image add FILE [--name NAME] [--template T]\n");
	run_cli(&r, "", "labwire", "image", "rm", "x", "--name", "y", NULL);
	CHECK(r.rc == 2);
	CHECK(hs.requests == before + 1);
}

/* pty_read - what the terminal m shows, in as many reads as it takes (until 200 ms of quiet). */
static void
pty_read(int m, char *buf, size_t len)
{
	struct pollfd p = {.fd = m, .events = POLLIN};
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len && poll(&p, 1, 200) == 1 && (r = read(m, buf + n, len - n - 1)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

/* On a terminal the progress line is redrawn in place; the last one covers it and ends it. */
static void
test_cli_image_progress(const char *file)
{
	char got[4096];
	struct run r;
	int m, t;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) == -1)
		return;
	if (grantpt(m) == 0 && unlockpt(m) == 0 &&
	    (t = open(ptsname(m), O_RDWR | O_NOCTTY)) != -1) {
		run_stderr = t;
		run_cli(&r, "", "labwire", "--url", url, "image", "add", file, NULL);
		run_stderr = -1;
		close(t);
		CHECK(r.rc == 0);
		pty_read(m, got, sizeof(got));
		CHECK(strncmp(got, "uploading disk-1.qcow2: ", 24) == 0);
		CHECK(strstr(got, " of 3.0 MiB)") != NULL);
		/* padded over the longer line before it; the terminal shows "\n" as "\r\n" */
		CHECK(strstr(got,
		          "\r"
		          "uploaded disk-1.qcow2 (3.0 MiB) ") != NULL);
		CHECK(ends_with(got, " \r\n"));
	}
	close(m);
}

static void
test_cli_images(void)
{
	char dir[] = "/tmp/test_cli_img_XXXXXX", file[256];
	struct run r;

	if (mkdtemp(dir) == NULL ||
	    img_file(dir, "disk-1.qcow2", IMG_SIZE, file, sizeof(file)) == -1) {
		CHECK(!"a file to upload");
		return;
	}
	test_cli_image_add(file);
	test_cli_image_refused(file);
	test_cli_image_file(dir);
	test_cli_image_progress(file);
	unlink(file);
	rmdir(dir);

	run_cli(&r, "", "labwire", "--url", url, "image", "list", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(r.out,
	    "NAME        FORMAT  VIRTUAL  SIZE    TEMPLATE    USED-BY  SHA256        STATE\n"
	    "cirros      qcow2   112 MiB  20 MiB  tiny-linux  2        9b4e2f6a1c3d  ready\n"
	    "iosv.qcow2  -       -        -       -           0        -             uploading\n");

	run_cli(&r, "", "labwire", "--url", url, "image", "rm", "cirros", NULL);
	CHECK(r.rc == 0);
	CHECK_STR(hs.lastpath, "DELETE /api/v1/images/cirros");
	CHECK_STR(r.out, "deleted image cirros\n");
	run_cli(&r, "", "labwire", "--url", url, "image", "rm", "used", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(r.err, "labwire: image 'used' is used by node r1 in lab demo (HTTP 409)\n");
	CHECK(r.nout == 0);
	run_cli(&r, "", "labwire", "--url", url, "image", "rm", "no/such", NULL);
	CHECK(r.rc == 1);
	CHECK_STR(hs.lastpath, "DELETE /api/v1/images/no%2Fsuch");
}

int
main(void)
{
	pthread_t tt, ht;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((ts.lfd = listen_any(&ts.port)) == -1 || (hs.lfd = listen_any(&hs.port)) == -1) {
		perror("listen");
		return (1);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", hs.port);
	pthread_create(&tt, NULL, tsrv_main, &ts);
	pthread_create(&ht, NULL, hsrv_main, &hs);

	test_telnet_session();
	CHECK(tsrv_wait(1) == 0);
	test_telnet_negotiation();
	test_telnet_errors();
	test_cli_usage();
	test_cli_http();
	test_cli_labs();
	test_cli_import();
	test_cli_wait();
	test_cli_console();
	test_cli_console_login();
	test_cli_capture();
	test_cli_images();

	ts.stop = hs.stop = 1;
	pthread_join(tt, NULL);
	pthread_join(ht, NULL);
	close(ts.lfd);
	close(hs.lfd);
	TEST_DONE();
}
