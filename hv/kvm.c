/*
 * kvm - probe whether KVM is usable. The probe is what a user reads when a
 * node runs translated, so every outcome is a sentence in plain words.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "hv/kvm.h"

/*
 * KVM_API_VERSION (12) has been frozen since Linux 2.6.22; anything else is
 * a kernel QEMU does not speak to.
 */
#define KVM_WANT_API 12

/* kvm_probe_open_failed - why open(dev) failed, in words that say what to do. */
static void
kvm_probe_open_failed(const char *dev, int err, struct kvm_probe *out)
{
	const char *why;

	switch (err) {
	case ENOENT:
		why = "does not exist: the CPU's virtualization extensions are off, "
		      "or this is a VM without nested virtualization";
		break;
	case EACCES:
	case EPERM:
		why = "exists but this user may not open it read-write "
		      "(add the user to the 'kvm' group)";
		break;
	case ENXIO:
	case ENODEV:
		why = "exists but no KVM driver is loaded (modprobe kvm_intel or kvm_amd)";
		break;
	default:
		why = NULL;
		break;
	}
	out->available = false;
	if (why != NULL)
		snprintf(out->reason, sizeof(out->reason), "%s %s", dev, why);
	else
		snprintf(out->reason, sizeof(out->reason), "%s cannot be opened: %s", dev,
		    strerror(err));
}

/*
 * kvm_pvm_only - /dev/kvm is served by kvm_pvm, the pagetable-based KVM a
 * guest gets when its own hypervisor offers no nested VMX/SVM. It answers
 * API version 12 and QEMU starts, but it runs only PVM-enabled guest
 * kernels: a stock Debian kernel dies in an "emulation failure" (cmpxchg16b,
 * xrstor) within seconds and the VM stops, so for labwire it is no KVM.
 */
static bool
kvm_pvm_only(void)
{
	return (access("/sys/module/kvm_pvm", F_OK) == 0 &&
	    access("/sys/module/kvm_intel", F_OK) == -1 &&
	    access("/sys/module/kvm_amd", F_OK) == -1);
}

void
kvm_probe(const char *dev, struct kvm_probe *out)
{
	int fd, version;

	if ((fd = open(dev, O_RDWR | O_CLOEXEC)) == -1) {
		kvm_probe_open_failed(dev, errno, out);
		return;
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version == -1) {
		/* ENOTTY: the path opened but is some other device or file. */
		out->available = false;
		snprintf(out->reason, sizeof(out->reason), "%s is not a KVM device (%s)", dev,
		    strerror(errno));
	} else if (version != KVM_WANT_API) {
		out->available = false;
		snprintf(out->reason, sizeof(out->reason),
		    "%s reports KVM API version %d; QEMU needs version %d", dev, version,
		    KVM_WANT_API);
	} else if (kvm_pvm_only()) {
		out->available = false;
		snprintf(out->reason, sizeof(out->reason),
		    "%s is served by kvm_pvm (KVM for PVM-enabled guest kernels only); "
		    "ordinary guests fail under it",
		    dev);
	} else {
		out->available = true;
		snprintf(
		    out->reason, sizeof(out->reason), "KVM is usable (API version %d)", version);
	}
	close(fd);
}
