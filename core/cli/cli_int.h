/*
 * cli_int - what the files of core/cli share, and nothing outside core/cli
 * may include: the exit statuses, the parsed arguments every command gets,
 * and one section per file below, named as its functions are (cli_http_*
 * live in http.c, cli_lab_* in lab.c, ...). Only http.c talks HTTP to the
 * daemon, and only cli.c knows the command table; a command handler takes
 * its parsed arguments and returns an exit status, having told the user.
 */
#ifndef LW_CLI_INT_H
#define LW_CLI_INT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/base/strv.h"

/* Exit statuses, as cli_main documents them. */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

#define CLI_API "/api/v1"
#define CLI_PATH_MAX 1024
#define CLI_MAX_POS 3
#define CLI_MAX_STEPS 32

struct rx;
struct telnet_client;

/* ---- cli.c: a command's arguments, as parsed ---- */

struct cli_step {
	int expect; /* wait for re to match; else send text and "\r" */
	const char *text;
	struct rx *re; /* compiled by cli_script_compile (core/base/rx), or NULL */
};

struct cli_args {
	const char *pos[CLI_MAX_POS];
	int npos;
	int wait, print, wait_ready;
	double timeout, ready_timeout; /* seconds; < 0 when not given */
	struct cli_step steps[CLI_MAX_STEPS];
	int nsteps;
	const char *filter;   /* capture -f; NULL when not given */
	long snaplen;         /* capture -s; 0 when not given */
	const char *wfile;    /* capture -w; NULL when not given */
	const char *name;     /* image add, assignment create --name; NULL when not given */
	const char *tmpl;     /* image add --template; NULL when not given */
	const char *role;     /* user add --role; NULL when not given */
	const char *data_dir; /* user ... --data-dir: edit the store itself; NULL when not given */
	int stage;            /* grade --stage N; -1 when not given */
	int json;             /* grade --json */
	const char *format;   /* lab import, lab export --format; NULL when not given */
	int yaml;             /* lab export --yaml */
	const char *ofile;    /* lab export -o; NULL when not given (stdout) */
};

/* ---- buf.c: a growing byte buffer ---- */

struct cli_buf {
	char *p; /* NUL-terminated once anything was added */
	size_t n;
	size_t cap;
};

/* cli_buf_add - append n bytes of p; 0, or -1 with errno (EFBIG past the CLI's limit). */
int cli_buf_add(struct cli_buf *b, const void *p, size_t n);
/* cli_buf_read_file - all of file name ("-": stdin) into b; 0, or -1 with errno (ENODATA: empty).
 */
int cli_buf_read_file(const char *name, struct cli_buf *b);
/* cli_buf_load - cli_buf_read_file, telling the user when it fails ("labwire: NAME: empty file",
 * "-" named "<stdin>"); 0, or -1 having told them. */
int cli_buf_load(const char *name, struct cli_buf *b);

/* ---- fmt.c: the daemon's JSON fields as text for people ---- */

/* cli_fmt_field - obj[key] as table text: strings as is, numbers, yes/no, "-" if absent. */
const char *cli_fmt_field(const json_t *obj, const char *key, char *buf, size_t len);
/* cli_fmt_string - obj[key] if it is a string, else "". */
const char *cli_fmt_string(const json_t *obj, const char *key);
/*
 * cli_fmt_clean - v with every string (values, not keys, at any depth)
 * made safe for a terminal: a control character (C0, DEL, or a UTF-8 C1
 * such as U+009B, the one-byte CSI) becomes '?', so text from a lab file
 * or a daemon's message cannot move the cursor, retitle the window or
 * clear the screen. Changes v in place.
 */
void cli_fmt_clean(json_t *v);
/* cli_fmt_text - s cleaned as cli_fmt_clean cleans a string, into buf (cut to len - 1 bytes). */
const char *cli_fmt_text(const char *s, char *buf, size_t len);
/* cli_fmt_size - n bytes for people: "512 B", "3.0 MiB", "266 MiB", "1.5 GiB". */
void cli_fmt_size(uint64_t n, char *buf, size_t len);
/* cli_fmt_size_field - obj[key], a byte count, as cli_fmt_size writes it; "-" if absent. */
const char *cli_fmt_size_field(const json_t *obj, const char *key, char *buf, size_t len);

/* ---- table.c: columns padded to fit ---- */

struct cli_table {
	size_t ncol;
	size_t rows; /* complete rows in cells */
	int failed;  /* a row was lost for want of memory */
	struct strv cells;
};

/* cli_table_row - add a row of t->ncol cells (copied). */
void cli_table_row(struct cli_table *t, const char *const *cells);
/* cli_table_done - print the table, columns padded to fit, and free it; 0 or -1 (told). */
int cli_table_done(struct cli_table *t);

/* ---- http.c: REST over libcurl (cli_http and cli_set_url are in cli.h) ---- */

/* cli_http_base - the daemon's base URL, as cli_set_url left it. */
const char *cli_http_base(void);
/* cli_http_headers - a curl list of the n headers in want (NULLs skipped), or NULL. */
struct curl_slist *cli_http_headers(const char *const *want, size_t n);
/*
 * cli_http_easy - a handle for path (from the base URL) with what every
 * request shares: no method, no body, no timeout yet; resp collects the
 * answer. NULL when curl has no handle to give.
 */
CURL *cli_http_easy(const char *path, struct curl_slist *hdrs, struct cli_buf *resp, char *errbuf);
/* cli_http_handle - cli_http_easy for method with body (or none), as cli_http sends it. */
CURL *cli_http_handle(const char *method, const char *path, const char *body,
    struct curl_slist *hdrs, struct cli_buf *resp, char *errbuf);
/* cli_http_answer - judge a complete answer; 0, or -1 having told the user. */
int cli_http_answer(long status, const struct cli_buf *resp, json_t **out);
/* cli_http_why - why a request failed: curl's message in errbuf, else rc's. */
const char *cli_http_why(CURLcode rc, const char *errbuf);
/* cli_http_unreachable - tell the user the daemon did not answer, and why. */
void cli_http_unreachable(CURLcode rc, const char *errbuf);
/*
 * cli_http_path - CLI_API "/labs/LAB[/nodes/NODE]SUFFIX" into buf, LAB and
 * NODE escaped. Returns 0, or -1 having told the user.
 */
int cli_http_path(char *buf, size_t len, const char *lab, const char *node, const char *suffix);
/* cli_http_lab - cli_http on cli_http_path's path, its status unused; 0 or -1 (told). */
int cli_http_lab(const char *method, const char *lab, const char *node, const char *suffix,
    const char *body, json_t **out);

/* ---- wait.c: nodes reaching running (and ready) or stopped ---- */

/*
 * cli_wait_action - POST LAB's (or its node's) start or stop, say what the
 * daemon did under the name what, and with --wait follow the nodes until
 * they got there. Returns the exit status.
 */
int cli_wait_action(const struct cli_args *a, const char *what, const char *node, int start);
/* cli_wait_ready - wait, progress on stderr, until lab's node runs and is ready; exit status. */
int cli_wait_ready(const char *what, const char *lab, const char *node, double timeout);

/* ---- signal.c: a signal that would end the CLI, noted ---- */

/* cli_signal_note - the handler: notes sig, nothing else. */
void cli_signal_note(int sig);
/* cli_signal_caught - whether a signal was noted since cli_signal_clear. */
int cli_signal_caught(void);
void cli_signal_clear(void);

/* ---- pcap.c: a pcap stream's framing, followed as the bytes pass ---- */

#define CLI_PCAP_GLOBAL 24 /* the pcap file header */

/*
 * It counts packets without asking the daemon, and says where records end,
 * so that what is written stops at one (a file cut inside a record reads as
 * damaged). A stream that is not pcap passes through uncounted.
 */
struct cli_pcap {
	int phase;
	int big; /* the stream's integers are big-endian */
	unsigned char h[CLI_PCAP_GLOBAL];
	size_t have;    /* bytes of the header in h so far */
	size_t left;    /* in a packet: its bytes still to come */
	uint32_t orig;  /* the packet's length on the wire */
	size_t partial; /* bytes since the last record boundary */
	unsigned long long packets, bytes;
};

/* cli_pcap_feed - follow the next n bytes of the stream (pc starts zeroed). */
void cli_pcap_feed(struct cli_pcap *pc, const unsigned char *p, size_t n);

/* ---- stream.c: a capture's pcap followed into a file ---- */

enum {
	CLI_STREAM_STOP,   /* we stop it: a signal, or stdout's reader went away */
	CLI_STREAM_ENDED,  /* the stream ended: the capture ended on the appliance */
	CLI_STREAM_FAILED, /* told the user */
};

/*
 * cli_stream_follow - GET path, a pcap, into fd until the stream ends or a
 * signal stops us; with progress, a count on stderr each second. Returns
 * how it ended (CLI_STREAM_*).
 */
int cli_stream_follow(int fd, int progress, const char *path);

/* ---- upload.c: a file streamed into the image store ---- */

/*
 * cli_upload - POST file as the image name (NULL: the file's base name) for
 * template tmpl (or none), progress on stderr; the image the daemon made
 * into *img (caller owns it). Returns the exit status, having told the user.
 */
int cli_upload(const char *file, const char *name, const char *tmpl, json_t **img);

/* ---- script.c: a console driven by --send and --expect ---- */

/* cli_script_compile - the --expect regexes; 0, or -1 having told the user. */
int cli_script_compile(struct cli_args *a);
/* cli_script - run the steps in order, then print what was received; exit status. */
int cli_script(const struct cli_args *a, struct telnet_client *tc);
/* cli_script_free - what cli_script_compile made; safe after a partial compile. */
void cli_script_free(struct cli_args *a);

/* ---- session.c: an interactive console on the terminal ---- */

/* cli_session - copy both ways until Ctrl-] q, EOF or a signal; exit status. */
int cli_session(const struct cli_args *a, const char *host, int port, struct telnet_client *tc);

/* ---- node.c, link.c: tables lab show shares ---- */

/* cli_node_table - the nodes, then why any in error failed; 0 or -1 (told). */
int cli_node_table(const json_t *nodes);
/* cli_link_table - the links with their state and impairment; 0 or -1 (told). */
int cli_link_table(const json_t *links);

/* ---- the command handlers, one file per group; each returns the exit status ---- */

int cli_lab_list(struct cli_args *a);
int cli_lab_create(struct cli_args *a);
int cli_lab_show(struct cli_args *a);
int cli_lab_start(struct cli_args *a);
int cli_lab_stop(struct cli_args *a);
int cli_lab_delete(struct cli_args *a);
int cli_lab_guide(struct cli_args *a);
int cli_lab_import(struct cli_args *a);
int cli_lab_export(struct cli_args *a);
int cli_stage_list(struct cli_args *a);
int cli_stage_restore(struct cli_args *a);
int cli_node_list(struct cli_args *a);
int cli_node_start(struct cli_args *a);
int cli_node_stop(struct cli_args *a);
int cli_node_resume(struct cli_args *a);
int cli_link_list(struct cli_args *a);
int cli_link_up(struct cli_args *a);
int cli_link_down(struct cli_args *a);
int cli_link_impair(struct cli_args *a);
int cli_image_list(struct cli_args *a);
int cli_image_add(struct cli_args *a);
int cli_image_rm(struct cli_args *a);
int cli_console(struct cli_args *a);
int cli_login(struct cli_args *a);
int cli_logout(struct cli_args *a);
int cli_whoami(struct cli_args *a);
int cli_token_create(struct cli_args *a);
int cli_token_list(struct cli_args *a);
int cli_token_rm(struct cli_args *a);
int cli_user_list(struct cli_args *a);
int cli_user_add(struct cli_args *a);
int cli_user_passwd(struct cli_args *a);
int cli_user_rm(struct cli_args *a);
int cli_assign_create(struct cli_args *a);
int cli_assign_list(struct cli_args *a);
int cli_assign_show(struct cli_args *a);
int cli_assign_start(struct cli_args *a);
int cli_assign_delete(struct cli_args *a);
int cli_grade(struct cli_args *a);

/* ---- auth.c: the token every request carries ---- */

/*
 * cli_auth_setup - after the URL is set: the token from --token (flag, or
 * NULL), else $LABWIRE_TOKEN, else the one `labwire login` stored for the URL.
 */
int cli_auth_setup(const char *flag_token);
/* cli_read_password - prompt (without echo) on a terminal, else one line of stdin; 0 or -1. */
int cli_read_password(const char *prompt, char *buf, size_t len);

/* ---- useradm.c: the users in the store itself (--data-dir) ---- */

/* cli_useradm - op ("list", "add", "passwd", "rm") on the store in a->data_dir; exit status. */
int cli_useradm(struct cli_args *a, const char *op);
int cli_capture(struct cli_args *a);

#endif
