/*
 * table - rows of text cells printed as columns padded to fit, as the list
 * commands show them. Rows are kept until cli_table_done, which prints and
 * frees them; a row lost for want of memory makes it fail, not print less
 * silently.
 */
#include <stdio.h>
#include <string.h>

#include "core/cli/cli_int.h"

void
cli_table_row(struct cli_table *t, const char *const *cells)
{
	for (size_t i = 0; i < t->ncol && !t->failed; i++)
		if (strv_add(&t->cells, cells[i]) == -1)
			t->failed = 1;
	if (!t->failed)
		t->rows++;
}

int
cli_table_done(struct cli_table *t)
{
	size_t w[8] = {0}, r, c, l;

	for (r = 0; r < t->rows; r++)
		for (c = 0; c < t->ncol && c < 8; c++)
			if ((l = strlen(t->cells.v[r * t->ncol + c])) > w[c])
				w[c] = l;
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c + 1 < t->ncol; c++)
			printf("%-*s  ", (int)w[c], t->cells.v[r * t->ncol + c]);
		printf("%s\n", t->cells.v[r * t->ncol + c]);
	}
	strv_free(&t->cells);
	if (t->failed)
		fprintf(stderr, "labwire: out of memory\n");
	return (t->failed ? -1 : 0);
}
