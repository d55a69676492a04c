/*
 * configdrive - build a node's config drive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/paths.h"
#include "core/base/strv.h"
#include "core/base/spawn.h"
#include "hv/jail.h"
#include "images/configdrive.h"

#define CONFIGDRIVE_MAX (1024 * 1024) /* the FAT image is 1440 KiB */

/* write_file - name, new, in the directory dfd (never through a link the node planted). */
static int
write_file(int dfd, const char *name, const char *data)
{
	size_t len = strlen(data), off = 0;
	int fd;

	unlinkat(dfd, name, 0);
	if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640)) ==
	    -1)
		return (-1);
	while (off < len) {
		ssize_t n = TEMP_FAILURE_RETRY(write(fd, data + off, len - off));

		if (n == -1) {
			close(fd);
			return (-1);
		}
		off += (size_t)n;
	}
	return (close(fd));
}

/*
 * expand_len - the length content expands to, or SIZE_MAX past max: counted
 * before anything is allocated, so a template repeating {config} thousands
 * of times costs a pass over its text, never its expansion in memory.
 */
static size_t
expand_len(const char *content, size_t hlen, size_t clen, size_t max)
{
	size_t n = 0;

	for (const char *p = content; *p;) {
		if (strncmp(p, "{config}", 8) == 0) {
			n += clen;
			p += 8;
		} else if (strncmp(p, "{hostname}", 10) == 0) {
			n += hlen;
			p += 10;
		} else {
			n++;
			p++;
		}
		if (n > max)
			return (SIZE_MAX);
	}
	return (n);
}

char *
configdrive_expand(const char *content, const char *hostname, const char *config, size_t max)
{
	size_t hlen = strlen(hostname), clen = config ? strlen(config) : 0, n;
	char *out, *o;

	if ((n = expand_len(content, hlen, clen, max)) == SIZE_MAX) {
		errno = EFBIG;
		return (NULL);
	}
	if ((out = o = malloc(n + 1)) == NULL)
		return (NULL);
	for (const char *p = content; *p;) {
		if (strncmp(p, "{config}", 8) == 0) {
			memcpy(o, config ? config : "", clen);
			o += clen;
			p += 8;
		} else if (strncmp(p, "{hostname}", 10) == 0) {
			memcpy(o, hostname, hlen);
			o += hlen;
			p += 10;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return (out);
}

static __thread char run_log[1100]; /* the node's configdrive.log, per build */
static __thread int64_t run_node;   /* whose user the tools run as */

static int
run(char *const argv[], const char *what, struct lw_err *e)
{
	char line[200] = "";
	int pidfd, r;
	FILE *f = NULL;
	pid_t pid;

	struct jail_req who = {.kind = JAIL_TOOL, .node = run_node};
	int out;

	unlink(run_log); /* the log is appended to: one tool's output at a time */
	if ((out = spawn_log_open(run_log)) != -1) {
		pid = jail_spawn(&who, argv, NULL, 0, out, &pidfd);
		spawn_close_keep_errno(out);
	} else {
		pid = -1;
	}
	if (pid == -1)
		return (err_set(e, ERR_UNAVAILABLE, "cannot run %s to build the config drive: %s",
		    argv[0], strerror(errno)));
	if ((r = jail_wait(pid, pidfd, (int)lw.cfg.tool_timeout_s * 1000)) == 0)
		return (0);
	if (r == -1 && errno == ETIMEDOUT)
		return (err_set(e, ERR_UNAVAILABLE,
		    "%s did not finish building the config drive in %ld s (--tool-timeout): killed",
		    argv[0], lw.cfg.tool_timeout_s));
	if (r == -1 && errno != 0)
		return (err_set(e, ERR_INTERNAL, "waitpid %s: %s", argv[0], strerror(errno)));
	if ((out = paths_open_plain(run_log, O_RDONLY, 0)) != -1 && (f = fdopen(out, "r")) == NULL)
		close(out);
	if (out != -1 && f != NULL) { /* the tool's own words */
		if (fgets(line, sizeof(line), f) != NULL)
			line[strcspn(line, "\n")] = '\0';
		fclose(f);
	}
	return (err_set(e, ERR_INTERNAL, "%s failed building the config drive (%s)%s%s", argv[0],
	    what, line[0] ? ": " : "", line));
}

/*
 * stage_dir - make and open name in dfd, by fd, never through a link: the
 * node's user may write the node's directory, and whatever it swaps in
 * meanwhile, the daemon writes only into the directory it made.
 */
static int
stage_dir(int dfd, const char *name)
{
	if (mkdirat(dfd, name, 0750) == -1 && errno != EEXIST)
		return (-1);
	return (openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/* stage_one - the expanded file name (at most one directory level) under cfd. */
static int
stage_one(int cfd, const char *name, const char *text)
{
	const char *slash = strchr(name, '/');
	char sub[256];
	int sfd, r;

	if (slash == NULL)
		return (write_file(cfd, name, text));
	snprintf(sub, sizeof(sub), "%.*s", (int)(slash - name), name);
	if ((sfd = stage_dir(cfd, sub)) == -1)
		return (-1);
	r = write_file(sfd, slash + 1, text);
	close(sfd);
	return (r);
}

/* stage - dir/config holds exactly the template's files; 0 or -1 with e. */
static int
stage(const char *dir, const char *cdir, const struct template *t, const char *hostname,
    const char *config, struct lw_err *e)
{
	json_t *files = template_config_files(t), *v;
	const char *name;
	size_t total = 0;
	int dfd, cfd, r = 0;

	paths_rmtree(cdir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (cfd = stage_dir(dfd, "config")) == -1) {
		err_set(e, ERR_INTERNAL, "mkdir %s: %s", cdir, strerror(errno));
		if (dfd != -1)
			close(dfd);
		return (-1);
	}
	close(dfd);
	json_object_foreach(files, name, v) {
		char *text = configdrive_expand(
		    json_string_value(v), hostname, config, CONFIGDRIVE_MAX - total);

		if (text == NULL && errno == EFBIG) {
			r = err_set(e, ERR_INVALID,
			    "the config drive's files (%s ...) would exceed %d KiB", name,
			    CONFIGDRIVE_MAX >> 10);
			break;
		}
		if (text == NULL) {
			r = err_set(e, ERR_INTERNAL, "out of memory");
			break;
		}
		total += strlen(text);
		if (stage_one(cfd, name, text) == -1)
			r = err_set(
			    e, ERR_INTERNAL, "write %s/%s: %s", cdir, name, strerror(errno));
		free(text);
		if (r == -1)
			break;
	}
	close(cfd);
	return (r);
}

static int
build_iso(const char *cdir, const struct template *t, const char *out, struct lw_err *e)
{
	/* genisoimage: ~3 ms an image (xorriso ~100 ms). Rock Ridge + Joliet keep long names. */
	char *argv[] = {"genisoimage", "-quiet", "-R", "-J", "-V", (char *)t->config_label, "-o",
	    (char *)out, (char *)cdir, NULL};

	return (run(argv, "iso", e));
}

/* build_fat - a FAT image holding names (relative to cdir, at most one directory deep). */
static int
build_fat(
    const char *cdir, const struct template *t, json_t *names, const char *out, struct lw_err *e)
{
	/* 1440 KiB: a floppy geometry mtools accepts as is; configs are at most 256 KiB. */
	char *mkfs[] = {"mkfs.fat", "-C", "-n", (char *)t->config_label, (char *)out, "1440", NULL};
	json_t *v;
	size_t i;
	char src[1200], dst[300], dir[300];

	if (run(mkfs, "mkfs.fat", e) == -1)
		return (-1);
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v), *slash = strchr(name, '/');
		char *mcopy[] = {"mcopy", "-o", "-i", (char *)out, src, dst, NULL};
		char *mmd[] = {"mmd", "-i", (char *)out, dir, NULL};

		if (slash != NULL) {
			snprintf(dir, sizeof(dir), "::%.*s", (int)(slash - name), name);
			run(mmd, "mmd", e); /* an existing directory fails harmlessly */
			memset(e, 0, sizeof(*e));
		}
		snprintf(src, sizeof(src), "%s/%s", cdir, name);
		snprintf(dst, sizeof(dst), "::%s", name);
		if (run(mcopy, "mcopy", e) == -1)
			return (-1);
	}
	return (0);
}

/*
 * pack - the staged files as one gzip tar (vJunos reads vmm-config.tgz
 * holding config/juniper.conf) in pdir; its top-level entries are the
 * files' first path components, as `tar czf X config/` makes them.
 */
static int
pack(const char *cdir, const char *pdir, const struct template *t, struct lw_err *e)
{
	json_t *files = template_config_files(t), *v, *tops = json_object();
	char out[1200];
	const char *name;
	struct strv argv = {0};
	int r = -1, pfd = -1;

	paths_rmtree(pdir);
	/*
	 * 0770: tar writes the archive here as the node's user (the node's
	 * group, setgid). Made and opened by fd: the mode goes to this
	 * directory, not to wherever a link the node planted would lead.
	 */
	if (mkdir(pdir, 0770) == -1 ||
	    (pfd = open(pdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fchmod(pfd, 0770) == -1) {
		err_set(e, ERR_INTERNAL, "mkdir %s: %s", pdir, strerror(errno));
		if (pfd != -1)
			close(pfd);
		json_decref(tops);
		return (-1);
	}
	close(pfd);
	snprintf(out, sizeof(out), "%s/%s", pdir, t->config_archive);
	json_object_foreach(files, name, v) {
		char top[80];

		snprintf(top, sizeof(top), "%.*s", (int)strcspn(name, "/"), name);
		json_object_set_new(tops, top, json_true());
	}
	if (strv_add(&argv, "tar") == 0 && strv_add(&argv, "-czf") == 0 &&
	    strv_add(&argv, out) == 0 && strv_add(&argv, "-C") == 0 && strv_add(&argv, cdir) == 0 &&
	    strv_add(&argv, "--") == 0) {
		r = 0;
		json_object_foreach(tops, name, v)
			r |= strv_add(&argv, name);
		r = r == 0 ? run(argv.v, "tar", e) : err_set(e, ERR_INTERNAL, "out of memory");
	} else {
		err_set(e, ERR_INTERNAL, "out of memory");
	}
	strv_free(&argv);
	json_decref(tops);
	return (r);
}

int
configdrive_build(int64_t node, const char *dir, const struct template *t, const char *hostname,
    const char *startup_config, const char *out_path, struct lw_err *e)
{
	char cdir[1024], pdir[1024];
	json_t *names = json_array(), *v;
	const char *name;
	int r;

	snprintf(cdir, sizeof(cdir), "%s/config", dir);
	snprintf(pdir, sizeof(pdir), "%s/config-pack", dir);
	snprintf(run_log, sizeof(run_log), "%s/configdrive.log", dir);
	run_node = node;
	if (stage(dir, cdir, t, hostname, startup_config, e) == -1) {
		json_decref(names);
		return (-1);
	}
	unlink(out_path);
	/* The drive holds the files, or the one archive packing them. */
	if (t->config_archive[0] != '\0') {
		if (pack(cdir, pdir, t, e) == -1) {
			json_decref(names);
			return (-1);
		}
		snprintf(cdir, sizeof(cdir), "%s", pdir);
		json_array_append_new(names, json_string(t->config_archive));
	} else {
		json_object_foreach(template_config_files(t), name, v)
			json_array_append_new(names, json_string(name));
	}
	r = strcmp(t->config_method, "fat") == 0 ? build_fat(cdir, t, names, out_path, e)
	                                         : build_iso(cdir, t, out_path, e);
	json_decref(names);
	return (r);
}
