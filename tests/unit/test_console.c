/*
 * The console hub without QEMU: a socketpair plays the guest's serial port,
 * real TCP clients attach to the telnet port. Fan-out, input, scrollback
 * wrap-around, send/expect and log rotation, as a client would see them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/console/console.h"
#include "test.h"

#define PORT 47311

static int
tcp_client(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Read from fd until needle shows up (telnet negotiation bytes and all) or 3 s pass. */
static size_t
read_until(int fd, const char *needle, char *buf, size_t cap)
{
	size_t len = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (len < cap - 1 && poll(&p, 1, 3000) == 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (memmem(buf, len, needle, strlen(needle)) != NULL)
			break;
	}
	buf[len] = '\0';
	return (len);
}

struct exec_arg {
	int guest;
};

/* The "guest" prints a line in two pieces, then a prompt with no newline. */
static void *
guest_halves(void *arg)
{
	struct exec_arg *a = arg;
	char buf[256];
	ssize_t n = read(a->guest, buf, sizeof(buf) - 1);

	(void)n;
	if (write(a->guest, "\r\n4", 3) < 0)
		return (NULL);
	usleep(50000);
	if (write(a->guest, "2\r\nhost# ", 9) < 0)
		return (NULL);
	return (NULL);
}

/* The "guest" answers the exec's command after a moment. */
static void *
guest_answer(void *arg)
{
	struct exec_arg *a = arg;
	char buf[256];
	ssize_t n = read(a->guest, buf, sizeof(buf) - 1);

	(void)n;
	usleep(100000);
	if (write(a->guest, "uptime\r\nup 42 days\r\n# ", 22) < 0)
		return (NULL);
	return (NULL);
}

int
main(void)
{
	char dir[] = "/tmp/lwcontest.XXXXXX", logp[128], old[140], *buf = malloc(1 << 20);
	struct lw_err e = {0};
	int sp[2], a, b, c;
	char *out = NULL, big[100000];
	struct stat st;
	pthread_t th;
	struct exec_arg ea;
	size_t n;

	CHECK(mkdtemp(dir) != NULL);
	config_defaults(&lw.cfg, "/nonexistent");
	lw.cfg.console_scrollback = 65536;
	lw.cfg.console_log_max = 200000;
	snprintf(logp, sizeof(logp), "%s/console.log", dir);
	CHECK(console_init(&e) == 0);
	CHECK(console_node_add(1, PORT, &e) == 0);
	CHECK(console_node_add(2, PORT, &e) == -1 && e.code == ERR_UNAVAILABLE); /* port taken */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	console_node_attach(1, sp[0], logp, true);

	/* Two clients: output reaches both; what either types reaches the guest. */
	a = tcp_client();
	b = tcp_client();
	CHECK(a != -1 && b != -1);
	read_until(a, "node started]", buf, 1 << 20);
	read_until(b, "node started]", buf, 1 << 20);
	CHECK(write(sp[1], "hello both\r\n", 12) == 12);
	CHECK(strstr((read_until(a, "hello both", buf, 1 << 20), buf), "hello both") != NULL);
	CHECK(strstr((read_until(b, "hello both", buf, 1 << 20), buf), "hello both") != NULL);
	CHECK(write(b, "ls\r\n", 4) == 4); /* telnet Enter is CR LF: the guest gets CR */
	n = (size_t)read(sp[1], buf, 100);
	CHECK(n == 3 && memcmp(buf, "ls\r", 3) == 0);
	CHECK(console_clients(1) == 2);

	/* Scrollback wraps: a late client gets exactly the last 64 KiB, in order. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	memcpy(big + sizeof(big) - 4, "END\n", 4);
	for (size_t off = 0; off < sizeof(big);)
		off += (size_t)write(sp[1], big + off, sizeof(big) - off);
	c = tcp_client();
	n = read_until(c, "END\n", buf, 1 << 20);
	CHECK(n >= 65536 && memcmp(buf + n - 65536, big + sizeof(big) - 65536, 65536) == 0);
	read_until(a, "END\n", buf, 1 << 20);

	/* send/expect: the typed line reaches the guest, the match ends the wait. */
	ea.guest = sp[1];
	pthread_create(&th, NULL, guest_answer, &ea);
	CHECK(console_exec(1, "uptime", "up [0-9]+ days", 3000, &out, &e) == 0);
	CHECK(out != NULL && strstr(out, "up 42 days") != NULL && strchr(out, '\r') == NULL);
	pthread_join(th, NULL);
	free(out);
	/* "$" is an end of line, not the end of what has come so far. */
	pthread_create(&th, NULL, guest_halves, &ea);
	CHECK(console_exec(1, "echo 42", "^[0-9]+$", 3000, &out, &e) == 0);
	CHECK(out != NULL && strstr(out, "\n42") != NULL);
	pthread_join(th, NULL);
	free(out);
	/* A prompt is matched once the output has settled. */
	pthread_create(&th, NULL, guest_halves, &ea);
	CHECK(console_exec(1, "echo 42", "# $", 3000, &out, &e) == 0);
	CHECK(out != NULL && strstr(out, "host# ") != NULL);
	pthread_join(th, NULL);
	free(out);
	CHECK(console_exec(1, NULL, "never", 300, &out, &e) == -1 && e.code == ERR_TIMEOUT);
	free(out);
	CHECK(console_exec(1, NULL, "([", 300, &out, &e) == -1 && e.code == ERR_INVALID);
	free(out);
	CHECK(console_exec(9, "x", "x", 300, &out, &e) == -1 && e.code == ERR_CONFLICT);
	free(out);

	/* The log holds the output and rotated at 200000 bytes. */
	snprintf(old, sizeof(old), "%s.1", logp);
	CHECK(stat(logp, &st) == 0 && st.st_size > 0 && st.st_size <= 200000);
	for (int i = 0; i < 3; i++)
		for (size_t off = 0; off < sizeof(big);)
			off += (size_t)write(sp[1], big + off, sizeof(big) - off);
	read_until(a, "END\n", buf, 1 << 20);
	usleep(200000);
	CHECK(stat(old, &st) == 0 && st.st_size > 0);
	CHECK(stat(logp, &st) == 0 && st.st_size <= 200000);

	/* The guest goes away: clients stay and are told. */
	close(sp[1]);
	CHECK(strstr((read_until(a, "node stopped]", buf, 1 << 20), buf), "node stopped]") != NULL);
	CHECK(console_clients(1) == 3);
	console_node_remove(1);
	n = read_until(a, "\xff\xff\xff", buf, 1 << 20); /* reads until the close */
	CHECK(read(a, buf, 1) == 0);
	close(a);
	close(b);
	close(c);
	console_fini();
	unlink(logp);
	unlink(old);
	rmdir(dir);
	free(buf);
	TEST_DONE();
}
