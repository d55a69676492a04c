/* err - request-path errors. */
#include <stdarg.h>
#include <stdio.h>

#include "core/base/err.h"

int
err_set(struct lw_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return (-1);
	e->code = code;
	e->nnums = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return (-1);
}

int
err_num(struct lw_err *e, const char *name, long long value)
{
	if (e == NULL || e->nnums < 0 || e->nnums >= ERR_MAX_NUMS)
		return (-1);
	e->nums[e->nnums].name = name;
	e->nums[e->nnums].value = value;
	e->nnums++;
	return (-1);
}

static const struct {
	int status;
	const char *name;
} err_table[] = {
    [ERR_NONE] = {200, "ok"},
    [ERR_BAD_REQUEST] = {400, "bad_request"},
    [ERR_NOT_FOUND] = {404, "not_found"},
    [ERR_CONFLICT] = {409, "conflict"},
    [ERR_TOO_LARGE] = {413, "too_large"},
    [ERR_INVALID] = {422, "invalid"},
    [ERR_UNAVAILABLE] = {503, "unavailable"},
    [ERR_INTERNAL] = {500, "internal"},
    [ERR_METHOD] = {405, "method_not_allowed"},
    [ERR_TIMEOUT] = {408, "timeout"},
    [ERR_FORBIDDEN] = {403, "forbidden"},
    [ERR_UNAUTHORIZED] = {401, "unauthorized"},
    [ERR_TOO_MANY] = {429, "too_many_requests"},
    [ERR_NO_SPACE] = {507, "insufficient_storage"},
};

int
err_http_status(int code)
{
	if (code < 0 || code > ERR_NO_SPACE)
		return (500);
	return (err_table[code].status);
}

const char *
err_code_name(int code)
{
	if (code < 0 || code > ERR_NO_SPACE)
		return ("internal");
	return (err_table[code].name);
}
