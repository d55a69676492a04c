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
	} else {
		out->available = true;
		snprintf(out->reason, sizeof(out->reason), "KVM is usable (API version %d)",
		    version);
	}
	close(fd);
}
