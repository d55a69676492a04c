/*
 * tcg - translated execution: the per-architecture table (binary, machine,
 * cpu for KVM and for TCG), the accelerator choice for a node and the
 * reason reported in accel_reason, and the TCG accelerator settings. It
 * works on plain values: it opens no device (it is given hv/kvm's probe),
 * builds no command line (hv/qemu does, from the target filled here), and
 * knows no node or template.
 */
#ifndef LW_TCG_H
#define LW_TCG_H

#include <stdbool.h>

#include "core/base/err.h"
#include "hv/kvm.h"
#include "hv/qemu.h"

enum lw_accel { ACCEL_KVM, ACCEL_TCG };

struct arch_info {
	const char *name;        /* "x86_64", "aarch64" */
	const char *qemu_binary; /* "qemu-system-x86_64" */
	const char *machine_kvm; /* "q35" */
	const char *machine_tcg; /* "q35" */
	const char *cpu_kvm;     /* "host" */
	const char *cpu_tcg;     /* "max" */
	const char *console_tty; /* guest serial device: "ttyS0", "ttyAMA0" */
	bool mttcg;              /* multi-threaded TCG is safe for this guest on this host */
	const char *nic_model;   /* default NIC device: "virtio-net-pci" */
};

struct accel_choice {
	enum lw_accel accel;
	char reason[256]; /* why: "KVM is usable and the guest is x86_64 like the host" */
};

/* tcg_arch_lookup - the table entry for an arch name; NULL if unsupported. */
const struct arch_info *tcg_arch_lookup(const char *arch);
/* tcg_arch_names - the supported arch names, comma-separated (for error messages). */
const char *tcg_arch_names(void);
/* tcg_host_arch - the host's arch name ("x86_64"). */
const char *tcg_host_arch(void);
/*
 * tcg_choose - pick the accelerator for requested ("auto"|"kvm"|"tcg") and
 * a guest arch given the KVM probe; fills out with the reason. "kvm" when
 * KVM is unusable or the arch differs is ERR_UNAVAILABLE; returns 0 or -1.
 */
int tcg_choose(const char *requested, const char *guest_arch, const char *host_arch,
    const struct kvm_probe *kvm, struct accel_choice *out, struct lw_err *e);
/* tcg_target - what arch a under accel resolves to, for the QEMU driver. */
void tcg_target(const struct arch_info *a, enum lw_accel accel, struct qemu_target *out);
/* tcg_accel_arg - the "-accel" value for a choice: "kvm" or "tcg,thread=multi,tb-size=256". */
const char *tcg_accel_arg(const struct arch_info *a, enum lw_accel accel);

#endif
