/*
 * tcg - translated execution: which QEMU binary, machine and cpu a guest
 * architecture gets under KVM and under TCG, and the choice between them
 * with a reason a user can read on the node.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "tcg/tcg.h"

/*
 * The table. Choices that are not obvious:
 *  - aarch64 "virt,gic-version=max": GICv2 stops at 8 CPUs; max gives GICv3
 *    under TCG (and the host's GIC under KVM), so -smp up to 64 works.
 *  - aarch64 cpu_tcg "cortex-a57": a plain ARMv8.0 core every arm64 kernel
 *    runs on; "max" would make TCG emulate pointer authentication (QARMA)
 *    and SVE on every guest, which costs boot time and buys a lab nothing.
 *  - mttcg: both guests are safe on this x86_64 (TSO) host. An x86_64 guest
 *    on a weakly ordered host (aarch64) would need thread=single, and QEMU
 *    itself warns about it; revisit when hosts other than x86_64 are supported.
 */
static const struct arch_info tcg_arch_table[] = {
    {
        .name = "x86_64",
        .qemu_binary = "qemu-system-x86_64",
        .machine_kvm = "q35",
        .machine_tcg = "q35",
        .cpu_kvm = "host",
        .cpu_tcg = "max",
        .console_tty = "ttyS0",
        .mttcg = true,
        .nic_model = "virtio-net-pci",
    },
    {
        .name = "aarch64",
        .qemu_binary = "qemu-system-aarch64",
        .machine_kvm = "virt,gic-version=max",
        .machine_tcg = "virt,gic-version=max",
        .cpu_kvm = "host",
        .cpu_tcg = "cortex-a57",
        .console_tty = "ttyAMA0",
        .mttcg = true,
        .nic_model = "virtio-net-pci",
    },
};

#define TCG_NARCH (sizeof(tcg_arch_table) / sizeof(tcg_arch_table[0]))

const struct arch_info *
tcg_arch_lookup(const char *arch)
{
	if (arch == NULL)
		return (NULL);
	for (size_t i = 0; i < TCG_NARCH; i++)
		if (strcmp(tcg_arch_table[i].name, arch) == 0)
			return (&tcg_arch_table[i]);
	return (NULL);
}

const char *
tcg_arch_names(void)
{
	/* Kept in step with tcg_arch_table by hand; test_argv checks it. */
	return ("x86_64, aarch64");
}

static struct utsname tcg_uts;
static pthread_once_t tcg_uts_once = PTHREAD_ONCE_INIT;

static void
tcg_uts_init(void)
{
	if (uname(&tcg_uts) == -1)
		snprintf(tcg_uts.machine, sizeof(tcg_uts.machine), "unknown");
	/* The kernel says "arm64" on some distributions; QEMU says aarch64. */
	if (strcmp(tcg_uts.machine, "arm64") == 0)
		snprintf(tcg_uts.machine, sizeof(tcg_uts.machine), "aarch64");
}

const char *
tcg_host_arch(void)
{
	pthread_once(&tcg_uts_once, tcg_uts_init);
	return (tcg_uts.machine);
}

/*
 * The longest "why": "KVM unavailable: " and a probe reason; it must leave
 * room in accel_choice.reason for "; running translated (TCG)".
 */
#define TCG_WHY_MAX (sizeof("KVM unavailable: ") + sizeof(((struct kvm_probe *)0)->reason))

/*
 * tcg_why_not_kvm - why KVM cannot run this guest, into why; returns false
 * when it can.
 */
static bool
tcg_why_not_kvm(const char *guest_arch, const char *host_arch, const struct kvm_probe *kvm,
    char why[TCG_WHY_MAX])
{
	if (strcmp(guest_arch, host_arch) != 0) {
		snprintf(why, TCG_WHY_MAX, "guest is %s but the host is %s", guest_arch, host_arch);
		return (true);
	}
	if (kvm == NULL || !kvm->available) {
		snprintf(why, TCG_WHY_MAX, "KVM unavailable: %s",
		    kvm != NULL ? kvm->reason : "not probed");
		return (true);
	}
	return (false);
}

static int
tcg_choose_auto(const char *guest_arch, const char *host_arch, const struct kvm_probe *kvm,
    struct accel_choice *out)
{
	char why[TCG_WHY_MAX];

	if (!tcg_why_not_kvm(guest_arch, host_arch, kvm, why)) {
		out->accel = ACCEL_KVM;
		snprintf(out->reason, sizeof(out->reason),
		    "KVM is usable and the guest is %s like the host", guest_arch);
		return (0);
	}
	out->accel = ACCEL_TCG;
	snprintf(out->reason, sizeof(out->reason), "%s; running translated (TCG)", why);
	return (0);
}

static int
tcg_choose_kvm(const char *guest_arch, const char *host_arch, const struct kvm_probe *kvm,
    struct accel_choice *out, struct lw_err *e)
{
	char why[TCG_WHY_MAX];

	if (tcg_why_not_kvm(guest_arch, host_arch, kvm, why))
		return (err_set(e, ERR_UNAVAILABLE, "accel 'kvm' requested but %s", why));
	out->accel = ACCEL_KVM;
	snprintf(out->reason, sizeof(out->reason), "KVM requested and usable");
	return (0);
}

int
tcg_choose(const char *requested, const char *guest_arch, const char *host_arch,
    const struct kvm_probe *kvm, struct accel_choice *out, struct lw_err *e)
{
	if (tcg_arch_lookup(guest_arch) == NULL)
		return (err_set(e, ERR_INVALID, "arch '%s' is not supported (supported: %s)",
		    guest_arch != NULL ? guest_arch : "", tcg_arch_names()));
	if (host_arch == NULL)
		host_arch = tcg_host_arch();
	if (requested == NULL || strcmp(requested, "auto") == 0)
		return (tcg_choose_auto(guest_arch, host_arch, kvm, out));
	if (strcmp(requested, "kvm") == 0)
		return (tcg_choose_kvm(guest_arch, host_arch, kvm, out, e));
	if (strcmp(requested, "tcg") == 0) {
		out->accel = ACCEL_TCG;
		snprintf(out->reason, sizeof(out->reason), "TCG requested");
		return (0);
	}
	return (err_set(e, ERR_INVALID, "accel '%s' is not one of auto, kvm, tcg", requested));
}

const char *
tcg_accel_arg(const struct arch_info *a, enum lw_accel accel)
{
	if (accel == ACCEL_KVM)
		return ("kvm");
	/*
	 * tb-size is the translation cache in MiB. QEMU 7.2 reserves 1 GiB per
	 * VM by default; 256 MiB holds a network OS's hot code and lets a lab
	 * of dozens of nodes fit in the host's memory.
	 */
	if (a != NULL && a->mttcg)
		return ("tcg,thread=multi,tb-size=256");
	return ("tcg,thread=single,tb-size=256");
}

void
tcg_target(const struct arch_info *a, enum lw_accel accel, struct qemu_target *out)
{
	bool kvm = accel == ACCEL_KVM;

	out->arch = a->name;
	out->binary = a->qemu_binary;
	out->machine = kvm ? a->machine_kvm : a->machine_tcg;
	out->accel = tcg_accel_arg(a, accel);
	out->cpu = kvm ? a->cpu_kvm : a->cpu_tcg;
	out->nic_model = a->nic_model;
}
