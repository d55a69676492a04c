/*
 * fabric_priv - fabric's requests to the privileged parent (core/base/priv):
 * the unprivileged daemon's side encodes each operation as a typed
 * request, the parent's handlers check it and call fabric's own
 * functions. Private to core/net/fabric*.c.
 */
#ifndef LW_FABRIC_PRIV_H
#define LW_FABRIC_PRIV_H
#include <stdbool.h>
#include <stdint.h>

#define FW_NAME 16
#define FW_NETNS_TAG 0x40000000 /* a remote batch's netns handle: TAG | fd index */

enum fabric_wkind { FW_VETH = 1, FW_UPDOWN, FW_REDIRECT, FW_DROP, FW_LANPORT };

/* One operation of a batch, as it crosses the channel. */
struct fabric_wop {
	uint32_t kind;
	int32_t mtu, peer_mtu;
	int32_t up;
	int32_t ns;   /* FW_VETH: index of the namespace holder's pidfd among the fds */
	int64_t node; /* FW_VETH: the node whose namespace that is */
	char a[FW_NAME], b[FW_NAME];
	char mac[18];
};

struct fabric_rbatch;

int fabric_priv_tap_open(const char *name, int mtu);
int fabric_priv_bridge_add(const char *name, int mtu);
int fabric_priv_set_master(const char *ifname, const char *bridge);
int fabric_priv_link_del(const char *name);
int fabric_priv_link_exists(const char *name);
int fabric_priv_list_ours(void (*fn)(const char *ifname, void *arg), void *arg);
int fabric_priv_link_mine(const char *name);
int fabric_priv_instance_set(const char *id);
int fabric_priv_claim(const char *name);
int fabric_priv_claims_end(void);
struct fabric_rbatch *fabric_priv_batch_new(void);
/* fabric_priv_batch_netns - hold pidfd (dup'd) for node's namespace; the handle, or -1. */
int fabric_priv_batch_netns(struct fabric_rbatch *rb, int64_t node, int pidfd);
/* fabric_priv_queue - add op to rb, or with rb NULL send it alone; 0 or -1. */
int fabric_priv_queue(struct fabric_rbatch *rb, const struct fabric_wop *op);
/* fabric_priv_batch_run - send, free; failed operations, or -1. */
int fabric_priv_batch_run(struct fabric_rbatch *rb);
/*
 * fabric_priv_decode - a PRIV_BATCH payload as the parent receives it:
 * the count in bounds and the size exact; each operation's strings cut to
 * their fields. The operations (malloc'd), or NULL with errno (EINVAL,
 * logged). Pure: the parent's first step, and its fuzzer's.
 */
struct fabric_wop *fabric_priv_decode(const void *data, size_t len, uint32_t *n);
#endif
