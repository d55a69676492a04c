/*
 * ui - the browser UI's static files, served by the daemon itself at "/"
 * and "/ui/<file>". The files are read once at start-up from the UI
 * directory (build/ui: web/ui plus the npm-installed vendor files) into a
 * table; a request is a lookup in that table, never a path handed to the
 * filesystem, so no URL can reach a file outside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/log.h"
#include "web/ui.h"

#define UI_MAX_FILES 64
#define UI_MAX_SIZE (8 << 20)

struct ui_file {
	char name[96]; /* "index.html", "vendor/xterm.js" */
	const char *type;
	char *data;
	size_t len;
};

static struct {
	struct ui_file f[UI_MAX_FILES];
	int n;
} ui;

static const struct {
	const char *ext, *type;
} ui_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

static const char *
ui_type(const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < sizeof(ui_types) / sizeof(ui_types[0]); i++) {
		size_t e = strlen(ui_types[i].ext);

		if (l > e && strcmp(name + l - e, ui_types[i].ext) == 0)
			return (ui_types[i].type);
	}
	return (NULL);
}

/* Names the table takes: [a-z0-9._-] and one "/" (vendor/), no dot first. */
static bool
ui_name_ok(const char *name)
{
	if (name[0] == '.' || strlen(name) >= sizeof(ui.f[0].name))
		return (false);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		        *p == '-' || *p == '_' || *p == '/'))
			return (false);
	return (strstr(name, "..") == NULL);
}

static void
ui_add(const char *dir, const char *name)
{
	char path[512];
	struct ui_file *f;
	struct stat st;
	ssize_t r;
	int fd;

	if (ui.n == UI_MAX_FILES || !ui_name_ok(name) || ui_type(name) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > UI_MAX_SIZE) {
		close(fd);
		return;
	}
	f = &ui.f[ui.n];
	if ((f->data = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return;
	}
	r = read(fd, f->data, (size_t)st.st_size);
	close(fd);
	if (r != st.st_size) {
		free(f->data);
		return;
	}
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->type = ui_type(name);
	f->len = (size_t)r;
	ui.n++;
}

static void
ui_scan(const char *dir, const char *sub)
{
	char path[512], name[128];
	struct dirent *d;
	DIR *dp;

	snprintf(path, sizeof(path), "%s%s%s", dir, sub[0] ? "/" : "", sub);
	if ((dp = opendir(path)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s%s%s", sub, sub[0] ? "/" : "", d->d_name);
		ui_add(dir, name);
	}
	closedir(dp);
}

int
ui_load(const char *dir)
{
	ui_scan(dir, "");
	ui_scan(dir, "vendor");
	for (int i = 0; i < ui.n; i++)
		if (strcmp(ui.f[i].name, "index.html") == 0)
			return (ui.n);
	log_warnx("ui: no index.html in %s (build it with `make ui`); the browser UI is off", dir);
	return (0);
}

void
ui_free(void)
{
	for (int i = 0; i < ui.n; i++)
		free(ui.f[i].data);
	ui.n = 0;
}

/*
 * ui_lookup - the file for url ("/" is index.html, "/ui/NAME" is NAME);
 * NULL when url is not a UI path at all or the file is not there (*is_ui
 * tells which).
 */
static const struct ui_file *
ui_lookup(const char *url, bool *is_ui)
{
	const char *name;

	*is_ui = true;
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		name = "index.html";
	else if (strncmp(url, "/ui/", 4) == 0)
		name = url + 4;
	else {
		*is_ui = false;
		return (NULL);
	}
	for (int i = 0; i < ui.n; i++)
		if (strcmp(ui.f[i].name, name) == 0)
			return (&ui.f[i]);
	return (NULL);
}

int
ui_response(const char *method, const char *url, struct MHD_Response **resp, int *status)
{
	const struct ui_file *f;
	bool is_ui;

	f = ui_lookup(url, &is_ui);
	if (!is_ui)
		return (0);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		*status = 405;
		return (-1);
	}
	if (f == NULL) {
		*status = 404;
		return (-1);
	}
	*resp = MHD_create_response_from_buffer(f->len, f->data, MHD_RESPMEM_PERSISTENT);
	if (*resp == NULL)
		return (-1);
	MHD_add_response_header(*resp, "Content-Type", f->type);
	/*
	 * The page is fetched fresh each time (it names the scripts); the
	 * scripts revalidate too, since their names carry no version yet.
	 */
	MHD_add_response_header(*resp, "Cache-Control", "no-cache");
	MHD_add_response_header(*resp, "X-Content-Type-Options", "nosniff");
	/*
	 * Scripts, images and styles from the daemon only: a lab's guide
	 * (Markdown from its owner) is sanitized by DOMPurify in the page, and
	 * should anything slip through, no inline script or handler runs and
	 * nothing remote loads. No plugins, frames or media at all.
	 */
	if (strcmp(f->name, "index.html") == 0)
		MHD_add_response_header(*resp, "Content-Security-Policy",
		    "default-src 'self'; script-src 'self'; img-src 'self'; "
		    "style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; "
		    "frame-src 'none'; media-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
		    "form-action 'self'");
	/* No other site frames the page (its buttons start and delete labs). */
	MHD_add_response_header(*resp, "X-Frame-Options", "DENY");
	*status = 200;
	return (1);
}
