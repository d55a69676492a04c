/*
 * livecap - the live frames of one interface, for core/net/capture. In a
 * single process it is a libpcap handle; in the unprivileged daemon it is
 * a SOCK_SEQPACKET relay from the privileged parent, which holds the
 * packet socket (nothing that can sniff or inject on any interface ever
 * reaches the unprivileged side) and sends each frame as a message. Either
 * way the consumer sees pcap's calls: an fd to poll, dispatch, drops.
 */
#ifndef LW_LIVECAP_H
#define LW_LIVECAP_H
#include <stdbool.h>
#include <stdint.h>

#include <pcap/pcap.h>

#define LIVECAP_SNAPLEN 65535
#define LIVECAP_BUFFER (4 << 20) /* kernel ring while a capture runs */
/*
 * Only the recent-frames ring, of 256-byte heads (LIVECAP_SNAPLEN_IDLE).
 * libpcap's TPACKET_V3 ring is one 256 KiB block at least, so this is also
 * the floor: a lab of 2,000 links holds 500 MiB of kernel rings in the
 * parent (--capture-ring 0 opens none).
 */
#define LIVECAP_BUFFER_IDLE (256 << 10)
/*
 * With no capture running, a tap keeps only each frame's first bytes for
 * the recent ring: copying whole frames costs a fast link a sixth of its
 * throughput at 1500 bytes, and headers are what the ring is read for.
 */
#define LIVECAP_SNAPLEN_IDLE 256
#define LIVECAP_TIMEOUT_MS 10

struct livecap;

/* livecap_open - frames of ifname (ours), all of them (big) or their heads; NULL if not. */
struct livecap *livecap_open(const char *ifname, bool big);
/* livecap_fd - what to poll for frames. */
int livecap_fd(const struct livecap *c);
/* livecap_dispatch - up to max frames (-1: all waiting) to cb; how many, or -1 (gone). */
int livecap_dispatch(struct livecap *c, int max, pcap_handler cb, unsigned char *arg);
/* livecap_drops - frames the kernel (or the relay) dropped so far. */
uint64_t livecap_drops(struct livecap *c);
/* livecap_error - why dispatch failed. */
const char *livecap_error(struct livecap *c);
void livecap_close(struct livecap *c);
/* livecap_priv_register - in the privileged parent: serve capture relays. */
void livecap_priv_register(void);
/*
 * livecap_priv_fini - in the privileged parent, once its capture channel
 * is done: close the relays left, and wait (bounded) for the packet
 * sockets being closed. Each close waits for an RCU grace period, so they
 * are closed on several threads at once: 2,000 take a second, not a minute.
 */
void livecap_priv_fini(void);
#endif
