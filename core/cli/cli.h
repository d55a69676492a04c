/*
 * cli - the labwire command-line client: every subcommand but "serve",
 * each one a few REST calls to the daemon, and a console client. It talks
 * to the daemon only over HTTP (with a Bearer token: `labwire login`
 * stores one) and a console's telnet port, and links nothing of the
 * daemon's but core/base, except `labwire user ... --data-dir DIR`, the
 * recovery path that edits the users in the store itself (useradm.c).
 */
#ifndef LW_CLI_H
#define LW_CLI_H

#include <jansson.h>
#include <stdbool.h>

#define CLI_DEFAULT_URL "http://127.0.0.1:8080"

/*
 * cli_main - run one subcommand: argv[0] is the program name, then the
 * global options (--url URL), then the subcommand and its arguments.
 * Returns the exit status: 0 done, 1 failed (API error, daemon unreachable,
 * timeout, node error), 2 usage error or --help.
 */
int cli_main(int argc, char **argv);

/*
 * cli_set_url - the daemon's base URL for cli_http ("http://host:port",
 * trailing slashes dropped); cli_main sets it from --url, $LABWIRE_URL or
 * CLI_DEFAULT_URL. Returns 0, or -1 (ENAMETOOLONG).
 */
int cli_set_url(const char *url);

/* cli_set_token - the token every request carries (NULL or "": none); 0 or -1 (EINVAL). */
int cli_set_token(const char *token);
bool cli_has_token(void);
/* cli_set_cacert - the PEM file an https daemon's certificate is checked against. */
int cli_set_cacert(const char *path);

/*
 * cli_http - one request: method on path (from "/api/v1", already
 * escaped), with body (JSON text) or NULL. Sets *status to the HTTP status
 * (0 when there was no answer) and, on success, *out to the parsed answer
 * (NULL when it had no body; caller owns the reference). Returns 0 on a 2xx
 * answer; otherwise -1, having told the user on stderr why
 * ("labwire: <message> (HTTP <status>)" or "labwire: cannot reach ...").
 */
int cli_http(const char *method, const char *path, const char *body, long *status, json_t **out);

#endif
