/*
 * gradeparse - what a check's console output means. Pure functions over the
 * text a console printed: each says whether a check passed and writes a
 * short detail a learner can act on ("2 of 3 replies", "1 neighbour Full,
 * expected 2"). The text comes from a guest, so it is untrusted: every
 * function reads only within its NUL-terminated input and bounds what it
 * copies. No I/O, no store, no console here: labs/grade types the commands
 * and hands their output to these.
 */
#ifndef LW_GRADEPARSE_H
#define LW_GRADEPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define GRADE_DETAIL_MAX 256 /* bytes of a check's detail, NUL included */

/*
 * gradeparse_body - the output of cmd as a console printed it (echo first,
 * prompt last), without the echoed command (however many lines a narrow
 * terminal wrapped it onto) and without the closing prompt line: a new
 * string (caller frees), or NULL when out of memory.
 */
char *gradeparse_body(const char *out, const char *cmd);

/*
 * gradeparse_ping - ping's summary ("N packets received" or "N received"):
 * with expect_success, passed when at least one reply came; else when none
 * did. detail (len bytes) says how many of how many.
 */
bool gradeparse_ping(const char *body, bool expect_success, char *detail, size_t len);

/*
 * gradeparse_route_frr - `show ip route PREFIX json`: passed when the JSON
 * object (from the first '{') holds the exact prefix key and, with via
 * (NULL for none), one of its nexthops' "ip" equals via.
 */
bool gradeparse_route_frr(
    const char *body, const char *prefix, const char *via, char *detail, size_t len);

/*
 * gradeparse_route_linux - `ip route show`: passed when a line starts with
 * prefix (a /32 as the bare address, 0.0.0.0/0 as "default") and, with
 * via, it (or its nexthop lines) holds " via VIA ".
 */
bool gradeparse_route_linux(
    const char *body, const char *prefix, const char *via, char *detail, size_t len);

/* gradeparse_ospf - `show ip ospf neighbor`: passed when at least full lines hold " Full/". */
bool gradeparse_ospf(const char *body, int full, char *detail, size_t len);

/* gradeparse_bgp - `show bgp neighbors PEER`: passed on "BGP state = Established". */
bool gradeparse_bgp(const char *body, const char *peer, char *detail, size_t len);

/*
 * gradeparse_match - re (core/base/rx, "^"/"$" at lines) on body: passed
 * when it matches, or with absent when it does not. A pattern that does
 * not compile or hits a regex limit fails the check, saying so.
 */
bool gradeparse_match(const char *body, const char *re, bool absent, char *detail, size_t len);

/*
 * gradeparse_prefix - prefix ("10.0.3.5/24") as the network it names
 * ("10.0.3.0/24") into buf; 0, or -1 when it is no IPv4 CIDR.
 */
int gradeparse_prefix(const char *prefix, char *buf, size_t len);

#endif
