/*
 * buf - a growing byte buffer for what the CLI collects: an answer, a
 * console transcript, a lab file. It caps what it holds (CLI_BUF_MAX) so a
 * runaway answer fails instead of eating the machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli/cli_int.h"

#define CLI_BUF_MAX (64u << 20) /* an answer or a transcript larger than this is a fault */

int
cli_buf_add(struct cli_buf *b, const void *p, size_t n)
{
	size_t cap;
	char *np;

	if (n > CLI_BUF_MAX - b->n) {
		errno = EFBIG;
		return (-1);
	}
	if (b->n + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 4096; cap < b->n + n + 1; cap *= 2)
			;
		if ((np = realloc(b->p, cap)) == NULL)
			return (-1);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return (0);
}

int
cli_buf_read_file(const char *name, struct cli_buf *b)
{
	char chunk[65536];
	ssize_t n;
	int fd, saved;

	if (strcmp(name, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	while ((n = TEMP_FAILURE_RETRY(read(fd, chunk, sizeof(chunk)))) != 0) {
		if (n == -1 || cli_buf_add(b, chunk, (size_t)n) == -1)
			break;
	}
	saved = n == 0 && b->n == 0 ? ENODATA : errno;
	if (fd != STDIN_FILENO)
		close(fd);
	errno = saved;
	return (n == 0 && b->n > 0 ? 0 : -1);
}

int
cli_buf_load(const char *name, struct cli_buf *b)
{
	if (cli_buf_read_file(name, b) == 0)
		return (0);
	fprintf(stderr, "labwire: %s: %s\n", strcmp(name, "-") == 0 ? "<stdin>" : name,
	    errno == ENODATA ? "empty file" : strerror(errno));
	return (-1);
}
