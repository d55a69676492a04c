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
#define LIVECAP_BUFFER (4 << 20)        /* kernel ring while a capture runs */
#define LIVECAP_BUFFER_IDLE (256 << 10) /* only the recent-frames ring: a lab has hundreds */
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
#endif
