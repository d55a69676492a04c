/*
 * test_templates - every shipped QEMU template turned into a node's QEMU
 * argv the way the runtime does it (core/runtime.c: start_prepare,
 * start_prepare_disk, start_taps, start_spec), under KVM and under TCG, and
 * compared with a golden file; facts a reviewer checks in those command
 * lines, independent of the goldens; interface naming; and what
 * template_parse refuses.
 *
 * Goldens are tests/golden/<template>.<kvm|tcg>.argv, one argv element per
 * line. LW_GOLDEN_UPDATE=1 rewrites them instead of comparing. Directories
 * are relative to the repository root, where tests/run.sh runs unit tests;
 * LW_GOLDEN_DIR and LW_TEMPLATE_DIR override them.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base/strv.h"
#include "hv/qemu.h"
#include "images/template.h"
#include "tcg/tcg.h"
#include "tests/unit/test.h"

/* Stand-ins for lw.cfg.image_dir and a node's directory (lab 1, node 1) and run files. */
#define IMAGE_DIR "/IMAGES"
#define NODE_DIR "/DATA/labs/1/nodes/1"
#define CON_PATH "/DATA/run/n1.con"
#define QMP_PATH "/DATA/run/n1.qmp"
#define MAX_SHIPPED 64

static const char *golden_dir;
static const char *template_dir;
static bool golden_update;

/* The QEMU templates seen: for stale goldens and the interface-name round trip. */
static struct {
	char name[64];
	char file[NAME_MAX + 1];
} shipped[MAX_SHIPPED];
static int nshipped;

/* What start_prepare computes for a node: files under the image dir, the expanded append. */
struct node_paths {
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];
	char append[512];
};

static const char *
accel_name(enum lw_accel accel)
{
	return (accel == ACCEL_KVM ? "kvm" : "tcg");
}

/* tpl_load - parse dir/file as the daemon does (duplicates refused); 0, or -1 with a FAIL. */
static int
tpl_load(const char *dir, const char *file, struct template *t)
{
	struct lw_err e = {0};
	json_error_t je;
	char path[PATH_MAX];
	json_t *o;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	CHECK(o != NULL);
	if (o == NULL) {
		fprintf(stderr, "  %s:%d: %s\n", path, je.line, je.text);
		return (-1);
	}
	r = template_parse(o, t, &e);
	json_decref(o);
	CHECK(r == 0);
	if (r == -1)
		fprintf(stderr, "  %s does not parse: %s\n", path, e.msg);
	return (r);
}

/* paths_kernel - start_prepare's kernel boot: image-dir paths, {tty} expanded. */
static void
paths_kernel(const struct template *t, const struct arch_info *a, struct node_paths *p)
{
	const char *tty = strstr(t->append, "{tty}");

	snprintf(p->kernel, sizeof(p->kernel), "%s/%s", IMAGE_DIR, t->kernel);
	if (t->initrd[0] != '\0')
		snprintf(p->initrd, sizeof(p->initrd), "%s/%s", IMAGE_DIR, t->initrd);
	if (tty != NULL)
		snprintf(p->append, sizeof(p->append), "%.*s%s%s", (int)(tty - t->append),
		    t->append, a->console_tty, tty + 5);
	else
		snprintf(p->append, sizeof(p->append), "%s", t->append);
}

static bool
has_drive(const struct template *t)
{
	return (strcmp(t->config_method, "iso") == 0 || strcmp(t->config_method, "fat") == 0);
}

/* spec_fill - the node's spec as start_taps and start_spec build it, the NICs without fds. */
static void
spec_fill(const struct template *t, enum lw_accel accel, struct node_paths *p, struct qemu_spec *q)
{
	const struct arch_info *a = tcg_arch_lookup(t->arch);

	memset(q, 0, sizeof(*q));
	memset(p, 0, sizeof(*p));
	q->name = "r1";
	if (a != NULL)
		tcg_target(a, accel, &q->target);
	q->cpus = t->cpus;
	q->ram_mb = t->ram_mb;
	q->nnics = t->nics;
	for (int k = 0; k < q->nnics && k < QEMU_MAX_NICS; k++) {
		q->nics[k].fd = -1;
		snprintf(q->nics[k].mac, sizeof(q->nics[k].mac), "0a:00:00:00:01:%02x", k);
	}
	template_spec(t, q);
	if (t->kernel[0] != '\0') {
		paths_kernel(t, a, p);
		q->kernel = p->kernel;
		q->initrd = p->initrd[0] ? p->initrd : NULL;
		q->append = p->append;
	} else {
		q->disk = NODE_DIR "/disk.qcow2";
	}
	if (t->boot_cdrom) /* the node's boot CD-ROM image, from the store */
		q->boot_cdrom = "/DATA/images/2";
	if (has_drive(t))
		q->config_drive = strcmp(t->config_method, "fat") == 0 ? NODE_DIR "/config.img"
		                                                       : NODE_DIR "/config.iso";
	q->console_path = CON_PATH;
	q->qmp_path = QMP_PATH;
}

/* argv_text - one element per line, as in a golden file; caller frees. */
static char *
argv_text(const struct strv *sv)
{
	size_t len = 1, off = 0;
	char *s;

	for (size_t i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return (NULL);
	for (size_t i = 0; i < sv->n; i++)
		off += (size_t)sprintf(s + off, "%s\n", sv->v[i]);
	s[off] = '\0';
	return (s);
}

/* file_read - the whole file, NUL-terminated; NULL with errno. Caller frees. */
static char *
file_read(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL)
		return (NULL);
	if (getdelim(&buf, &len, '\0', f) == -1) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return (buf);
}

static int
file_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (f == NULL)
		return (-1);
	if (fputs(text, f) == EOF) {
		fclose(f);
		return (-1);
	}
	return (fclose(f) == EOF ? -1 : 0);
}

/* diff_first - report the first line where got and want part, for a readable failure. */
static void
diff_first(const char *path, const char *got, const char *want)
{
	int line = 1;
	size_t i = 0, start = 0;

	while (got[i] != '\0' && got[i] == want[i]) {
		if (got[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	fprintf(stderr, "  %s differs at line %d\n  got:  %.*s\n  want: %.*s\n", path, line,
	    (int)strcspn(got + start, "\n"), got + start, (int)strcspn(want + start, "\n"),
	    want + start);
	fprintf(stderr, "  (LW_GOLDEN_UPDATE=1 rewrites the goldens; read the diff first)\n");
}

static void
golden_check(const char *name, enum lw_accel accel, const struct strv *sv)
{
	char path[PATH_MAX], *got = argv_text(sv), *want;
	bool same;

	snprintf(path, sizeof(path), "%s/%s.%s.argv", golden_dir, name, accel_name(accel));
	CHECK(got != NULL);
	if (got == NULL)
		return;
	if (golden_update) {
		CHECK(file_write(path, got) == 0);
		printf("wrote %s\n", path);
		free(got);
		return;
	}
	want = file_read(path);
	CHECK(want != NULL);
	if (want == NULL) {
		fprintf(stderr, "  %s: %s\n", path, strerror(errno));
	} else {
		same = strcmp(got, want) == 0;
		CHECK(same);
		if (!same)
			diff_first(path, got, want);
	}
	free(want);
	free(got);
}

/* argv_after - the element following the first opt, or NULL. */
static const char *
argv_after(const struct strv *sv, const char *opt)
{
	for (size_t i = 0; i + 1 < sv->n; i++)
		if (strcmp(sv->v[i], opt) == 0)
			return (sv->v[i + 1]);
	return (NULL);
}

/* argv_pairs - how many "opt VALUE" pairs have a value starting with prefix. */
static int
argv_pairs(const struct strv *sv, const char *opt, const char *prefix)
{
	int n = 0;

	for (size_t i = 0; i + 1 < sv->n; i++)
		if (strcmp(sv->v[i], opt) == 0 &&
		    strncmp(sv->v[i + 1], prefix, strlen(prefix)) == 0)
			n++;
	return (n);
}

static bool
argv_has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return (true);
	return (false);
}

static bool
value_is(const char *v, const char *want)
{
	return (v != NULL && strcmp(v, want) == 0);
}

/* facts_machine - binary, accelerator, machine, firmware, RAM and CPUs. */
static void
facts_machine(const struct template *t, const struct qemu_spec *q, const struct strv *sv)
{
	const struct arch_info *a = tcg_arch_lookup(t->arch);
	const char *accel = argv_after(sv, "-accel");
	bool kvm = strcmp(q->target.accel, "kvm") == 0;
	char num[16];

	CHECK_STR(sv->v[0], a->qemu_binary);
	if (kvm)
		CHECK(value_is(accel, "kvm"));
	else
		CHECK(accel != NULL && strncmp(accel, "tcg", 3) == 0);
	CHECK(value_is(argv_after(sv, "-machine"),
	    t->machine[0] ? t->machine : (kvm ? a->machine_kvm : a->machine_tcg)));
	CHECK(argv_has(sv, "-bios") == (strcmp(t->firmware, "uefi") == 0));
	snprintf(num, sizeof(num), "%d", t->ram_mb);
	CHECK(value_is(argv_after(sv, "-m"), num));
	snprintf(num, sizeof(num), "%d", t->cpus);
	CHECK(value_is(argv_after(sv, "-smp"), num));
}

/* facts_nics - every NIC a -device of the template's model (the arch default if none). */
static void
facts_nics(const struct template *t, const struct qemu_spec *q, const struct strv *sv)
{
	const char *model = t->nic_model[0] ? t->nic_model : q->target.nic_model;
	char want[64];

	CHECK(argv_pairs(sv, "-netdev", "tap,") == t->nics);
	CHECK(argv_pairs(sv, "-device", model) == t->nics);
	for (int k = 0; k < t->nics; k++) {
		snprintf(
		    want, sizeof(want), "%s,netdev=net%d,mac=0a:00:00:00:01:%02x", model, k, k);
		CHECK(argv_pairs(sv, "-device", want) == 1);
	}
}

/* facts_boot - a kernel boot, or the node's overlay on the template's disk bus. */
static void
facts_boot(const struct template *t, const struct qemu_spec *q, const struct strv *sv)
{
	if (t->kernel[0] != '\0') {
		const char *append = argv_after(sv, "-append");

		CHECK(value_is(argv_after(sv, "-kernel"), q->kernel));
		CHECK(argv_pairs(sv, "-drive", "file=" NODE_DIR "/disk.qcow2,") == 0);
		CHECK(t->append[0] == '\0' ||
		    (append != NULL && strstr(append, "{tty}") == NULL &&
		        (strstr(t->append, "{tty}") == NULL ||
		            strstr(append, tcg_arch_lookup(t->arch)->console_tty) != NULL)));
		return;
	}
	CHECK(!argv_has(sv, "-kernel") && !argv_has(sv, "-initrd") && !argv_has(sv, "-append"));
	CHECK(argv_pairs(sv, "-drive", "file=" NODE_DIR "/disk.qcow2,if=none,id=disk0,") == 1);
	/* A host out of space pauses the guest (the node shows paused: disk full). */
	CHECK(strstr(argv_after(sv, "-drive"), ",werror=enospc") != NULL);
	if (strcmp(t->disk_bus, "virtio") == 0)
		CHECK(argv_pairs(sv, "-device", "virtio-blk-pci,drive=disk0") == 1);
	else
		CHECK(argv_pairs(sv, "-device", "ide-hd,drive=disk0,") == 1);
}

/* facts_config - the config drive, on the template's bus (a "cdrom" is an ide-cd). */
static void
facts_config(const struct template *t, const struct qemu_spec *q, const struct strv *sv)
{
	char want[PATH_MAX];

	if (!has_drive(t)) {
		CHECK(argv_pairs(sv, "-device", "virtio-blk-pci,drive=cfg") == 0);
		CHECK(argv_pairs(sv, "-device", "ide-cd,drive=cfg") == 0);
		CHECK(argv_pairs(sv, "-device", "ide-hd,drive=cfg") == 0);
		return;
	}
	snprintf(
	    want, sizeof(want), "file=%s,if=none,id=cfg,format=raw,readonly=on", q->config_drive);
	CHECK(argv_pairs(sv, "-drive", want) == 1);
	if (strcmp(t->config_bus, "cdrom") == 0)
		CHECK(argv_pairs(sv, "-device", "ide-cd,drive=cfg,") == 1);
	else if (strcmp(t->config_bus, "ide") == 0)
		CHECK(argv_pairs(sv, "-device", "ide-hd,drive=cfg,") == 1);
	else
		CHECK(argv_pairs(sv, "-device", "virtio-blk-pci,drive=cfg") == 1);
}

static void
check_facts(const struct template *t, const struct qemu_spec *q, const struct strv *sv)
{
	CHECK(sv->n > 0);
	if (sv->n == 0)
		return;
	facts_machine(t, q, sv);
	facts_nics(t, q, sv);
	facts_boot(t, q, sv);
	facts_config(t, q, sv);
	CHECK(argv_pairs(sv, "-chardev", "socket,id=con0,path=" CON_PATH ",") == 1);
	CHECK(argv_pairs(sv, "-chardev", "socket,id=qmp0,path=" QMP_PATH ",") == 1);
	/* A guest panic reaches QMP (GUEST_PANICKED) on every arch a template may have. */
	CHECK(argv_pairs(sv, "-device", "pvpanic") == 1);
}

static void
test_template_accel(const struct template *t, enum lw_accel accel)
{
	struct node_paths p;
	struct qemu_spec q;
	struct strv sv = {0};
	struct lw_err e = {0};
	int built;

	spec_fill(t, accel, &p, &q);
	CHECK(q.target.arch != NULL);
	if (q.target.arch == NULL)
		return;
	built = qemu_argv_build(&q, &sv, &e);
	CHECK(built == 0);
	if (built == -1) {
		fprintf(stderr, "  %s under %s: %s\n", t->name, accel_name(accel), e.msg);
		strv_free(&sv);
		return;
	}
	check_facts(t, &q, &sv);
	golden_check(t->name, accel, &sv);
	strv_free(&sv);
}

static bool
is_json(const struct dirent *d)
{
	size_t l = strlen(d->d_name);

	return (l > 5 && strcmp(d->d_name + l - 5, ".json") == 0);
}

static void
test_template_file(const char *file)
{
	struct template t;

	if (tpl_load(template_dir, file, &t) == -1)
		return;
	if (strcmp(t.kind, "qemu") == 0) {
		CHECK(nshipped < MAX_SHIPPED);
		if (nshipped < MAX_SHIPPED) {
			snprintf(shipped[nshipped].name, sizeof(shipped[0].name), "%s", t.name);
			snprintf(shipped[nshipped++].file, sizeof(shipped[0].file), "%s", file);
		}
		test_template_accel(&t, ACCEL_KVM);
		test_template_accel(&t, ACCEL_TCG);
	}
	json_decref(t.json);
}

/* Every template in the catalog directory: each must parse, each QEMU one matches its goldens. */
static void
test_shipped(void)
{
	struct dirent **ents;
	int n = scandir(template_dir, &ents, NULL, alphasort);

	CHECK(n > 0);
	if (n < 0) {
		fprintf(stderr, "  %s: %s\n", template_dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		if (is_json(ents[i]))
			test_template_file(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	CHECK(nshipped > 0);
}

static bool
shipped_has(const char *name, size_t len)
{
	for (int i = 0; i < nshipped; i++)
		if (strlen(shipped[i].name) == len && strncmp(shipped[i].name, name, len) == 0)
			return (true);
	return (false);
}

/* A golden file whose template is gone (or renamed) would otherwise sit there unchecked. */
static void
test_no_stale_goldens(void)
{
	struct dirent **ents;
	int n = scandir(golden_dir, &ents, NULL, alphasort);

	CHECK(n > 0);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		size_t l = strlen(f);

		if (l > 9 &&
		    (strcmp(f + l - 9, ".kvm.argv") == 0 || strcmp(f + l - 9, ".tcg.argv") == 0)) {
			CHECK(shipped_has(f, l - 9));
			if (!shipped_has(f, l - 9))
				fprintf(stderr,
				    "  %s/%s: no shipped QEMU template (that parses) makes it\n",
				    golden_dir, f);
		}
		free(ents[i]);
	}
	free(ents);
}

static void
check_ifname(const struct template *t, int idx, const char *want)
{
	char name[64];

	CHECK(template_ifname(t, idx, name, sizeof(name)) == 0);
	CHECK_STR(name, want);
}

static void
test_ifnames_iosv(void)
{
	struct template t;

	if (tpl_load(template_dir, "iosv.json", &t) == -1)
		return;
	check_ifname(&t, 0, "GigabitEthernet0/0");
	check_ifname(&t, 1, "GigabitEthernet0/1");
	CHECK(template_ifindex(&t, "GigabitEthernet0/1") == 1);
	CHECK(template_ifindex(&t, "Gi0/1") == 1);
	CHECK(template_ifindex(&t, "gi0/1") == 1);
	CHECK(template_ifindex(&t, "Gig0/1") == 1);
	CHECK(template_ifindex(&t, "GIGABITETHERNET0/1") == 1);
	CHECK(template_ifindex(&t, "Gi0/15") == 15); /* max_nics 16 */
	CHECK(template_ifindex(&t, "Gi0/16") == -1);
	CHECK(template_ifindex(&t, "Gi0/01") == -1);
	CHECK(template_ifindex(&t, "Gi0/1x") == -1);
	CHECK(template_ifindex(&t, "Gi0/") == -1);
	CHECK(template_ifindex(&t, "Ethernet0/1") == -1);
	CHECK(template_ifindex(&t, "") == -1);
	json_decref(t.json);
}

/* NX-OS: a management port before the numbered ones, numbered from 1. */
static void
test_ifnames_nxos(void)
{
	struct template t;

	if (tpl_load(template_dir, "nxosv9000.json", &t) == -1)
		return;
	check_ifname(&t, 0, "mgmt0");
	check_ifname(&t, 1, "Ethernet1/1");
	check_ifname(&t, 4, "Ethernet1/4");
	CHECK(template_ifindex(&t, "mgmt0") == 0);
	CHECK(template_ifindex(&t, "MGMT0") == 0);
	CHECK(template_ifindex(&t, "Ethernet1/1") == 1);
	CHECK(template_ifindex(&t, "eth1/1") == 1);
	CHECK(template_ifindex(&t, "E1/1") == 1);
	CHECK(template_ifindex(&t, "Ethernet1/31") == 31); /* max_nics 32, one lead */
	CHECK(template_ifindex(&t, "Ethernet1/32") == -1);
	CHECK(template_ifindex(&t, "Ethernet1/0") == -1); /* below interface_first */
	CHECK(template_ifindex(&t, "mgmt1") == -1);
	CHECK(template_ifindex(&t, "Ethernet1/1/1") == -1);
	CHECK(template_ifindex(&t, "Ethernet1/99999999") == -1);
	json_decref(t.json);
}

/* IOSvL2: slot/port numbering, four ports a slot. */
static void
test_ifnames_slots(void)
{
	struct template t;

	if (tpl_load(template_dir, "iosvl2.json", &t) == -1)
		return;
	check_ifname(&t, 0, "GigabitEthernet0/0");
	check_ifname(&t, 3, "GigabitEthernet0/3");
	check_ifname(&t, 4, "GigabitEthernet1/0");
	check_ifname(&t, 15, "GigabitEthernet3/3");
	CHECK(template_ifindex(&t, "Gi1/2") == 6);
	CHECK(template_ifindex(&t, "gigabitethernet2/1") == 9);
	CHECK(template_ifindex(&t, "Gi3/3") == 15);
	CHECK(template_ifindex(&t, "Gi0/4") == -1); /* a slot has 4 ports */
	CHECK(template_ifindex(&t, "Gi4/0") == -1); /* past max_nics */
	CHECK(template_ifindex(&t, "Gi1") == -1);
	CHECK(template_ifindex(&t, "Gi1/2/3") == -1);
	json_decref(t.json);
}

/* For every shipped QEMU template: each NIC's name reads back as that NIC. */
static void
test_ifnames_roundtrip(void)
{
	for (int i = 0; i < nshipped; i++) {
		struct template t;
		char name[64];

		if (tpl_load(template_dir, shipped[i].file, &t) == -1)
			continue;
		for (int k = 0; k < t.max_nics; k++) {
			int ok = template_ifname(&t, k, name, sizeof(name)) == 0 &&
			    template_ifindex(&t, name) == k;

			CHECK(ok);
			if (!ok)
				fprintf(stderr, "  %s NIC %d '%s' does not read back\n", t.name, k,
				    name);
		}
		json_decref(t.json);
	}
}

/* A minimal valid template; each refusal case changes one thing in it. */
static json_t *
refusal_base(void)
{
	return (json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "t1", "arch", "x86_64",
	    "interface_pattern", "eth{n}", "kernel", "k/vmlinuz", "config_method", "none"));
}

/* check_refused - o (taken) is refused as invalid, for the reason in needle. */
static void
check_refused(json_t *o, const char *needle)
{
	struct template t;
	struct lw_err e = {0};

	CHECK(template_parse(o, &t, &e) == -1);
	CHECK(e.code == ERR_INVALID);
	CHECK(strstr(e.msg, needle) != NULL);
	if (strstr(e.msg, needle) == NULL)
		fprintf(stderr, "  message: %s\n  wanted:  %s\n", e.msg, needle);
	json_decref(o);
}

static void
check_accepted(json_t *o)
{
	struct template t;
	struct lw_err e = {0};
	int r = template_parse(o, &t, &e);

	CHECK(r == 0);
	if (r == -1)
		fprintf(stderr, "  refused: %s\n", e.msg);
	else
		json_decref(t.json);
	json_decref(o);
}

static json_t *
with(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v);
	return (o);
}

/* A config drive template: method, label and files set on the base. */
static json_t *
drive(const char *method, const char *label, const char *file)
{
	json_t *o = refusal_base();

	with(o, "config_method", json_string(method));
	with(o, "config_label", json_string(label));
	return (with(o, "config_files", json_pack("{s:s}", file, "{config}")));
}

static void
test_refusals(void)
{
	check_accepted(refusal_base());
	check_accepted(drive("fat", "ELEVENCHARS", "ios_config.txt"));
	check_accepted(drive("iso", "disk", "config/juniper.conf"));

	check_refused(with(refusal_base(), "kernel", json_string("../../etc/shadow")), "no '..'");
	check_refused(with(refusal_base(), "kernel", json_string("/boot/vmlinuz")), "relative");
	check_refused(with(refusal_base(), "interface_pattern", json_string("eth")), "{n}");
	check_refused(with(refusal_base(), "interface_pattern", json_string("e{n}/{n}")), "{n}");
	check_refused(with(refusal_base(), "bogus", json_true()), "unknown field 'bogus'");
	check_refused(with(refusal_base(), "config_method", json_string("iso")),
	    "config_method iso needs config_files");
	check_refused(drive("iso", "disk", "../x.txt"), "config file name");
	check_refused(drive("iso", "disk", "a/b/c.txt"), "config file name");
	check_refused(drive("fat", "TWELVECHARSX", "ios_config.txt"), "at most 11");
	check_refused(with(refusal_base(), "ready_pattern", json_string("ready[")),
	    "ready_pattern: missing terminating ]");
	/* Bounded like every user's regex (core/base/rx): the limit is named. */
	check_refused(
	    with(refusal_base(), "ready_pattern",
	        json_string("((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))"
	                    "))))))))")),
	    "regex nesting limit");
	check_refused(
	    with(refusal_base(), "prompt", json_string("(x+x+)+y\\k<n>")), "back-references");
	check_refused(
	    with(refusal_base(), "ready_pattern", json_string("(a*)*\\1b")), "back-references");
	check_refused(with(refusal_base(), "interface_pattern", json_string("Gi{s}/{p}")),
	    "interface_ports_per_slot");
	check_refused(with(with(with(refusal_base(), "interface_pattern", json_string("Gi{s}/{p}")),
	                       "interface_ports_per_slot", json_integer(4)),
	                  "interface_aliases", json_pack("[s]", "Gi{n}")),
	    "like interface_pattern");
	check_refused(
	    with(refusal_base(), "interface_pattern", json_string("Gi{p}/{s}")), "{s} then {p}");
	check_refused(with(drive("fat", "vmm-data", "config/juniper.conf"), "config_archive",
	                  json_string("../x.tgz")),
	    "config_archive");
	check_refused(with(drive("fat", "vmm-data", "config/juniper.conf"), "config_archive",
	                  json_string("x.zip")),
	    "config_archive");
	check_accepted(with(drive("fat", "vmm-data", "config/juniper.conf"), "config_archive",
	    json_string("vmm-config.tgz")));
	/* Found by fuzz_template: names that do not name their interface back. */
	check_refused(with(with(refusal_base(), "interface_pattern", json_string("Gi{n}2")),
	                  "max_nics", json_integer(4)),
	    "interface 0 is named 'Gi02', which names interface -1");
	check_refused(with(with(refusal_base(), "interface_lead", json_pack("[s]", "eth0")),
	                  "max_nics", json_integer(4)),
	    "interface 1 is named 'eth0', which names interface 0");
	check_accepted(with(with(refusal_base(), "interface_lead", json_pack("[s]", "mgmt0")),
	    "max_nics", json_integer(4)));
	check_refused(
	    with(refusal_base(), "smbios", json_pack("{s:s}", "product", "a,b=c")), "smbios");
	check_refused(with(refusal_base(), "smbios", json_pack("{s:s}", "uuid", "x")), "smbios");
	check_accepted(with(refusal_base(), "smbios",
	    json_pack("{s:s,s:s}", "product", "VM-VMX", "family", "lab")));
}

int
main(void)
{
	const char *update = getenv("LW_GOLDEN_UPDATE");

	golden_dir = getenv("LW_GOLDEN_DIR") ? getenv("LW_GOLDEN_DIR") : "tests/golden";
	template_dir = getenv("LW_TEMPLATE_DIR") ? getenv("LW_TEMPLATE_DIR") : "images/templates";
	golden_update = update != NULL && strcmp(update, "1") == 0;
	if (golden_update)
		printf("LW_GOLDEN_UPDATE=1: writing the golden files in %s, not comparing\n",
		    golden_dir);
	test_shipped();
	test_no_stale_goldens();
	test_ifnames_iosv();
	test_ifnames_nxos();
	test_ifnames_slots();
	test_ifnames_roundtrip();
	test_refusals();
	TEST_DONE();
}
