/*
 * cli - the labwire command-line client's front: the command table, global
 * options (--url), each command's options and arguments, and usage. Every
 * command is a handler in the file of its group (lab.c, node.c, link.c,
 * image.c, console.c, capture.c) that makes a few calls through cli_http to
 * the REST API. Output is for people (tables, one line per state change);
 * errors go to stderr as "labwire: ..." and set the exit status. Only this
 * file parses argv; handlers get it parsed.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/cli/cli_int.h"

enum {
	CLI_O_WAIT = 1 << 0, /* --wait, --timeout */
	CLI_O_CONSOLE =
	    1 << 1, /* --print, --wait-ready, --ready-timeout, --send, --expect, --timeout */
	CLI_O_CAPTURE = 1 << 2, /* -f, -s, -w */
	CLI_O_IMAGE = 1 << 3,   /* --name, --template */
	CLI_O_USER = 1 << 4,    /* --role, --data-dir */
	CLI_O_NAME = 1 << 5,    /* --name */
	CLI_O_GRADE = 1 << 6,   /* --stage, --json */
	CLI_O_IMPORT = 1 << 7,  /* --name, --format */
	CLI_O_EXPORT = 1 << 8,  /* --format, --yaml, -o */
};

struct cli_cmd {
	const char *group; /* "lab", "node", "link", "image", or NULL */
	const char *name;
	const char *args;
	int npos;
	int opts;
	int (*run)(struct cli_args *);
	const char *help;
};

static const struct option cli_longopts[] = {
    {"wait", no_argument, NULL, 'W'},
    {"timeout", required_argument, NULL, 't'},
    {"print", no_argument, NULL, 'p'},
    {"wait-ready", no_argument, NULL, 'r'},
    {"ready-timeout", required_argument, NULL, 'R'},
    /* Not 's' and 'e': those are short options of their own. */
    {"send", required_argument, NULL, 'S'},
    {"expect", required_argument, NULL, 'E'},
    {"filter", required_argument, NULL, 'f'},
    {"snaplen", required_argument, NULL, 's'},
    {"write", required_argument, NULL, 'w'},
    {"name", required_argument, NULL, 'N'},
    {"template", required_argument, NULL, 'T'},
    {"role", required_argument, NULL, 'U'},
    {"data-dir", required_argument, NULL, 'D'},
    {"stage", required_argument, NULL, 'G'},
    {"json", no_argument, NULL, 'J'},
    {"format", required_argument, NULL, 'F'},
    {"yaml", no_argument, NULL, 'Y'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int
cli_opt_allowed(int c, int opts)
{
	switch (c) {
	case 'W':
		return (opts & CLI_O_WAIT);
	case 't':
		return (opts & (CLI_O_WAIT | CLI_O_CONSOLE));
	case 'p':
	case 'r':
	case 'R':
	case 'S':
	case 'E':
		return (opts & CLI_O_CONSOLE);
	case 'f':
	case 's':
	case 'w':
		return (opts & CLI_O_CAPTURE);
	case 'N':
		return (opts & (CLI_O_IMAGE | CLI_O_NAME | CLI_O_IMPORT));
	case 'T':
		return (opts & CLI_O_IMAGE);
	case 'U':
	case 'D':
		return (opts & CLI_O_USER);
	case 'F':
		return (opts & (CLI_O_IMPORT | CLI_O_EXPORT));
	case 'Y':
	case 'o':
		return (opts & CLI_O_EXPORT);
	case 'G':
	case 'J':
		return (opts & CLI_O_GRADE);
	default:
		return (0);
	}
}

static int
cli_opt_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > 1e6) {
		fprintf(stderr, "labwire: '%s' is not a number of seconds\n", s);
		return (-1);
	}
	*out = v;
	return (0);
}

/*
 * cli_opt_snaplen - -s N. 0, what tcpdump users type for "all of it", leaves it
 * to the daemon, whose default is whole frames; the daemon judges the range.
 */
static int
cli_opt_snaplen(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX) {
		fprintf(stderr, "labwire: '%s' is not a snapshot length in bytes\n", s);
		return (-1);
	}
	*out = v;
	return (0);
}

/* cli_opt_stage - --stage N: a stage number (0 grades every check); the daemon knows how many. */
static int
cli_opt_stage(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 999) {
		fprintf(stderr, "labwire: '%s' is not a stage number\n", s);
		return (-1);
	}
	*out = (int)v;
	return (0);
}

static int
cli_opt_set(struct cli_args *a, int c, const char *arg)
{
	switch (c) {
	case 'W':
		a->wait = 1;
		return (0);
	case 't':
		return (cli_opt_seconds(arg, &a->timeout));
	case 'R':
		return (cli_opt_seconds(arg, &a->ready_timeout));
	case 'p':
		a->print = 1;
		return (0);
	case 'r':
		a->wait_ready = 1;
		return (0);
	case 'f':
		a->filter = arg;
		return (0);
	case 's':
		return (cli_opt_snaplen(arg, &a->snaplen));
	case 'w':
		a->wfile = arg;
		return (0);
	case 'N':
		a->name = arg;
		return (0);
	case 'T':
		a->tmpl = arg;
		return (0);
	case 'U':
		a->role = arg;
		return (0);
	case 'F':
		a->format = arg;
		return (0);
	case 'Y':
		a->yaml = 1;
		return (0);
	case 'o':
		a->ofile = arg;
		return (0);
	case 'D':
		a->data_dir = arg;
		return (0);
	case 'G':
		return (cli_opt_stage(arg, &a->stage));
	case 'J':
		a->json = 1;
		return (0);
	default: /* 'S', 'E': steps keep command-line order */
		if (a->nsteps == CLI_MAX_STEPS) {
			fprintf(stderr, "labwire: at most %d --send/--expect\n", CLI_MAX_STEPS);
			return (-1);
		}
		a->steps[a->nsteps].expect = (c == 'E');
		a->steps[a->nsteps++].text = arg;
		return (0);
	}
}

/* cli_cmd_line - "group name args", how a command is typed. */
static void
cli_cmd_line(const struct cli_cmd *cmd, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", cmd->group ? cmd->group : "", cmd->group ? " " : "",
	    cmd->name, *cmd->args ? " " : "", cmd->args);
}

static void
cli_cmd_usage(FILE *f, const struct cli_cmd *cmd)
{
	char line[128];

	cli_cmd_line(cmd, line, sizeof(line));
	fprintf(f, "usage: labwire %s\n", line);
}

/* cli_parse - argv[0] is the command's name; 0, or -1 having told the user. */
static int
cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->timeout = a->ready_timeout = -1;
	a->stage = -1;
	optind = 0; /* GNU getopt: start afresh, cli_main may run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hf:s:w:o:", cli_longopts, NULL)) != -1) {
		if (c == 'h') {
			cli_cmd_usage(stdout, cmd);
			return (-1);
		}
		if (c == '?' || !cli_opt_allowed(c, cmd->opts)) {
			fprintf(
			    stderr, "labwire: bad option or missing value: %s\n", argv[optind - 1]);
			cli_cmd_usage(stderr, cmd);
			return (-1);
		}
		if (cli_opt_set(a, c, optarg) == -1)
			return (-1);
	}
	while (optind < argc && a->npos < cmd->npos)
		a->pos[a->npos++] = argv[optind++];
	if (optind < argc || a->npos != cmd->npos) {
		cli_cmd_usage(stderr, cmd);
		return (-1);
	}
	return (0);
}

/* ---- dispatch ---- */

static const struct cli_cmd cli_cmds[] = {
    {"lab", "list", "", 0, 0, cli_lab_list, "list labs"},
    {"lab", "create", "FILE", 1, 0, cli_lab_create,
        "create a lab from a JSON topology file (- reads stdin)"},
    {"lab", "show", "LAB", 1, 0, cli_lab_show, "a lab's nodes and links"},
    {"lab", "start", "LAB [--wait [--timeout S]]", 1, CLI_O_WAIT, cli_lab_start,
        "start every node; --wait until all run (and are ready)"},
    {"lab", "stop", "LAB [--wait [--timeout S]]", 1, CLI_O_WAIT, cli_lab_stop,
        "stop every node; --wait until all are stopped"},
    {"lab", "delete", "LAB", 1, 0, cli_lab_delete, "stop a lab and remove all it made"},
    {"lab", "guide", "LAB", 1, 0, cli_lab_guide, "print a practice lab's guide (Markdown)"},
    {"lab", "import", "FILE [--name N] [--format F]", 1, CLI_O_IMPORT, cli_lab_import,
        "create a lab from a containerlab, EVE-NG, GNS3, CML, netlab or labwire file"},
    {"lab", "export", "LAB [--format labwire|clab] [--yaml] [-o FILE]", 1, CLI_O_EXPORT,
        cli_lab_export, "write a lab as a file: labwire (JSON, or YAML) or containerlab"},
    {"stage", "list", "LAB", 1, 0, cli_stage_list, "a practice lab's stages: checks, configs"},
    {"stage", "restore", "LAB N", 2, 0, cli_stage_restore,
        "every node to stage N's config (0: the start), rebooted"},
    {"node", "list", "LAB", 1, 0, cli_node_list, "a lab's nodes"},
    {"node", "start", "LAB NODE [--wait [--timeout S]]", 2, CLI_O_WAIT, cli_node_start,
        "start one node"},
    {"node", "stop", "LAB NODE [--wait [--timeout S]]", 2, CLI_O_WAIT, cli_node_stop,
        "stop one node"},
    {"node", "resume", "LAB NODE", 2, 0, cli_node_resume,
        "let a paused node (e.g. paused: disk full) go on; fails if it pauses again"},
    {"link", "list", "LAB", 1, 0, cli_link_list, "a lab's links: state, datapath, impairment"},
    {"link", "up", "LAB LINK", 2, 0, cli_link_up, "bring a link up"},
    {"link", "down", "LAB LINK", 2, 0, cli_link_down,
        "take a link down (the guests see carrier loss)"},
    {"link", "impair", "LAB LINK SPEC", 3, 0, cli_link_impair,
        "set a link's impairment: delay_ms=50,loss_pct=2,a_to_b.rate_kbps=1000 (none clears)"},
    {"image", "list", "", 0, 0, cli_image_list, "the image store: disk images nodes boot"},
    {"image", "add", "FILE [--name NAME] [--template T]", 1, CLI_O_IMAGE, cli_image_add,
        "upload a disk image: qcow2, raw, vmdk, vdi, vhdx, vpc (see below)"},
    {"image", "rm", "NAME", 1, 0, cli_image_rm, "delete an image no node uses"},
    {NULL, "console", "LAB NODE [OPTIONS]", 2, CLI_O_CONSOLE, cli_console,
        "a node's serial console (see below)"},
    {NULL, "capture", "LAB LINK [-f FILTER] [-s SNAPLEN] [-w FILE|-]", 2, CLI_O_CAPTURE,
        cli_capture, "capture a link's packets as pcap (see below)"},
    {NULL, "grade", "LAB [--stage N] [--json]", 1, CLI_O_GRADE, cli_grade,
        "run a practice lab's checks: a table and the score; exit 0 only on full marks"},
    {NULL, "login", "USER", 1, 0, cli_login,
        "log in (password from the terminal or one line of stdin); the token is kept"},
    {NULL, "logout", "", 0, 0, cli_logout, "end the session and forget its token"},
    {NULL, "whoami", "", 0, 0, cli_whoami, "who the daemon takes you for"},
    {"token", "create", "NAME", 1, 0, cli_token_create,
        "an API token for automation (printed once)"},
    {"token", "list", "", 0, 0, cli_token_list, "your API tokens"},
    {"token", "rm", "ID", 1, 0, cli_token_rm, "revoke an API token"},
    {"assignment", "create", "LAB GROUP [--name N]", 2, CLI_O_NAME, cli_assign_create,
        "hand a lab to a group you lead (name: the lab's)"},
    {"assignment", "list", "", 0, 0, cli_assign_list, "assignments you lead or are given"},
    {"assignment", "show", "ID", 1, 0, cli_assign_show,
        "the table: each member's copy, its state, their last grade"},
    {"assignment", "start", "ID [--wait [--timeout S]]", 1, CLI_O_WAIT, cli_assign_start,
        "make your own copy of the lab (once) and start it"},
    {"assignment", "delete", "ID", 1, 0, cli_assign_delete,
        "remove an assignment (the members' copies stay theirs)"},
    {"user", "list", "[--data-dir DIR]", 0, CLI_O_USER, cli_user_list, "users (admin)"},
    {"user", "add", "NAME [--role R] [--data-dir DIR]", 1, CLI_O_USER, cli_user_add,
        "add a user: admin, instructor or user (the default)"},
    {"user", "passwd", "NAME [--data-dir DIR]", 1, CLI_O_USER, cli_user_passwd, "set a password"},
    {"user", "rm", "NAME [--data-dir DIR]", 1, CLI_O_USER, cli_user_rm, "remove a user"},
};
#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static const char cli_usage_tail[] =
    "\n"
    "console options:\n"
    "  (none)             interactive; leave with Ctrl-] then q\n"
    "  --print            print the console's \"HOST PORT\" and exit\n"
    "  --wait-ready       first wait until the node runs and is ready\n"
    "                     (--ready-timeout S, default 300)\n"
    "  --send TEXT        send TEXT and a carriage return\n"
    "  --expect REGEX     wait until REGEX (PCRE2, bounded; ^ and $ match at line\n"
    "                     ends, $ also at the end of output paused for 0.3 s)\n"
    "                     matches what arrived since the previous match, \"\\r\" removed\n"
    "  --timeout S        give up after S seconds (default 30), exit 1\n"
    "  --send and --expect repeat and run in command-line order; then everything\n"
    "  received is printed. Without --expect, output is taken until 0.5 s of quiet.\n"
    "\n"
    "capture options:\n"
    "  -f, --filter FILTER   capture only what FILTER (tcpdump syntax) matches\n"
    "  -s, --snaplen N       keep at most N bytes of each packet (0: whole packets)\n"
    "  -w, --write FILE      write the pcap to FILE, with a count on stderr each second;\n"
    "                        -w - writes it to stdout, as does no -w where stdout is\n"
    "                        not a terminal: labwire capture LAB LINK | wireshark -k -i -\n"
    "  Ctrl-C (or the reader of stdout going away) stops the capture; so does the\n"
    "  lab stopping. Its final counts go to stderr; its file stays on the daemon.\n"
    "\n"
    "image add options:\n"
    "  --name NAME        the image's name (default: FILE's base name)\n"
    "  --template T       the template it is for: T's nodes that name no image boot\n"
    "                     the newest one added for T\n"
    "  The file streams to the daemon, with its progress on stderr when that is a\n"
    "  terminal; the daemon checks it (qemu-img) before it answers.\n"
    "\n"
    "lab import options:\n"
    "  --name N           the new lab's name (default: the file's, else its own)\n"
    "  --format F         clab, unl, gns3, cml, netlab or labwire (default: told\n"
    "                     from the file). The file goes to the daemon as it is (at\n"
    "                     most 8 MiB); it prints each node's kind and the template\n"
    "                     it became (a substitute where that kind's image is\n"
    "                     missing), renamed interfaces and nodes, what was dropped\n"
    "                     and why, and configs kept on a node but not applied.\n"
    "\n"
    "lab export options:\n"
    "  --format F         labwire (the default: imports back to the same lab) or\n"
    "                     clab (a containerlab topology)\n"
    "  --yaml             labwire as YAML instead of JSON\n"
    "  -o, --output FILE  write to FILE (default: stdout)\n"
    "\n"
    "user options:\n"
    "  --data-dir DIR     as root on the host: edit the users in the daemon's store in\n"
    "                     DIR itself, daemon running or not (a lost admin password)\n"
    "\n"
    "The daemon is at --url URL, else $LABWIRE_URL, else " CLI_DEFAULT_URL ".\n"
    "Every command sends --token TOKEN, else $LABWIRE_TOKEN, else the token\n"
    "`labwire login` kept for the URL. An https daemon's certificate is checked\n"
    "against --cacert FILE (else $LABWIRE_CACERT, else the system's CAs).\n"
    "LAB and NODE are names or ids, LINK is an id. Exit status: 0 done, 1 failed,\n"
    "2 usage.\n";

static void
cli_usage(FILE *f)
{
	char left[64];

	fprintf(f,
	    "usage: labwire [--url URL] [--token T] [--cacert FILE] COMMAND [ARGS]\n\n"
	    "commands:\n");
	fprintf(f, "  %-36s%s\n", "serve [OPTIONS]", "run the daemon");
	for (size_t i = 0; i < CLI_NCMDS; i++) {
		const struct cli_cmd *c = &cli_cmds[i];

		cli_cmd_line(c, left, sizeof(left));
		if (strlen(left) < 35)
			fprintf(f, "  %-36s%s\n", left, c->help);
		else
			fprintf(f, "  %s\n  %-36s%s\n", left, "", c->help);
	}
	fputs(cli_usage_tail, f);
}

/* cli_find - the command argv names; *used is how many words named it. */
static const struct cli_cmd *
cli_find(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < CLI_NCMDS; i++) {
		const struct cli_cmd *c = &cli_cmds[i];

		if (c->group == NULL && strcmp(argv[0], c->name) == 0) {
			*used = 0;
			return (c);
		}
		if (c->group != NULL && argc > 1 && strcmp(argv[0], c->group) == 0 &&
		    strcmp(argv[1], c->name) == 0) {
			*used = 1;
			return (c);
		}
	}
	fprintf(stderr, "labwire: unknown command '%s%s%s'\n", argv[0], argc > 1 ? " " : "",
	    argc > 1 ? argv[1] : "");
	return (NULL);
}

struct cli_global_opts {
	const char *url, *token, *cacert;
};

/* cli_global_value - --NAME VALUE or --NAME=VALUE at argv[*i] into *out; 1 if it was. */
static int
cli_global_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);

	if (strcmp(argv[*i], name) == 0 && *i + 1 < argc) {
		*out = argv[++*i];
		return (1);
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return (1);
	}
	return (0);
}

/* cli_global - the options before the command; index of the command, or -1. */
static int
cli_global(int argc, char **argv, struct cli_global_opts *g)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (cli_global_value(argc, argv, &i, "--url", &g->url) ||
		    cli_global_value(argc, argv, &i, "--token", &g->token) ||
		    cli_global_value(argc, argv, &i, "--cacert", &g->cacert))
			continue;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_usage(stdout);
			return (-1);
		} else {
			fprintf(stderr, "labwire: unknown option '%s'\n", argv[i]);
			cli_usage(stderr);
			return (-1);
		}
	}
	if (i == argc || strcmp(argv[i], "help") == 0) {
		cli_usage(i == argc ? stderr : stdout);
		return (-1);
	}
	return (i);
}

int
cli_main(int argc, char **argv)
{
	struct cli_global_opts g = {getenv("LABWIRE_URL"), NULL, getenv("LABWIRE_CACERT")};
	const struct cli_cmd *cmd;
	struct cli_args a;
	int i, used, ret;

	if ((i = cli_global(argc, argv, &g)) == -1)
		return (CLI_USAGE);
	if (cli_set_url(g.url != NULL && *g.url != '\0' ? g.url : CLI_DEFAULT_URL) == -1 ||
	    cli_set_cacert(g.cacert) == -1 || cli_auth_setup(g.token) == -1) {
		fprintf(stderr, "labwire: --url, --cacert or --token too long or malformed\n");
		return (CLI_USAGE);
	}
	if ((cmd = cli_find(argc - i, argv + i, &used)) == NULL) {
		cli_usage(stderr);
		return (CLI_USAGE);
	}
	if (cli_parse(cmd, argc - i - used, argv + i + used, &a) == -1)
		return (CLI_USAGE);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmd->run(&a);
	curl_global_cleanup();
	fflush(stdout);
	return (ret);
}
