/*
 * jail - how a node's processes are started: QEMU, a namespace host's
 * supervisor, and the tools that make or read disks and config drives,
 * each as the unprivileged identity core/base/ids gives it, with
 * no-new-privs, in the node's cgroup (hv/cgroup) and under resource
 * limits. It is the only caller of spawn_start_jail; what it refuses
 * (a binary that is not the kind's, a QEMU argv without the sandbox) it
 * refuses for every caller alike.
 */
#ifndef LW_JAIL_H
#define LW_JAIL_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/base/err.h"

/* QEMU's seccomp filter: no obsolete calls, no set*id, no fork/exec, no priority games. */
#define JAIL_QEMU_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"
#define JAIL_TOOL_MEM_MB 1024 /* address space of qemu-img, genisoimage, mtools */
#define JAIL_TOOL_CPU_S 300   /* CPU seconds of one tool run */
#define JAIL_TOOLS_CG_MB 4096 /* the tools' cgroup (n0), all of them at once */
#define JAIL_TOOLS_PIDS 256

enum jail_kind {
	JAIL_QEMU,   /* qemu-system-*: the node itself */
	JAIL_NSHOST, /* `labwire nshost`: a namespace host (stays root; maps its shell to the node's
	                uid) */
	JAIL_TOOL,   /* qemu-img/genisoimage/mtools working in a node's directory */
	JAIL_IMAGE,  /* qemu-img reading an uploaded image: no node's identity */
};

struct jail_req {
	enum jail_kind kind;
	int64_t lab;  /* JAIL_NSHOST: where its startup script is */
	int64_t node; /* 0 for JAIL_IMAGE */
	int ram_mb;   /* JAIL_QEMU, JAIL_NSHOST: the node's RAM (its memory limit adds the overhead)
	               */
	int cpus;     /* its vCPUs: the CPU weight */
	int cpu_cap_pct; /* 0: no cap */
	bool kvm; /* JAIL_QEMU under KVM: keeps /dev/kvm's group, its one supplementary group */
};

/*
 * jail_spawn - start argv as r says, fds at 3.., output to out_fd (-1:
 * /dev/null); the pid and a pidfd in *pidfd, or -1 with errno (EPERM for
 * an argv the kind does not allow).
 */
pid_t jail_spawn(
    const struct jail_req *r, char *const argv[], const int *fds, int nfds, int out_fd, int *pidfd);
/*
 * jail_reap - collect the exit of a process jail_spawn started (its pidfd
 * is readable) into si; one this daemon did not start (re-adopted) leaves
 * si zeroed. 0, or -1 with errno.
 */
int jail_reap(pid_t pid, int pidfd, siginfo_t *si);
/*
 * jail_wait - wait for a tool started by jail_spawn, killing it after
 * timeout_ms (-1: no limit); closes pidfd. Its exit status, or -1 with
 * errno ETIMEDOUT (killed at the timeout), 0 (ended by a signal) or other.
 */
int jail_wait(pid_t pid, int pidfd, int timeout_ms);
/*
 * jail_signal - send sig (SIGTERM or SIGKILL) to node's process behind
 * pidfd: one jail_spawn started, or one inside the node's cgroup. 0 or -1.
 */
int jail_signal(int64_t node, int pidfd, int sig);
/*
 * jail_node_dir - make the node's directory (run: its run directory for
 * sockets) and its parents, owned by the daemon's user and the node's
 * group, setgid, 02770: the node's processes and the daemon may use it, no
 * other node may enter it. 0, or -1 with errno.
 */
int jail_node_dir(int64_t lab, int64_t node, bool run);
/* jail_node_release - end whatever is left of node's processes and remove its cgroup; 0 or -1. */
int jail_node_release(int64_t node);
/*
 * jail_spawn_decode - check a spawn request's payload as the privileged
 * parent receives it (len bytes, nfds fds): its fields in bounds, exactly
 * argc strings, the kind's binary, a namespace host's one argv shape.
 * Fills r, and argv (JAIL_ARGC_MAX + 1 pointers into data). 0, or -1 with
 * errno EINVAL (malformed) or EPERM (not allowed), logged. Pure: the
 * parent's first step, and its fuzzer's.
 */
int jail_spawn_decode(const void *data, size_t len, int nfds, struct jail_req *r, char **argv);
#define JAIL_ARGC_MAX 512
/* jail_priv_register - in the privileged parent: answer the child's jail requests. */
void jail_priv_register(void);
/* jail_argv_ok - whether argv may be started as kind (the binary, QEMU's sandbox). */
int jail_argv_ok(enum jail_kind kind, char *const argv[]);
#endif
