/*
 * importlan - LAN segments from switch and hub devices (labs/importlan.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labs/importlan.h"

struct lan_dev {
	char what[96];
	int parent; /* union-find: the devices one segment joins */
	json_t *members;
	bool emitted;
};

struct implan {
	struct lan_dev *dev;
	int n, cap;
};

struct implan *
implan_new(void)
{
	return (calloc(1, sizeof(struct implan)));
}

void
implan_free(struct implan *l)
{
	int i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		json_decref(l->dev[i].members);
	free(l->dev);
	free(l);
}

int
implan_dev(struct implan *l, const char *what)
{
	struct lan_dev *d;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 8;

		if ((d = realloc(l->dev, (size_t)cap * sizeof(*d))) == NULL)
			return (-1);
		l->dev = d;
		l->cap = cap;
	}
	d = &l->dev[l->n];
	memset(d, 0, sizeof(*d));
	snprintf(d->what, sizeof(d->what), "%s", what);
	d->parent = l->n;
	if ((d->members = json_array()) == NULL)
		return (-1);
	return (l->n++);
}

int
implan_root(struct implan *l, int i)
{
	while (l->dev[i].parent != i) {
		l->dev[i].parent = l->dev[l->dev[i].parent].parent;
		i = l->dev[i].parent;
	}
	return (i);
}

void
implan_join(struct implan *l, int a, int b)
{
	a = implan_root(l, a);
	b = implan_root(l, b);
	/* The earlier device stays the root, so a segment is named after its first device. */
	if (a < b)
		l->dev[b].parent = a;
	else if (b < a)
		l->dev[a].parent = b;
}

int
implan_member(struct implan *l, int dev, json_t *ep)
{
	if (ep == NULL)
		return (-1);
	return (json_array_append_new(l->dev[dev].members, ep));
}

/* lan_gather - the members and the name of root's segment into eps and what. */
static int
lan_gather(struct implan *l, int root, json_t *eps, char *what, size_t size)
{
	size_t used = 0;
	int i, ndev = 0;

	what[0] = '\0';
	for (i = root; i < l->n; i++) {
		if (implan_root(l, i) != root)
			continue;
		l->dev[i].emitted = true;
		if (json_array_extend(eps, l->dev[i].members) == -1)
			return (-1);
		if (ndev++ < 4 && used < size) {
			int k = snprintf(what + used, size - used, "%s%s", ndev > 1 ? " + " : "",
			    l->dev[i].what);
			used += k > 0 ? (size_t)k : 0;
		} else if (ndev == 5 && used < size) {
			snprintf(what + used, size - used, " + more");
			used = size;
		}
	}
	return (0);
}

int
implan_emit(struct implan *l, struct imp *im, const char *path, struct lw_err *e)
{
	char what[256];
	json_t *eps;
	int i;

	for (i = 0; i < l->n; i++) {
		if (l->dev[i].emitted || implan_root(l, i) != i)
			continue;
		if ((eps = json_array()) == NULL ||
		    lan_gather(l, i, eps, what, sizeof(what)) == -1) {
			json_decref(eps);
			return (err_set(e, ERR_INTERNAL, "out of memory"));
		}
		if (json_array_size(eps) < 2) {
			imp_drop(im, what, "%zu member%s: nothing to connect", json_array_size(eps),
			    json_array_size(eps) == 1 ? "" : "s");
			json_decref(eps);
			continue;
		}
		if (imp_link_add(
		        im, json_pack("{s:o, s:s}", "endpoints", eps, "what", what), path, e) == -1)
			return (-1);
	}
	return (0);
}
