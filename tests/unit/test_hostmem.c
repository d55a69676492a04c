/*
 * Host admission: reading the host's memory (MemTotal, cgroup v1 and v2
 * limits, walked up the tree), the budget, the check and its error, and the
 * --mem-overcommit option.
 */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/hostmem.h"
#include "test.h"

static char root[256];

/* Write text to root/rel, making its directories. */
static void
put(const char *rel, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* hostmem_read_from on the fixture tree. */
static void
read_fixture(double overcommit, struct hostmem *m)
{
	char meminfo[512], cg[512], mnt[512];

	snprintf(meminfo, sizeof(meminfo), "%s/meminfo", root);
	snprintf(cg, sizeof(cg), "%s/self-cgroup", root);
	snprintf(mnt, sizeof(mnt), "%s/cgroup", root);
	hostmem_read_from(meminfo, cg, mnt, overcommit, m);
}

static void
test_meminfo(void)
{
	struct hostmem m;

	put("meminfo", "MemFree:         1000 kB\nMemTotal:       24731408 kB\n");
	put("self-cgroup", "0::/\n");
	read_fixture(1.0, &m);
	CHECK(m.total_mb == 24151);
	CHECK(m.limit_mb == 0);
	CHECK(m.budget_mb == 24151);
	read_fixture(0.5, &m);
	CHECK(m.budget_mb == 12075); /* rounded down */
	read_fixture(2.5, &m);
	CHECK(m.budget_mb == 60377);
}

static void
test_cgroup_v1(void)
{
	struct hostmem m;

	put("meminfo", "MemTotal:        4096000 kB\n");
	/* A named hierarchy and a joint one that are not memory, then memory's. */
	put("self-cgroup", "9:name=systemd:/\n3:cpu,cpuacct:/a/b\n4:memory:/a/b\n");
	put("cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
	put("cgroup/memory/a/b/memory.limit_in_bytes", "9223372036854771712\n");
	read_fixture(1.0, &m);
	CHECK(m.total_mb == 4000);
	CHECK(m.limit_mb == 0); /* "unlimited" is above the host */
	CHECK(m.budget_mb == 4000);
	/* A parent's limit binds its children. */
	put("cgroup/memory/a/memory.limit_in_bytes", "%lld\n", 1024LL << 20);
	read_fixture(2.0, &m);
	CHECK(m.limit_mb == 1024);
	CHECK(m.budget_mb == 2048);
	/* memory listed with another controller. */
	put("self-cgroup", "4:cpuset,memory:/a/b\n");
	read_fixture(1.0, &m);
	CHECK(m.limit_mb == 1024);
	/* "memoryx" is not memory. */
	put("self-cgroup", "4:memoryx:/a/b\n");
	read_fixture(1.0, &m);
	CHECK(m.limit_mb == 0);
}

static void
test_cgroup_v2(void)
{
	struct hostmem m;

	put("meminfo", "MemTotal:        4096000 kB\n");
	put("self-cgroup", "0::/svc/lw\n");
	put("cgroup/unified/svc/lw/memory.max", "max\n");
	read_fixture(1.0, &m);
	CHECK(m.limit_mb == 0);
	put("cgroup/unified/svc/lw/memory.max", "%lld\n", 3000LL << 20);
	read_fixture(1.0, &m);
	CHECK(m.limit_mb == 3000);
	/* A pure v2 host mounts it at the root. */
	put("cgroup/svc/memory.max", "%lld\n", 512LL << 20);
	read_fixture(1.0, &m);
	CHECK(m.limit_mb == 512);
	CHECK(m.budget_mb == 512);
}

static void
test_unknown(void)
{
	struct hostmem m;
	struct lw_err e = {0};

	/* No MemTotal: the host's memory comes from sysinfo. */
	put("meminfo", "MemFree: 1 kB\n");
	put("self-cgroup", "");
	read_fixture(1.0, &m);
	CHECK(m.total_mb > 0);
	/* A host whose memory cannot be known at all refuses nothing. */
	memset(&m, 0, sizeof(m));
	CHECK(hostmem_admit(&m, 1 << 20, 1 << 20, &e) == 0);
}

static void
test_admit(void)
{
	struct hostmem m = {.total_mb = 24000, .overcommit = 1.0, .budget_mb = 24000};
	struct lw_err e = {0};

	CHECK(hostmem_admit(&m, 2048, 21952, &e) == 0); /* exactly the budget */
	CHECK(hostmem_admit(&m, 0, 30000, &e) == 0);    /* a start of nothing */
	CHECK(hostmem_admit(&m, 2048, 21953, &e) == -1);
	CHECK(e.code == ERR_UNAVAILABLE);
	CHECK_STR(e.msg,
	    "not enough host memory: the start needs 2048 MiB, 21953 MiB is committed "
	    "to running and starting nodes, the host allows 24000 MiB (memory 24000 "
	    "MiB × --mem-overcommit 1.0)");
	CHECK(e.nnums == 3);
	CHECK_STR(e.nums[0].name, "needed_mb");
	CHECK(e.nums[0].value == 2048);
	CHECK_STR(e.nums[1].name, "committed_mb");
	CHECK(e.nums[1].value == 21953);
	CHECK_STR(e.nums[2].name, "available_mb");
	CHECK(e.nums[2].value == 24000);
	/* A new error forgets the numbers of the last one. */
	err_set(&e, ERR_CONFLICT, "x");
	CHECK(e.nnums == 0);

	m = (struct hostmem){
	    .total_mb = 8000, .limit_mb = 2000, .overcommit = 0.25, .budget_mb = 500};
	CHECK(hostmem_admit(&m, 600, 0, &e) == -1);
	CHECK(strstr(e.msg,
	          "the host allows 500 MiB (the daemon's memory cgroup limit 2000 MiB × "
	          "--mem-overcommit 0.25)") != NULL);
}

static void
test_err_nums(void)
{
	struct lw_err e = {0};

	err_set(&e, ERR_UNAVAILABLE, "m");
	for (int i = 0; i < ERR_MAX_NUMS + 2; i++)
		CHECK(err_num(&e, "n", i) == -1);
	CHECK(e.nnums == ERR_MAX_NUMS);
	CHECK(err_num(NULL, "n", 1) == -1);
}

/* --mem-overcommit: a decimal within bounds, default 1.0; a refused value changes nothing. */
static void
test_option(void)
{
	struct lw_config cfg;
	char err[256];
	const char *good[] = {"0.05", "100", "1.5", "1.", "007.50"};
	const double want[] = {0.05, 100.0, 1.5, 1.0, 7.5};
	const char *bad[] = {"0", "0.04", "100.5", "abc", "1e2", "0x1p0", "inf", "nan", "-1", ".",
	    "1..0", "", " 1", "1.5x"};
	char *argv[2] = {"--mem-overcommit", NULL};

	config_defaults(&cfg, "/nonexistent/labwire");
	CHECK(cfg.mem_overcommit == 1.0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		argv[1] = (char *)good[i];
		CHECK(config_parse_args(&cfg, 2, argv, err, sizeof(err)) == 0);
		CHECK(cfg.mem_overcommit == want[i]);
	}
	cfg.mem_overcommit = 2.0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv[1] = (char *)bad[i];
		CHECK(config_parse_args(&cfg, 2, argv, err, sizeof(err)) == -1);
		CHECK(strstr(err, "--mem-overcommit") != NULL && strstr(err, "0.05..100") != NULL);
		CHECK(cfg.mem_overcommit == 2.0);
	}
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/labwire-hostmem.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return (2);
	}
	test_meminfo();
	test_cgroup_v1();
	test_cgroup_v2();
	test_unknown();
	test_admit();
	test_err_nums();
	test_option();
	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		perror(root);
	TEST_DONE();
}
