/*
 * fabric - TAP devices and Linux bridges through rtnetlink (libmnl).
 *
 * One NETLINK_ROUTE socket, guarded by a mutex, carries every request. Each
 * request asks for an ACK and the caller waits for it, so a failure reaches
 * the caller that caused it, never the next one. Only interfaces with the
 * "lw" prefix and this daemon's mark (IFLA_IFALIAS, see fabric_instance_set)
 * are ever changed: the daemon must not touch a foreign interface, whatever
 * its name. Changes go by ifindex, looked up with the mark in one request,
 * so a name that changed hands meanwhile is not the one changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "core/base/priv.h"
#include "core/base/spawn.h"
#include "core/net/fabric.h"
#include "core/net/fabric_priv.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/strv.h"

#define FABRIC_IFNAME_MAX 15 /* IFNAMSIZ - 1 */
/* Our requests carry one name (<= 15 bytes) and a few fixed attributes. */
#define FABRIC_REQ_SIZE 1024
/* The kernel sizes dump messages up to 32 KiB, after the reader's buffer. */
#define FABRIC_RCV_SIZE 32768
#define FABRIC_DUMP_TRIES 5
/*
 * Every link-local group address the kernel lets a bridge forward. It
 * refuses bits 0-2 with EINVAL: 01:80:c2:00:00:00 (STP, forwarded anyway
 * while STP is off), ..:01 (pause) and ..:02 (LACP, which therefore cannot
 * cross a bridge). Bit 14 is LLDP (..:0e), bit 3 802.1X (..:03).
 */
#define FABRIC_GROUP_FWD_MASK 0xfff8

static const char fabric_ifchars[] = "abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

static struct {
	pthread_mutex_t lock;
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
	bool done;  /* the exchange in flight reached its ACK, DONE or error */
	bool stale; /* one was abandoned midway: replies may still be queued */
	_Alignas(struct nlmsghdr) char rbuf[FABRIC_RCV_SIZE];
} fabric = {.lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * This daemon's mark ("labwire:<instance>"), set once; and whether start-up
 * claims are over. Taken inside fabric.lock, never the other way round.
 */
#define FABRIC_MARK_SIZE (sizeof(FABRIC_MARK_PREFIX) + FABRIC_INSTANCE_MAX)
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char mark[FABRIC_MARK_SIZE];
	bool claims_over;
} own;

/* What RTM_GETLINK says of one interface. */
struct fabric_link {
	int ifindex;
	bool has_alias;
	char alias[FABRIC_MARK_SIZE + 1]; /* a longer alias is cut here: never equal to a mark */
};

/* The eBPF programs the drops use, loaded once (by the privileged side). */
static int drop_fd = -1, lanport_fd = -1;
static int isolate = -1; /* fabric_can_isolate's answer, kept once known (a child keeps it) */

/* fabric_sock_open - open and bind a fresh socket into fabric; 0 or -1. */
static int
fabric_sock_open(void)
{
	struct mnl_socket *nl;
	int one = 1, saved;

	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
		return (-1);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		saved = errno;
		mnl_socket_close(nl);
		errno = saved;
		return (-1);
	}
	/* Best effort: the kernel's reason for a refusal, without the echo. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	fabric.nl = nl;
	fabric.portid = mnl_socket_get_portid(nl);
	fabric.seq = (unsigned int)time(NULL);
	fabric.stale = false;
	return (0);
}

/*
 * fabric_init - open the rtnetlink socket; calling it again is harmless.
 * Returns 0 or -1.
 */
int
fabric_init(void)
{
	int ret = 0;

	pthread_mutex_lock(&fabric.lock);
	if (fabric.nl == NULL)
		ret = fabric_sock_open();
	pthread_mutex_unlock(&fabric.lock);
	return (ret);
}

/* fabric_fini - close the socket; later requests fail with ENOTCONN. */
void
fabric_fini(void)
{
	pthread_mutex_lock(&fabric.lock);
	if (fabric.nl != NULL)
		mnl_socket_close(fabric.nl);
	fabric.nl = NULL;
	pthread_mutex_unlock(&fabric.lock);
	if (drop_fd != -1)
		close(drop_fd);
	if (lanport_fd != -1)
		close(lanport_fd);
	drop_fd = lanport_fd = -1;
}

/* fabric_extack - log the kernel's own words for a refusal, if it sent any. */
static void
fabric_extack(const struct nlmsghdr *nlh, const struct nlmsgerr *err)
{
	const struct nlattr *attr;
	size_t off = sizeof(*err);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return;
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (off > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_for_each(attr, nlh, off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			log_debug("fabric: kernel says: %s", mnl_attr_get_str(attr));
	}
}

/* fabric_cb_error - NLMSG_ERROR ends an exchange: an ACK (0) or an errno. */
static int
fabric_cb_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	(void)data;
	fabric.done = true;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	if (err->error == 0)
		return (MNL_CB_STOP);
	fabric_extack(nlh, err);
	errno = err->error < 0 ? -err->error : err->error;
	return (MNL_CB_ERROR);
}

/* fabric_cb_done - NLMSG_DONE ends a dump; it carries an errno if the dump failed. */
static int
fabric_cb_done(const struct nlmsghdr *nlh, void *data)
{
	int error = 0;

	(void)data;
	fabric.done = true;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(error))
		memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error >= 0)
		return (MNL_CB_STOP);
	errno = -error;
	return (MNL_CB_ERROR);
}

/* fabric_recv - read replies to seq until the exchange ends; 0 or -1. */
static int
fabric_recv(unsigned int seq, mnl_cb_t cb, void *data)
{
	/* not const: libmnl 1.0.4 takes a plain mnl_cb_t * */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
	    [NLMSG_ERROR] = fabric_cb_error,
	    [NLMSG_DONE] = fabric_cb_done,
	};
	ssize_t n;
	int ret;

	for (;;) {
		n = mnl_socket_recvfrom(fabric.nl, fabric.rbuf, sizeof(fabric.rbuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		ret = mnl_cb_run2(
		    fabric.rbuf, (size_t)n, seq, fabric.portid, cb, data, ctl, NLMSG_MIN_TYPE);
		if (ret <= MNL_CB_STOP)
			return (ret == MNL_CB_STOP ? 0 : -1);
	}
}

/*
 * fabric_talk_locked - send nlh with NLM_F_ACK and wait for the end of the
 * exchange. An exchange abandoned before its end (a receive error, an
 * interrupted dump) may leave replies queued that would be mistaken for
 * the next request's; the socket is then replaced before its next use.
 */
static int
fabric_talk_locked(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct mnl_socket *old;

	if (fabric.nl == NULL) {
		errno = ENOTCONN;
		return (-1);
	}
	if (fabric.stale) {
		old = fabric.nl;
		if (fabric_sock_open() == -1)
			return (-1);
		mnl_socket_close(old);
	}
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++fabric.seq;
	fabric.done = false;
	if (mnl_socket_sendto(fabric.nl, nlh, nlh->nlmsg_len) != -1 &&
	    fabric_recv(nlh->nlmsg_seq, cb, data) == 0)
		return (0);
	if (!fabric.done) {
		log_warn("fabric: netlink exchange abandoned, reopening");
		fabric.stale = true;
	}
	return (-1);
}

/* fabric_talk - one request/ACK exchange under the socket's lock; 0 or -1. */
static int
fabric_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int ret;

	pthread_mutex_lock(&fabric.lock);
	ret = fabric_talk_locked(nlh, cb, data);
	pthread_mutex_unlock(&fabric.lock);
	return (ret);
}

/* fabric_msg - start an rtnetlink link message in buf, naming name if not NULL. */
static struct nlmsghdr *
fabric_msg(char *buf, uint16_t type, uint16_t flags, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	if (name != NULL)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return (nlh);
}

/* fabric_name_ok - name is a possible interface name; 0 or -1 (EINVAL). */
static int
fabric_name_ok(const char *name)
{
	size_t len;

	if (name == NULL || (len = strnlen(name, FABRIC_IFNAME_MAX + 1)) == 0 ||
	    len > FABRIC_IFNAME_MAX) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

/*
 * fabric_name_ours - name is one the daemon may change: the prefix, at
 * least one character after it, and no character the kernel treats
 * specially ('%' is a format in TUNSETIFF, '/' and ':' are refused).
 */
static int
fabric_name_ours(const char *name)
{
	if (fabric_name_ok(name) == -1)
		return (-1);
	if (!names_ours(name) || strlen(name) <= strlen(LW_IFPREFIX) ||
	    strspn(name, fabric_ifchars) != strlen(name)) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

static int
fabric_mtu_ok(int mtu)
{
	if (mtu <= 0) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

/* fabric_msg_index - a link message for the interface with ifindex, not a name. */
static struct nlmsghdr *
fabric_msg_index(char *buf, uint16_t type, int ifindex)
{
	struct nlmsghdr *nlh = fabric_msg(buf, type, 0, NULL);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_index = ifindex;
	return (nlh);
}

/* fabric_alias - an IFLA_IFALIAS attribute into l (empty: none). */
static void
fabric_alias(const struct nlattr *attr, struct fabric_link *l)
{
	const char *p = mnl_attr_get_payload(attr);
	size_t n = strnlen(p, mnl_attr_get_payload_len(attr));

	l->has_alias = n > 0;
	snprintf(l->alias, sizeof(l->alias), "%.*s", (int)n, p);
}

/* fabric_cb_link - the ifindex and alias from an RTM_NEWLINK reply. */
static int
fabric_cb_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct fabric_link *l = data;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return (MNL_CB_OK);
	l->ifindex = ifm->ifi_index;
	mnl_attr_for_each(attr, nlh, sizeof(*ifm))
	{
		if (mnl_attr_get_type(attr) == IFLA_IFALIAS)
			fabric_alias(attr, l);
	}
	return (MNL_CB_OK);
}

/* fabric_link_get - name's ifindex and alias into l; -1 with ENODEV if there is none. */
static int
fabric_link_get(const char *name, struct fabric_link *l)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;

	memset(l, 0, sizeof(*l));
	nlh = fabric_msg(buf, RTM_GETLINK, 0, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (fabric_talk(nlh, fabric_cb_link, l) == -1)
		return (-1);
	if (l->ifindex <= 0) {
		errno = EPROTO;
		return (-1);
	}
	return (0);
}

/* fabric_ifindex - the ifindex of name; -1 with ENODEV if there is none. */
static int
fabric_ifindex(const char *name)
{
	struct fabric_link l;

	return (fabric_link_get(name, &l) == -1 ? -1 : l.ifindex);
}

/*
 * fabric_mark - our mark into out; false (EPERM) while there is none: then
 * nothing may be made or changed, since nothing could be told apart.
 */
static bool
fabric_mark(char out[FABRIC_MARK_SIZE])
{
	pthread_mutex_lock(&own_lock);
	memcpy(out, own.mark, FABRIC_MARK_SIZE);
	pthread_mutex_unlock(&own_lock);
	if (out[0] != '\0')
		return (true);
	log_warnx("fabric: no instance mark yet: no interface is made or changed");
	errno = EPERM;
	return (false);
}

static bool
fabric_is_mine(const struct fabric_link *l, const char *mark)
{
	return (l->has_alias && strcmp(l->alias, mark) == 0);
}

/*
 * fabric_mine - name's ifindex if it is ours: the prefix and our mark.
 * -1 with ENODEV when there is none, EPERM (logged) when it is not ours.
 */
static int
fabric_mine(const char *name)
{
	char mark[FABRIC_MARK_SIZE];
	struct fabric_link l;

	if (fabric_name_ours(name) == -1 || !fabric_mark(mark) || fabric_link_get(name, &l) == -1)
		return (-1);
	if (!fabric_is_mine(&l, mark)) {
		log_warnx(
		    "fabric: %s does not carry this daemon's mark %s: left alone", name, mark);
		errno = EPERM;
		return (-1);
	}
	return (l.ifindex);
}

/*
 * fabric_instance_set - this daemon's id: FABRIC_MARK_PREFIX id marks what
 * it makes. Once: a different id later is EPERM. 1-32 of [0-9a-z].
 */
int
fabric_instance_set(const char *id)
{
	char mark[FABRIC_MARK_SIZE], had[FABRIC_MARK_SIZE];
	size_t len;
	int ret = 0;

	if (id == NULL || (len = strnlen(id, FABRIC_INSTANCE_MAX + 1)) == 0 ||
	    len > FABRIC_INSTANCE_MAX ||
	    strspn(id, "0123456789abcdefghijklmnopqrstuvwxyz") != len) {
		errno = EINVAL;
		return (-1);
	}
	/* The privileged side keeps the first one it is told, for good. */
	if (priv_remote() && fabric_priv_instance_set(id) == -1)
		return (-1);
	snprintf(mark, sizeof(mark), FABRIC_MARK_PREFIX "%s", id);
	pthread_mutex_lock(&own_lock);
	if (own.mark[0] == '\0')
		memcpy(own.mark, mark, sizeof(mark));
	else if (strcmp(own.mark, mark) != 0)
		ret = -1;
	memcpy(had, own.mark, sizeof(had));
	pthread_mutex_unlock(&own_lock);
	if (ret == -1) {
		log_warnx("fabric: the instance is %s already; refusing %s", had, mark);
		errno = EPERM;
	}
	return (ret);
}

/* fabric_claims_end - fabric_claim refuses from now on. */
void
fabric_claims_end(void)
{
	if (priv_remote() && fabric_priv_claims_end() == -1)
		log_warn("fabric: ending claims");
	pthread_mutex_lock(&own_lock);
	own.claims_over = true;
	pthread_mutex_unlock(&own_lock);
}

/* fabric_claims_over - are start-up claims over? */
static bool
fabric_claims_over(void)
{
	bool over;

	pthread_mutex_lock(&own_lock);
	over = own.claims_over;
	pthread_mutex_unlock(&own_lock);
	return (over);
}

/*
 * fabric_claim - mark name, an lw interface with no alias, as ours; only
 * before fabric_claims_end. 1 claimed, 0 already ours, -1 (ENODEV, EPERM).
 */
int
fabric_claim(const char *name)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	char mark[FABRIC_MARK_SIZE];
	struct nlmsghdr *nlh;
	struct fabric_link l;

	if (priv_remote())
		return (fabric_priv_claim(name));
	if (fabric_name_ours(name) == -1 || !fabric_mark(mark) || fabric_link_get(name, &l) == -1)
		return (-1);
	if (fabric_is_mine(&l, mark))
		return (0);
	if (l.has_alias || fabric_claims_over()) {
		log_warnx("fabric: not claiming %s: %s", name,
		    l.has_alias ? "it carries an alias of its own" : "claims are over");
		errno = EPERM;
		return (-1);
	}
	nlh = fabric_msg_index(buf, RTM_NEWLINK, l.ifindex);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, mark);
	if (fabric_talk(nlh, NULL, NULL) == -1)
		return (-1);
	log_info("fabric: %s had no mark; claimed as this daemon's", name);
	return (1);
}

/*
 * fabric_up - bring name (or, name NULL, ifindex) up, enslaved to master
 * if master > 0; 0 or -1.
 */
static int
fabric_up(const char *name, int ifindex, int master)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	nlh = name != NULL ? fabric_msg(buf, RTM_NEWLINK, 0, name)
	                   : fabric_msg_index(buf, RTM_NEWLINK, ifindex);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	if (master > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	return (fabric_talk(nlh, NULL, NULL));
}

/*
 * fabric_put_addrgen_none - no IPv6 link-local address, hence no DAD, RS
 * or MLD frames of the host's own on a lab link.
 */
static void
fabric_put_addrgen_none(struct nlmsghdr *nlh)
{
	struct nlattr *spec, *inet6;

	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
}

/*
 * fabric_configure - set name's MTU, our mark and IPv6 addr-gen-mode none.
 * It must precede IFF_UP: the link-local address is made when the device
 * comes up and a later mode change does not withdraw it. The kernel
 * applies flags before IFLA_AF_SPEC within one request, hence a request of
 * its own. A kernel without IPv6 answers EAFNOSUPPORT and has nothing to
 * suppress. (The kernel ignores IFLA_IFALIAS in the request that creates
 * a link, so the mark always comes in this one, right after.)
 */
static int
fabric_configure(const char *name, int mtu, const char *mark)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;

	nlh = fabric_msg(buf, RTM_NEWLINK, 0, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, mark);
	fabric_put_addrgen_none(nlh);
	if (fabric_talk(nlh, NULL, NULL) == 0)
		return (0);
	if (errno != EAFNOSUPPORT)
		return (-1);
	nlh = fabric_msg(buf, RTM_NEWLINK, 0, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, mark);
	return (fabric_talk(nlh, NULL, NULL));
}

/* fabric_tap_create - TUNSETIFF on a new /dev/net/tun fd; the fd or -1. */
static int
fabric_tap_create(const char *name)
{
	struct ifreq ifr;
	int fd, saved;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1)
		return (-1);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name)); /* <= 15: NUL stays */
	/*
	 * Only a new TAP (EBUSY if the name is taken): without IFF_TUN_EXCL,
	 * TUNSETIFF attaches to an existing persistent TAP of that name,
	 * which may be anybody's. A new one is not persistent: it vanishes
	 * with its last fd.
	 */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL); /* 0x8000: the sign bit */
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

/*
 * fabric_tap_open - create and open TAP name (IFF_NO_PI, not persistent),
 * mark it, set its MTU, suppress its IPv6 link-local address, bring it up.
 * Until marked it is held by this fd only: a crash in between takes it
 * with the fd. Returns the fd (O_CLOEXEC; the caller owns it), or -1.
 */
int
fabric_tap_open(const char *name, int mtu)
{
	char mark[FABRIC_MARK_SIZE];
	int fd, saved;

	if (priv_remote())
		return (fabric_priv_tap_open(name, mtu));
	if (fabric_name_ours(name) == -1 || fabric_mtu_ok(mtu) == -1 || !fabric_mark(mark))
		return (-1);
	if ((fd = fabric_tap_create(name)) == -1)
		return (-1);
	if (fabric_configure(name, mtu, mark) == -1 || fabric_up(name, 0, 0) == -1)
		goto fail_close;
	return (fd);
fail_close:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/*
 * fabric_bridge_put - RTM_NEWLINK for bridge name with flags: STP off,
 * forward delay 0 (ports forward at once), no multicast snooping (flood
 * multicast like a wire), and the most permissive group_fwd_mask.
 */
static int
fabric_bridge_put(const char *name, uint16_t flags)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *info, *data;

	nlh = fabric_msg(buf, RTM_NEWLINK, flags, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, 0);
	mnl_attr_put_u32(nlh, IFLA_BR_FORWARD_DELAY, 0);
	mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, 0);
	mnl_attr_put_u16(nlh, IFLA_BR_GROUP_FWD_MASK, FABRIC_GROUP_FWD_MASK);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return (fabric_talk(nlh, NULL, NULL));
}

/*
 * fabric_bridge_existing - bridge_add found name taken: ours (a retry, a
 * restarted daemon) gets the settings re-applied, which the kernel
 * refuses with EOPNOTSUPP if it is not a bridge; a foreign one is EEXIST.
 */
static int
fabric_bridge_existing(const char *name)
{
	if (fabric_mine(name) == -1) {
		if (errno == EPERM)
			errno = EEXIST;
		return (-1);
	}
	return (fabric_bridge_put(name, 0));
}

/*
 * fabric_bridge_add - create bridge name (see fabric_bridge_put), mark it,
 * set its MTU, suppress its IPv6 link-local address, bring it up. One
 * this call made and could not mark is deleted again: unmarked, nothing
 * could remove it later. Returns 0 or -1.
 */
int
fabric_bridge_add(const char *name, int mtu)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	char mark[FABRIC_MARK_SIZE];
	bool made = false;
	int saved;

	if (priv_remote())
		return (fabric_priv_bridge_add(name, mtu));
	if (fabric_name_ours(name) == -1 || fabric_mtu_ok(mtu) == -1 || !fabric_mark(mark))
		return (-1);
	if (fabric_bridge_put(name, NLM_F_CREATE | NLM_F_EXCL) == 0)
		made = true;
	else if (errno != EEXIST || fabric_bridge_existing(name) == -1)
		return (-1);
	if (fabric_configure(name, mtu, mark) == 0 && fabric_up(name, 0, 0) == 0)
		return (0);
	saved = errno;
	if (made)
		(void)fabric_talk(fabric_msg(buf, RTM_DELLINK, 0, name), NULL, NULL);
	errno = saved;
	return (-1);
}

/* fabric_set_master - enslave ifname to bridge and bring it up; both ours. 0 or -1. */
int
fabric_set_master(const char *ifname, const char *bridge)
{
	int ifindex, master;

	if (priv_remote())
		return (fabric_priv_set_master(ifname, bridge));
	if (fabric_name_ours(ifname) == -1 || fabric_name_ours(bridge) == -1)
		return (-1);
	if ((ifindex = fabric_mine(ifname)) == -1 || (master = fabric_mine(bridge)) == -1)
		return (-1);
	return (fabric_up(NULL, ifindex, master));
}

/*
 * fabric_link_del - delete interface name if it is ours; an absent one is
 * success, a foreign one EPERM (and left alone).
 */
int
fabric_link_del(const char *name)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;
	int ifindex;

	if (priv_remote())
		return (fabric_priv_link_del(name));
	if ((ifindex = fabric_mine(name)) == -1)
		return (errno == ENODEV ? 0 : -1);
	nlh = fabric_msg_index(buf, RTM_DELLINK, ifindex);
	if (fabric_talk(nlh, NULL, NULL) == -1 && errno != ENODEV)
		return (-1);
	return (0);
}

/* fabric_link_mine - 1 if name exists with our mark, 0 if absent or not ours, -1. */
int
fabric_link_mine(const char *name)
{
	char mark[FABRIC_MARK_SIZE];
	struct fabric_link l;

	if (priv_remote())
		return (fabric_priv_link_mine(name));
	if (fabric_name_ok(name) == -1 || !fabric_mark(mark))
		return (-1);
	if (fabric_link_get(name, &l) == -1)
		return (errno == ENODEV ? 0 : -1);
	return (fabric_is_mine(&l, mark) ? 1 : 0);
}

/*
 * fabric_link_exists - 1 if interface name exists, 0 if not, -1 on error.
 * Read-only, so any name is allowed, including foreign ones.
 */
int
fabric_link_exists(const char *name)
{
	if (priv_remote())
		return (fabric_priv_link_exists(name));
	if (fabric_name_ok(name) == -1)
		return (-1);
	if (fabric_ifindex(name) != -1)
		return (1);
	return (errno == ENODEV ? 0 : -1);
}

struct fabric_dump {
	struct strv names;
	int error;
	char mark[FABRIC_MARK_SIZE];
};

/*
 * fabric_cb_list - collect one dumped link's name if it is ours: the
 * prefix and our mark. It never aborts the dump: the rest would stay
 * queued on the socket.
 */
static int
fabric_cb_list(const struct nlmsghdr *nlh, void *data)
{
	struct fabric_dump *d = data;
	const struct nlattr *attr;
	const char *name = NULL;
	struct fabric_link l = {0};

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return (MNL_CB_OK);
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
	{
		if (mnl_attr_get_type(attr) == IFLA_IFALIAS)
			fabric_alias(attr, &l);
		else if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(attr);
	}
	if (name != NULL && names_ours(name) && fabric_is_mine(&l, d->mark) &&
	    strv_add(&d->names, name) == -1)
		d->error = errno;
	return (MNL_CB_OK);
}

/* fabric_dump_once - one RTM_GETLINK dump into d; 0 or -1. */
static int
fabric_dump_once(struct fabric_dump *d)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;

	nlh = fabric_msg(buf, RTM_GETLINK, NLM_F_DUMP, NULL);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (fabric_talk(nlh, fabric_cb_list, d) == -1)
		return (-1);
	if (d->error != 0) {
		errno = d->error;
		return (-1);
	}
	return (0);
}

/*
 * fabric_dump_ours - our interface names into names (caller frees). A dump
 * the kernel marks interrupted (links changed meanwhile; libmnl reports
 * EINTR) is retried, since cleanup must not miss an interface.
 */
static int
fabric_dump_ours(struct strv *names)
{
	struct fabric_dump d;
	int tries = 0;

	do {
		memset(&d, 0, sizeof(d));
		if (!fabric_mark(d.mark))
			return (-1);
		if (fabric_dump_once(&d) == 0) {
			*names = d.names;
			return (0);
		}
		strv_free(&d.names);
	} while (errno == EINTR && ++tries < FABRIC_DUMP_TRIES);
	return (-1);
}

/*
 * fabric_list_ours - call fn(ifname, arg) for each interface with the "lw"
 * prefix and our mark. The names are collected first and fn runs after the dump ended
 * and the lock is released, so fn may itself call fabric functions.
 * Returns 0 or -1.
 */
int
fabric_list_ours(void (*fn)(const char *ifname, void *arg), void *arg)
{
	struct strv names = {0};
	size_t i;

	if (fn == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (priv_remote())
		return (fabric_priv_list_ours(fn, arg));
	if (fabric_dump_ours(&names) == -1)
		return (-1);
	for (i = 0; i < names.n; i++)
		fn(names.v[i], arg);
	strv_free(&names);
	return (0);
}

/* ---- batches: many requests in one send, every ACK checked ---- */

#define FABRIC_BATCH_CHUNK 32768

struct fabric_op {
	size_t off;
	uint32_t len;
	int tolerate; /* FB_OK_* bits: errnos that mean "already so" */
	long parent;  /* -1, or the op that must have succeeded before this one is sent */
	bool ok;
	char what[40];
};

#define FABRIC_BATCH_NS 32 /* namespaces one batch may hold open */

struct fabric_batch {
	char *buf;
	size_t len, cap;
	struct fabric_op *ops;
	size_t nops, capops;
	bool oom;
	int ns[FABRIC_BATCH_NS]; /* from fabric_batch_netns, closed by fabric_batch_run */
	int nns;
	struct fabric_rbatch *remote; /* the unprivileged daemon's: operations for the parent */
};

enum { FB_OK_EXISTS = 1, FB_OK_ABSENT = 2 };

struct fabric_batch *
fabric_batch_new(void)
{
	struct fabric_batch *b = calloc(1, sizeof(struct fabric_batch));

	if (b != NULL && priv_remote() && (b->remote = fabric_priv_batch_new()) == NULL) {
		free(b);
		return (NULL);
	}
	return (b);
}

int
fabric_batch_netns(struct fabric_batch *b, int64_t node, int pidfd)
{
	char path[64];
	pid_t pid;
	int fd;

	if (b == NULL || b->nns >= FABRIC_BATCH_NS) {
		errno = b == NULL ? EINVAL : E2BIG;
		return (-1);
	}
	if (b->remote != NULL)
		return (fabric_priv_batch_netns(b->remote, node, pidfd));
	if ((pid = spawn_pidfd_pid(pidfd)) <= 0)
		return (-1);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	b->ns[b->nns++] = fd;
	return (fd);
}

static bool
fabric_tolerated(int tolerate, int err)
{
	if ((tolerate & FB_OK_EXISTS) && err == EEXIST)
		return (true);
	/* An absent device, qdisc or filter: the kernel's words vary by object. */
	if ((tolerate & FB_OK_ABSENT) && (err == ENOENT || err == ENODEV || err == EINVAL))
		return (true);
	return (false);
}

/*
 * fabric_submit - send nlh now (b NULL: one exchange, errors to the caller)
 * or queue it in batch b. Returns 0 or -1.
 */
static int
fabric_submit(struct fabric_batch *b, struct nlmsghdr *nlh, int tolerate, const char *what)
{
	if (b == NULL) {
		if (fabric_talk(nlh, NULL, NULL) == 0 || fabric_tolerated(tolerate, errno))
			return (0);
		return (-1);
	}
	if (b->len + nlh->nlmsg_len > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16384;
		char *nb;

		while (cap < b->len + nlh->nlmsg_len)
			cap *= 2;
		if ((nb = realloc(b->buf, cap)) == NULL) {
			b->oom = true;
			return (-1);
		}
		b->buf = nb;
		b->cap = cap;
	}
	if (b->nops == b->capops) {
		size_t cap = b->capops ? b->capops * 2 : 64;
		struct fabric_op *no = realloc(b->ops, cap * sizeof(*no));

		if (no == NULL) {
			b->oom = true;
			return (-1);
		}
		b->ops = no;
		b->capops = cap;
	}
	memcpy(b->buf + b->len, nlh, nlh->nlmsg_len);
	b->ops[b->nops].off = b->len;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->ops[b->nops].len = NLMSG_ALIGN(nlh->nlmsg_len);
	b->ops[b->nops].tolerate = tolerate;
	b->ops[b->nops].parent = -1;
	b->ops[b->nops].ok = false;
	snprintf(b->ops[b->nops].what, sizeof(b->ops[b->nops].what), "%s", what);
	b->nops++;
	return (0);
}

/*
 * fabric_submit_after - like fabric_submit, but in a batch nlh goes out
 * only if the request queued just before it succeeded: what marks and
 * configures a link being created must never reach another link of that
 * name, which a failed creation (EEXIST) means. Sent at once, the caller
 * has already seen that request succeed.
 */
static int
fabric_submit_after(struct fabric_batch *b, struct nlmsghdr *nlh, const char *what)
{
	if (b == NULL)
		return (fabric_submit(NULL, nlh, 0, what));
	if (b->nops == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (fabric_submit(b, nlh, 0, what) == -1)
		return (-1);
	b->ops[b->nops - 1].parent = (long)b->nops - 2;
	return (0);
}

/* fabric_batch_acks - read the ACKs of ops idx[0..n) whose seqs start at seq0. */
static int
fabric_batch_acks(struct fabric_batch *b, const size_t *idx, size_t n, uint32_t seq0, int *failed)
{
	size_t answered = 0;

	while (answered < n) {
		ssize_t r = mnl_socket_recvfrom(fabric.nl, fabric.rbuf, sizeof(fabric.rbuf));
		struct nlmsghdr *nlh = (struct nlmsghdr *)fabric.rbuf;
		int len;

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return (-1);
		len = (int)r;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
			size_t k = nlh->nlmsg_seq - seq0;

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != fabric.portid ||
			    k >= n || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
				continue;
			answered++;
			if (err->error == 0 ||
			    fabric_tolerated(b->ops[idx[k]].tolerate, -err->error)) {
				b->ops[idx[k]].ok = true;
				continue;
			}
			fabric_extack(nlh, err);
			log_warnx("fabric: %s: %s", b->ops[idx[k]].what, strerror(-err->error));
			(*failed)++;
		}
	}
	return (0);
}

/* fabric_op_due - is op sent in phase (0: the independent ones, 1: those whose parent succeeded)?
 */
static bool
fabric_op_due(const struct fabric_batch *b, const struct fabric_op *op, int phase)
{
	if (phase == 0)
		return (op->parent < 0);
	return (op->parent >= 0 && b->ops[op->parent].ok);
}

/*
 * fabric_batch_phase - send the ops due in phase, in order, in chunks of
 * at most FABRIC_BATCH_CHUNK bytes (out) and check every ACK (idx maps a
 * chunk's seqs to ops). Caller holds fabric.lock. 0, or -1 when the
 * exchange itself failed.
 */
static int
fabric_batch_phase(struct fabric_batch *b, int phase, char *out, size_t *idx, int *failed)
{
	size_t i = 0;

	while (i < b->nops) {
		size_t clen = 0, k = 0;
		uint32_t seq0 = fabric.seq + 1;

		for (; i < b->nops; i++) {
			struct fabric_op *op = &b->ops[i];
			struct nlmsghdr *nlh = (struct nlmsghdr *)(out + clen);

			if (!fabric_op_due(b, op, phase))
				continue;
			if (clen + op->len > FABRIC_BATCH_CHUNK)
				break;
			memcpy(out + clen, b->buf + op->off, op->len);
			nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
			nlh->nlmsg_seq = ++fabric.seq;
			idx[k++] = i;
			clen += op->len;
		}
		if (k == 0)
			break;
		if (mnl_socket_sendto(fabric.nl, out, clen) == -1 ||
		    fabric_batch_acks(b, idx, k, seq0, failed) == -1)
			return (-1);
	}
	return (0);
}

/*
 * fabric_batch_run - send every queued request, in order, in as few sends
 * as fit a chunk, and check every ACK; then the requests that wait on
 * another's success (fabric_submit_after). Each failure is logged with
 * what it was for. Frees b. Returns the number of failed requests, or -1
 * when the exchange itself failed (the socket is then replaced).
 */
int
fabric_batch_run(struct fabric_batch *b)
{
	int failed = 0, ret = 0;
	char *out = NULL;
	size_t *idx = NULL;

	if (b == NULL)
		return (-1);
	if (b->remote != NULL) {
		ret = fabric_priv_batch_run(b->remote);
		free(b);
		return (ret);
	}
	/* A message is at least a header long: a chunk holds at most this many. */
	out = malloc(FABRIC_BATCH_CHUNK);
	idx = calloc(FABRIC_BATCH_CHUNK / NLMSG_HDRLEN, sizeof(*idx));
	if (b->oom || out == NULL || idx == NULL) {
		log_warnx("fabric: batch: out of memory");
		ret = -1;
		goto out;
	}
	pthread_mutex_lock(&fabric.lock);
	if (fabric.nl != NULL && fabric.stale) {
		struct mnl_socket *old = fabric.nl;

		if (fabric_sock_open() == 0)
			mnl_socket_close(old);
		else
			fabric.nl = old; /* still stale: tried again next time */
	}
	if (fabric.nl == NULL || fabric.stale) {
		pthread_mutex_unlock(&fabric.lock);
		ret = -1;
		goto out;
	}
	for (int phase = 0; phase < 2 && ret == 0; phase++)
		if (fabric_batch_phase(b, phase, out, idx, &failed) == -1) {
			log_warn("fabric: batch exchange failed, reopening");
			fabric.stale = true;
			ret = -1;
		}
	pthread_mutex_unlock(&fabric.lock);
	if (ret == 0)
		ret = failed;
out:
	free(out);
	free(idx);
	for (int k = 0; k < b->nns; k++)
		close(b->ns[k]);
	free(b->buf);
	free(b->ops);
	free(b);
	return (ret);
}

/* fabric_wop_names - an operation for the parent: kind and up to two names. */
static struct fabric_wop
fabric_wop_names(enum fabric_wkind kind, const char *a, const char *b)
{
	struct fabric_wop op = {.kind = kind, .ns = -1};

	snprintf(op.a, sizeof(op.a), "%s", a ? a : "");
	snprintf(op.b, sizeof(op.b), "%s", b ? b : "");
	return (op);
}

static int
fabric_remote_queue(struct fabric_batch *b, const struct fabric_wop *op)
{
	if ((op->a[0] != '\0' && fabric_name_ok(op->a) == -1) ||
	    (op->b[0] != '\0' && fabric_name_ok(op->b) == -1))
		return (-1);
	return (fabric_priv_queue(b != NULL ? b->remote : NULL, op));
}

/* ---- veth pairs into a node's network namespace ---- */

static int
fabric_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int v[6];

	if (s == NULL ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
		errno = EINVAL;
		return (-1);
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return (0);
}

/*
 * fabric_veth_add - a veth pair: host (ours, down for now, MTU mtu, no IPv6
 * address of its own, marked) and peer, created directly inside the
 * network namespace netns_fd with its name, MAC and MTU (down: see below).
 * The host side is brought up by fabric_set_updown. The peer is not
 * marked: it lives in the node's own namespace (never this one: the
 * privileged side checks), where nothing else is and nothing is swept,
 * and it goes with the pair or with that namespace.
 */
int
fabric_veth_add(struct fabric_batch *b, const char *host, int mtu, int netns_fd, const char *peer,
    const char *peer_mac, int peer_mtu)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *info, *data, *pinfo;
	struct ifinfomsg *pifm;
	uint8_t mac[6];
	char what[40], mark[FABRIC_MARK_SIZE];

	if (priv_remote()) {
		struct fabric_wop op = fabric_wop_names(FW_VETH, host, peer);

		if (b == NULL || (netns_fd & FW_NETNS_TAG) == 0) {
			errno = EINVAL; /* the namespace is a handle of this batch */
			return (-1);
		}
		op.mtu = mtu;
		op.peer_mtu = peer_mtu;
		op.ns = netns_fd & ~FW_NETNS_TAG;
		snprintf(op.mac, sizeof(op.mac), "%s", peer_mac ? peer_mac : "");
		return (fabric_remote_queue(b, &op));
	}
	if (fabric_name_ours(host) == -1 || fabric_name_ok(peer) == -1 ||
	    fabric_mtu_ok(mtu) == -1 || fabric_mtu_ok(peer_mtu) == -1 || netns_fd < 0 ||
	    fabric_mac_parse(peer_mac, mac) == -1) {
		errno = EINVAL;
		return (-1);
	}
	if (!fabric_mark(mark))
		return (-1);
	nlh = fabric_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, host);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pinfo = mnl_attr_nest_start(nlh, 1 /* VETH_INFO_PEER */);
	/*
	 * The peer's own ifinfomsg. It cannot ask for IFF_UP: the kernel
	 * refuses that for a peer made in another namespace (ENOTCONN), so
	 * whoever lives there brings it up (nshost does).
	 */
	pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
	memset(pifm, 0, sizeof(*pifm));
	pifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)peer_mtu);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	mnl_attr_nest_end(nlh, pinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	snprintf(what, sizeof(what), "veth %s", host);
	if (fabric_submit(b, nlh, 0, what) == -1)
		return (-1);
	/*
	 * Our mark, and as for a TAP no link-local address (nor DAD, RS, MLD)
	 * on the host side: only once the creation succeeded, or this would
	 * reach a foreign link of that name.
	 */
	nlh = fabric_msg(buf, RTM_NEWLINK, 0, host);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, mark);
	fabric_put_addrgen_none(nlh);
	snprintf(what, sizeof(what), "mark %s", host);
	return (fabric_submit_after(b, nlh, what));
}

/* fabric_set_updown - set ours up or down (a veth peer sees carrier follow it). */
int
fabric_set_updown(struct fabric_batch *b, const char *ifname, bool up)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	char what[40];
	int ifindex;

	if (priv_remote()) {
		struct fabric_wop op = fabric_wop_names(FW_UPDOWN, ifname, NULL);

		op.up = up;
		return (fabric_remote_queue(b, &op));
	}
	if ((ifindex = fabric_mine(ifname)) == -1)
		return (-1);
	nlh = fabric_msg_index(buf, RTM_NEWLINK, ifindex);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_flags = up ? IFF_UP : 0;
	ifm->ifi_change = IFF_UP;
	snprintf(what, sizeof(what), "%s %s", up ? "up" : "down", ifname);
	return (fabric_submit(b, nlh, 0, what));
}

/* ---- ingress programs: redirect to the peer, or drop ---- */

/*
 * The drop program: "return TC_ACT_SHOT" as eBPF, attached by cls_bpf in
 * direct-action mode. Kernels without act_gact (this project's build host
 * among them) have no other way to drop at ingress; the program is two
 * instructions and loaded once.
 */
static int
fabric_prog_load(const struct bpf_insn *insn, unsigned int n, const char *name)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	a.insns = (uint64_t)(uintptr_t)insn;
	a.insn_cnt = n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	snprintf(a.prog_name, sizeof(a.prog_name), "%s", name);
	if ((fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a))) == -1)
		log_warn("fabric: cannot load the eBPF program %s", name);
	else
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return (fd);
}

/* Loaded once; a failed load is tried again at the next use. Caller holds nothing. */
static int
fabric_drop_prog(void)
{
	int *fd_ = &drop_fd;
	static const struct bpf_insn insn[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_SHOT},
	    {.code = BPF_JMP | BPF_EXIT},
	};

	if (*fd_ == -1)
		*fd_ = fabric_prog_load(insn, sizeof(insn) / sizeof(insn[0]), "lw_drop");
	return (*fd_);
}

/*
 * The LAN port program: a bridge does not forward 01:80:c2:00:00:01
 * (pause) and :02 (LACP) and hands them back to the port, i.e. to the
 * host's stack (an ARP sent to 01:80:c2:00:00:02 would be answered).
 * Those are dropped; everything else goes on to the bridge.
 *   r6 = ctx; r0 = dst[0..3]; if r0 != 0x0180c200 pass; r0 = dst[4..5];
 *   if r0 == 1 or r0 == 2 drop; pass.
 * (LD_ABS on a frame too short to read ends the program with 0: pass.)
 */
static int
fabric_lanport_prog(void)
{
	int *fd_ = &lanport_fd;
	static const struct bpf_insn insn[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_6, .src_reg = BPF_REG_1},
	    {.code = BPF_LD | BPF_ABS | BPF_W, .imm = 0},
	    {.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = BPF_REG_0, .off = 5, .imm = 0x0180c200},
	    {.code = BPF_LD | BPF_ABS | BPF_H, .imm = 4},
	    {.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .off = 1, .imm = 1},
	    {.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = BPF_REG_0, .off = 2, .imm = 2},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_SHOT},
	    {.code = BPF_JMP | BPF_EXIT},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_OK},
	    {.code = BPF_JMP | BPF_EXIT},
	};

	if (*fd_ == -1)
		*fd_ = fabric_prog_load(insn, sizeof(insn) / sizeof(insn[0]), "lw_lanport");
	return (*fd_);
}

/* fabric_can_isolate - can idle interfaces drop at ingress (the eBPF programs load)? */
bool
fabric_can_isolate(void)
{
	if (isolate == -1 && !priv_remote())
		isolate = fabric_drop_prog() >= 0 && fabric_lanport_prog() >= 0;
	return (isolate == 1);
}

static struct nlmsghdr *
fabric_tc_msg(char *buf, uint16_t type, uint16_t flags, int ifindex, uint32_t parent,
    uint32_t handle, uint32_t info)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	tcm->tcm_info = info;
	return (nlh);
}

/*
 * An interface's ingress holds at most two filters: priority 1, a u32 that
 * matches everything and redirects to the peer (while the link forwards),
 * and priority 2, the drop program (always). Changing where an interface
 * forwards only adds, replaces or deletes the priority-1 filter: frames
 * meet the drop, never the host stack, while there is none, and no qdisc
 * is ever deleted, which would wait for an RCU grace period per interface.
 */
#define FABRIC_PRIO_FWD 1
#define FABRIC_PRIO_DROP 2

/*
 * The u32 redirect's own handle (800::800, what the kernel gives the first
 * filter of the root table): a redirect is changed by replacing that filter
 * in place, which the kernel swaps under RCU, so no frame meets the drop
 * while a link moves between the kernel and the engine.
 */
#define FABRIC_FWD_HANDLE 0x80000800u

/*
 * fabric_prio_del - delete ifname's filters at priority prio; with kind,
 * only if they are of that kind (the kernel answers EINVAL for another
 * kind, tolerated like an absent filter).
 */
static int
fabric_prio_del(
    struct fabric_batch *b, const char *ifname, int ifindex, uint32_t prio, const char *kind)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;
	char what[40];

	nlh = fabric_tc_msg(
	    buf, RTM_DELTFILTER, 0, ifindex, 0xffff0000u, 0, TC_H_MAKE(prio << 16, 0));
	if (kind != NULL)
		mnl_attr_put_strz(nlh, TCA_KIND, kind);
	snprintf(what, sizeof(what), "unfilter %s/%u", ifname, prio);
	return (fabric_submit(b, nlh, FB_OK_ABSENT, what));
}

/*
 * fabric_bpf_filter - program prog (an fd; -1 when it did not load) at
 * ifindex's ingress, priority prio, in direct-action mode, as cls_bpf
 * filter 1 of that priority.
 */
static int
fabric_bpf_filter(struct fabric_batch *b, int ifindex, uint32_t prio, int prog, const char *name,
    int tolerate, const char *what)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *opt;

	if (prog < 0) {
		errno = ENOTSUP; /* said at load; the caller says what stays unisolated */
		return (-1);
	}
	nlh = fabric_tc_msg(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex, 0xffff0000u, 1,
	    TC_H_MAKE(prio << 16, htons(ETH_P_ALL)));
	mnl_attr_put_strz(nlh, TCA_KIND, "bpf");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_BPF_FD, (uint32_t)prog);
	mnl_attr_put_strz(nlh, TCA_BPF_NAME, name);
	mnl_attr_put_u32(nlh, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
	mnl_attr_nest_end(nlh, opt);
	return (fabric_submit(b, nlh, tolerate, what));
}

/* fabric_ingress_init - the ingress qdisc and the drop filter, if not there yet. */
static int
fabric_ingress_init(struct fabric_batch *b, const char *ifname, int ifindex)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct nlmsghdr *nlh;
	int prog = fabric_drop_prog();
	char what[40];

	nlh = fabric_tc_msg(
	    buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, TC_H_INGRESS, 0xffff0000u, 0);
	mnl_attr_put_strz(nlh, TCA_KIND, "ingress");
	snprintf(what, sizeof(what), "ingress %s", ifname);
	if (fabric_submit(b, nlh, FB_OK_EXISTS, what) == -1)
		return (-1);
	snprintf(what, sizeof(what), "drop %s", ifname);
	return (
	    fabric_bpf_filter(b, ifindex, FABRIC_PRIO_DROP, prog, "lw_drop", FB_OK_EXISTS, what));
}

/*
 * fabric_tc_redirect - every frame arriving at from leaves by to, as it
 * came: u32 matching everything, action mirred egress redirect. Both must
 * exist. This is the point-to-point fast path: unlike a bridge it passes
 * LACP and every other link-local frame.
 */
int
fabric_tc_redirect(struct fabric_batch *b, const char *from, const char *to)
{
	_Alignas(struct nlmsghdr) char buf[FABRIC_REQ_SIZE];
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key key;
	} sel;
	struct tc_mirred m;
	struct nlmsghdr *nlh;
	struct nlattr *opt, *acts, *act, *aopt;
	int fi, ti;
	char what[40];
	if (priv_remote()) {
		struct fabric_wop op = fabric_wop_names(FW_REDIRECT, from, to);

		return (fabric_remote_queue(b, &op));
	}

	if (fabric_name_ours(from) == -1 || fabric_name_ours(to) == -1)
		return (-1);
	if ((fi = fabric_mine(from)) == -1 || (ti = fabric_mine(to)) == -1)
		return (-1);
	/* A LAN port's program goes; a redirect already there is replaced in place. */
	if (fabric_ingress_init(b, from, fi) == -1 ||
	    fabric_prio_del(b, from, fi, FABRIC_PRIO_FWD, "bpf") == -1)
		return (-1);
	nlh = fabric_tc_msg(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_REPLACE, fi, 0xffff0000u,
	    FABRIC_FWD_HANDLE, TC_H_MAKE(FABRIC_PRIO_FWD << 16, htons(ETH_P_ALL)));
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	memset(&sel, 0, sizeof(sel));
	sel.sel.flags = TC_U32_TERMINAL;
	sel.sel.nkeys = 1; /* mask 0 at offset 0: matches every frame */
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(sel), &sel);
	acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
	act = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
	aopt = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
	memset(&m, 0, sizeof(m));
	m.action = TC_ACT_STOLEN;
	m.eaction = TCA_EGRESS_REDIR;
	m.ifindex = (uint32_t)ti;
	mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(m), &m);
	mnl_attr_nest_end(nlh, aopt);
	mnl_attr_nest_end(nlh, act);
	mnl_attr_nest_end(nlh, acts);
	mnl_attr_nest_end(nlh, opt);
	snprintf(what, sizeof(what), "redirect %s>%s", from, to);
	return (fabric_submit(b, nlh, 0, what));
}

/*
 * fabric_tc_drop - drop every frame arriving at ifname: a lab interface
 * with no peer (unlinked, the peer stopped, the link down) must not reach
 * the host's own stack, where ARP would answer for the host's addresses.
 */
int
fabric_tc_drop(struct fabric_batch *b, const char *ifname)
{
	int fi;
	if (priv_remote()) {
		struct fabric_wop op = fabric_wop_names(FW_DROP, ifname, NULL);

		return (fabric_remote_queue(b, &op));
	}

	if ((fi = fabric_mine(ifname)) == -1)
		return (-1);
	if (fabric_ingress_init(b, ifname, fi) == -1)
		return (-1);
	return (fabric_prio_del(b, ifname, fi, FABRIC_PRIO_FWD, NULL));
}

/*
 * fabric_tc_lanport - ifname is a bridge port: frames go on to the bridge,
 * but for those the bridge would hand back to the host (see
 * fabric_lanport_prog). Enslave it first: until this runs it drops.
 */
int
fabric_tc_lanport(struct fabric_batch *b, const char *ifname)
{
	int fi, prog;
	char what[40];

	if (priv_remote()) {
		struct fabric_wop op = fabric_wop_names(FW_LANPORT, ifname, NULL);

		return (fabric_remote_queue(b, &op));
	}
	/* Only here: the unprivileged side cannot load it (and would say so at every port). */
	prog = fabric_lanport_prog();
	if ((fi = fabric_mine(ifname)) == -1)
		return (-1);
	if (fabric_ingress_init(b, ifname, fi) == -1 ||
	    fabric_prio_del(b, ifname, fi, FABRIC_PRIO_FWD, NULL) == -1)
		return (-1);
	snprintf(what, sizeof(what), "lan port %s", ifname);
	return (fabric_bpf_filter(b, fi, FABRIC_PRIO_FWD, prog, "lw_lanport", 0, what));
}
