/*
 * telnetd - the consoles' telnet server: one TCP port per node on
 * --console-host, the options it negotiates (the server echoes, no go-ahead,
 * binary both ways), and telnet's escaping in and out, through libtelnet.
 * It owns the listening socket and each client's libtelnet state, nothing
 * more: the fan-out, the scrollback and the client's queue are console.c's.
 * The telnet client is the CLI's, under core/cli/.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libtelnet.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "core/console/console_int.h"

static const telnet_telopt_t telopts[] = {
    {TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT},
    {TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO},
    {TELNET_TELOPT_BINARY, TELNET_WILL, TELNET_DO},
    {-1, 0, 0},
};

static int
telnetd_listen(int port, struct lw_err *e)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd, one = 1;

	if (inet_pton(AF_INET, lw.cfg.console_host, &sin.sin_addr) != 1)
		return (err_set(e, ERR_INVALID, "console host '%s' is not an IPv4 address",
		    lw.cfg.console_host));
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return (err_set(e, ERR_INTERNAL, "socket: %s", strerror(errno)));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(fd, 16) == -1) {
		err_set(e, ERR_UNAVAILABLE, "console port %s:%d: %s", lw.cfg.console_host, port,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

int
telnetd_start(struct con *c, struct lw_err *e)
{
	if ((c->listen_fd = telnetd_listen(c->port, e)) == -1)
		return (-1);
	console_watch_add(c->listen_fd, &c->w_listen, EPOLLIN);
	return (0);
}

void
telnetd_stop(struct con *c)
{
	if (c->listen_fd == -1)
		return;
	console_watch_del(c->listen_fd);
	close(c->listen_fd);
	c->listen_fd = -1;
}

telnet_t *
telnetd_session(telnetd_handler eh, void *arg)
{
	telnet_t *tn = telnet_init(telopts, eh, 0, arg);

	if (tn == NULL)
		return (NULL);
	telnet_negotiate(tn, TELNET_WILL, TELNET_TELOPT_ECHO);
	telnet_negotiate(tn, TELNET_WILL, TELNET_TELOPT_SGA);
	telnet_negotiate(tn, TELNET_WILL, TELNET_TELOPT_BINARY);
	telnet_negotiate(tn, TELNET_DO, TELNET_TELOPT_BINARY);
	return (tn);
}

static void
telnetd_event(telnet_t *tn, telnet_event_t *ev, void *arg)
{
	struct client *cl = arg;

	(void)tn;
	if (cl->dead)
		return; /* closed mid-buffer: nothing after the cut reaches the guest */
	switch (ev->type) {
	case TELNET_EV_DATA:
		if (cl->login != NULL)
			login_input(cl, ev->data.buffer, ev->data.size);
		else if (!cl->read_only)
			console_input(cl->con, cl, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_SEND:
		console_client_write(cl, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_ERROR:
		log_debug(
		    "console %lld: telnet client: %s", (long long)cl->con->node, ev->error.msg);
		console_client_close(cl);
		break;
	default:
		break;
	}
}

void
telnetd_accept(struct con *c)
{
	struct client *cl;
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd == -1)
		return;
	if ((cl = console_client_new(c, C_TELNET, fd)) == NULL ||
	    (cl->tn = telnetd_session(telnetd_event, cl)) == NULL ||
	    console_watch_add(fd, &cl->w, EPOLLIN) == -1) {
		if (cl != NULL && cl->tn != NULL)
			telnet_free(cl->tn);
		free(cl);
		close(fd);
		return;
	}
	if (login_required())
		login_start(cl);
	else
		console_client_join(cl);
}

void
telnetd_recv(struct client *cl, const char *data, size_t len)
{
	telnet_recv(cl->tn, data, len);
}

void
telnetd_send(struct client *cl, const char *data, size_t len)
{
	telnet_send(cl->tn, data, len);
}

void
telnetd_free(struct client *cl)
{
	if (cl->tn != NULL)
		telnet_free(cl->tn);
	cl->tn = NULL;
}
