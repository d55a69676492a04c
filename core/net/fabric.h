/*
 * fabric - the link fabric: TAP devices opened by the daemon, veths, Linux
 * bridges and tc, configured through netlink (libmnl), never through `ip`.
 * It is the only code that changes the kernel's network state, behind this
 * narrow API, so that it can move into a privileged process later. It
 * knows no lab or node, only interface names built by core/base/names.
 * Ownership is a mark, not a name: every interface it makes carries
 * IFLA_IFALIAS "labwire:<instance>" (this daemon's random id, kept in its
 * database), and it changes or deletes only interfaces with the "lw"
 * prefix AND that mark, so a host's own lwbr0 or another daemon's lab in
 * the same namespace is never touched. Its netlink socket has a lock of its
 * own. Functions return 0 (or an fd) on success and -1 with errno set.
 */
#ifndef LW_FABRIC_H
#define LW_FABRIC_H

#include <stdbool.h>
#include <stdint.h>

/* fabric_init - open the netlink socket; call once before anything else. */
int fabric_init(void);
/*
 * fabric_priv_register - in the privileged parent: answer the unprivileged
 * daemon's fabric requests (core/base/priv); there, every function here
 * becomes such a request.
 */
void fabric_priv_register(void);
void fabric_fini(void);

#define FABRIC_INSTANCE_MAX 32 /* characters of an instance id: [0-9a-z] */
#define FABRIC_MARK_PREFIX "labwire:"
/*
 * fabric_instance_set - this daemon's instance id: interfaces made from now
 * on carry the mark FABRIC_MARK_PREFIX id, and only those may be changed.
 * Nothing is made or changed before it is set. Once only: another id
 * afterwards is EPERM (the privileged side holds the first one for good).
 */
int fabric_instance_set(const char *id);
/*
 * fabric_claim - put our mark on name, an existing lw interface with no
 * alias at all, for a name the database says this daemon made: one made
 * by a version that did not mark, or left between creation and marking by
 * a crash. Only at start-up, until fabric_claims_end. Returns 1 when
 * claimed, 0 when it already was ours, -1 (ENODEV absent, EPERM foreign or
 * claims over).
 */
int fabric_claim(const char *name);
/* fabric_claims_end - no claims any more, for the life of the process. */
void fabric_claims_end(void);
/* fabric_link_mine - 1 if name exists and carries our mark, 0 if not (absent or foreign), -1. */
int fabric_link_mine(const char *name);
/*
 * fabric_tap_open - create (non-persistent) and open TAP name with IFF_NO_PI,
 * set its MTU, bring it up; O_CLOEXEC. The TAP disappears when the last fd
 * on it is closed (QEMU's, once the daemon closed its own). Returns the fd.
 */
int fabric_tap_open(const char *name, int mtu);
/*
 * fabric_bridge_add - create bridge name (STP off, forward delay 0, no IPv6
 * addresses), up; an existing one of ours is success, a foreign one EEXIST.
 */
int fabric_bridge_add(const char *name, int mtu);
/* fabric_set_master - enslave ifname to bridge and bring ifname up. */
int fabric_set_master(const char *ifname, const char *bridge);
/* fabric_link_del - delete interface name; an absent one is success. */
int fabric_link_del(const char *name);
/* fabric_link_exists - 1 if it exists, 0 if not, -1 on error. */
int fabric_link_exists(const char *name);
/*
 * fabric_list_ours - call fn(ifname, arg) for each interface whose name starts
 * with the daemon's prefix (names_ours) and that carries our mark; 0 or -1.
 */
int fabric_list_ours(void (*fn)(const char *ifname, void *arg), void *arg);

/*
 * Batches: requests queued with a batch go out together in as few sends as
 * possible when fabric_batch_run is called; every ACK is checked and each
 * failure logged with what it was for. Functions taking a batch send at
 * once when it is NULL (then -1 means that request failed). Requests in a
 * batch that look up interfaces (fabric_tc_*) need them to exist when
 * queued: create interfaces in one batch, program them in the next.
 */
struct fabric_batch;
struct fabric_batch *fabric_batch_new(void);
/* fabric_batch_run - send, check, free b; the number of failed requests, or -1. */
int fabric_batch_run(struct fabric_batch *b);

/*
 * fabric_veth_add - veth pair host (ours; MTU mtu, no IPv6 address, left
 * down) and peer created inside the network namespace netns_fd, named peer,
 * with MAC peer_mac and MTU peer_mtu, down (only a process inside that
 * namespace may bring it up).
 */
int fabric_veth_add(struct fabric_batch *b, const char *host, int mtu, int netns_fd,
    const char *peer, const char *peer_mac, int peer_mtu);
/*
 * fabric_batch_netns - a handle on the network namespace of node's process
 * behind pidfd (its namespace host), for fabric_veth_add's netns_fd in
 * this batch only; -1 with errno.
 */
int fabric_batch_netns(struct fabric_batch *b, int64_t node, int pidfd);
/* fabric_set_updown - bring ours up or down. */
int fabric_set_updown(struct fabric_batch *b, const char *ifname, bool up);
/* fabric_tc_redirect - every frame arriving at from leaves by to (tc u32 + mirred). */
int fabric_tc_redirect(struct fabric_batch *b, const char *from, const char *to);
/* fabric_tc_drop - every frame arriving at ifname is dropped (eBPF at tc ingress). */
int fabric_tc_drop(struct fabric_batch *b, const char *ifname);

/* fabric_tc_lanport - a bridge port: frames go to the bridge, except those it would hand to the
 * host. */
int fabric_tc_lanport(struct fabric_batch *b, const char *ifname);
/* fabric_can_isolate - do the eBPF programs the drops need load on this kernel? */
bool fabric_can_isolate(void);

#endif
