/*
 * Late callers after a module's fini. At shutdown the runtime goes on
 * wiring links and attaching consoles after the capture and console
 * threads stopped; the impairment engine may be asked too. Such a call
 * must not write to the fds the module closed, nor to whatever fd took
 * their numbers since (pipes opened right after fini take them here), nor
 * open anything new.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/console/console.h"
#include "core/net/capture.h"
#include "core/net/impair.h"
#include "test.h"

#define PORT 47317
#define NPIPES 3

static int pipes[NPIPES][2];

/* Take the lowest free fd numbers: those the module just closed. */
static void
pipes_open(void)
{
	for (int i = 0; i < NPIPES; i++)
		CHECK(pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC) == 0);
}

/* Nothing was written into any pipe; then close them. */
static bool
pipes_quiet(void)
{
	bool quiet = true;
	char b[16];

	for (int i = 0; i < NPIPES; i++) {
		quiet &= read(pipes[i][0], b, sizeof(b)) == -1 && errno == EAGAIN;
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	return (quiet);
}

static bool
port_refuses(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool refused;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	refused = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1;
	close(fd);
	return (refused);
}

static void
test_capture(void)
{
	struct lw_err e = {0};
	struct capture_stats *st = NULL;

	CHECK(capture_init(&e) == 0);
	CHECK(capture_fini(&st) == 0);
	free(st);
	pipes_open();
	/* A link the runtime (re)wires after capture_fini: not watched, nobody woken. */
	capture_link_up(7, "lo");
	CHECK(!capture_link_is_up(7));
	CHECK(capture_start(1, 7, NULL, 128, "/dev/null", NULL, &e) == -1 &&
	    e.code == ERR_UNAVAILABLE);
	CHECK(capture_link_down(7, &st) == 0);
	free(st);
	CHECK(pipes_quiet());
}

static void
test_console(void)
{
	struct lw_err e = {0};
	char *out = NULL, c;
	int sp[2];

	CHECK(console_init(&e) == 0);
	console_fini();
	pipes_open();
	/* A node created, then started, after console_fini: no console, no port. */
	CHECK(console_node_add(5, PORT, &e) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
	console_node_attach(5, sp[0], "/dev/null", true); /* closes sp[0] */
	CHECK(poll(&(struct pollfd){.fd = sp[1], .events = POLLIN}, 1, 1000) == 1 &&
	    read(sp[1], &c, 1) == 0);
	close(sp[1]);
	CHECK(port_refuses(PORT));
	CHECK(console_exec(5, "x", "x", 100, &out, &e) == -1 && e.code == ERR_CONFLICT);
	free(out);
	CHECK(console_clients(5) == 0);
	console_node_detach(5);
	console_node_remove(5);
	CHECK(pipes_quiet());
}

static void
test_impair(void)
{
	struct impair_params p = {.has_seed = false};
	int sp[2];

	CHECK(impair_init() == 0);
	impair_fini();
	pipes_open();
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) == 0);
	/* Refused, and the fds it was handed are closed (the peer sees it). */
	CHECK(impair_link_set(3, sp[0], dup(sp[1]), &p) == -1);
	CHECK(!impair_link_has(3));
	CHECK(fcntl(sp[0], F_GETFD) == -1 && errno == EBADF);
	close(sp[1]);
	impair_link_remove(3);
	CHECK(pipes_quiet());
}

int
main(void)
{
	config_defaults(&lw.cfg, "/nonexistent");
	test_capture();
	test_console();
	test_impair();
	TEST_DONE();
}
