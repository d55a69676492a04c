/*
 * test_kvm - the KVM probe: on this machine, and on paths whose outcome is
 * known (absent, not a KVM device, not permitted).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv/kvm.h"
#include "tests/unit/test.h"

#define HAS(s, needle) (strstr((s), (needle)) != NULL)

/*
 * What this host should report, decided independently of the probe's
 * code path where it can be: absent node, PVM, or a real KVM.
 */
static void
test_this_host(void)
{
	struct kvm_probe p;
	struct stat st;

	kvm_probe("/dev/kvm", &p);
	printf("this host: available=%d reason=\"%s\"\n", p.available, p.reason);
	if (stat("/dev/kvm", &st) == -1) {
		CHECK(!p.available);
		CHECK(HAS(p.reason, "/dev/kvm does not exist"));
	} else if (access("/sys/module/kvm_pvm", F_OK) == 0 &&
	    access("/sys/module/kvm_intel", F_OK) == -1 &&
	    access("/sys/module/kvm_amd", F_OK) == -1) {
		CHECK(!p.available);
		CHECK(HAS(p.reason, "/dev/kvm is served by kvm_pvm"));
	} else if (p.available) {
		CHECK_STR(p.reason, "KVM is usable (API version 12)");
	} else {
		CHECK(HAS(p.reason, "/dev/kvm"));
	}
}

static void
test_absent(void)
{
	struct kvm_probe p = {.available = true};

	kvm_probe("/nonexistent/kvm", &p);
	CHECK(!p.available);
	CHECK_STR(p.reason,
	    "/nonexistent/kvm does not exist: the CPU's virtualization "
	    "extensions are off, or this is a VM without nested virtualization");
}

static void
test_not_kvm(void)
{
	struct kvm_probe p = {.available = true};

	kvm_probe("/dev/null", &p);
	CHECK(!p.available);
	CHECK_STR(p.reason, "/dev/null is not a KVM device (Inappropriate ioctl for device)");

	p.available = true;
	kvm_probe("/tmp", &p);
	CHECK(!p.available);
	CHECK_STR(p.reason, "/tmp cannot be opened: Is a directory");
}

/*
 * A device the user may not open: a mode-0600 file owned by someone else.
 * As root that needs a child that became nobody.
 */
static void
test_no_permission(void)
{
	char path[] = "/tmp/labwire-test-kvm-XXXXXX";
	struct kvm_probe p = {.available = true};
	int fd = mkstemp(path), pipefd[2], status;
	pid_t pid;

	CHECK(fd != -1);
	close(fd);
	chmod(path, geteuid() == 0 ? 0600 : 0000);
	CHECK(pipe(pipefd) == 0);
	if ((pid = fork()) == 0) {
		if (geteuid() == 0 && (setgid(65534) == -1 || setuid(65534) == -1))
			_exit(1);
		kvm_probe(path, &p);
		_exit(write(pipefd[1], &p, sizeof(p)) == sizeof(p) ? 0 : 1);
	}
	close(pipefd[1]);
	CHECK(read(pipefd[0], &p, sizeof(p)) == sizeof(p));
	close(pipefd[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(!p.available);
	CHECK(HAS(p.reason, "may not open it read-write"));
	unlink(path);
}

int
main(void)
{
	test_this_host();
	test_absent();
	test_not_kvm();
	test_no_permission();
	TEST_DONE();
}
