/*
 * importvpcs - a VPCS startup script (GNS3's startup_script, EVE-NG's
 * config of a vpcs node) as the script of the linux-host a VPCS becomes.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labs/importir.h"

/* vpcs_prefix - a netmask ("255.255.255.0", "/24" or "24") as a prefix length, or -1. */
static int
vpcs_prefix(const char *tok)
{
	struct in_addr a;
	uint32_t m;
	char *end;
	long n;

	if (*tok == '/')
		tok++;
	if (strchr(tok, '.') == NULL) {
		n = strtol(tok, &end, 10);
		return (*tok != '\0' && *end == '\0' && n >= 0 && n <= 32 ? (int)n : -1);
	}
	if (inet_pton(AF_INET, tok, &a) != 1)
		return (-1);
	m = ntohl(a.s_addr);
	if (m != 0 && (~m & (~m + 1)) != 0)
		return (-1); /* not contiguous */
	return (m == 0 ? 0 : 32 - __builtin_ctz(m));
}

/*
 * vpcs_ip - VPCS's "ip ADDRESS[/LEN] [GATEWAY] [MASK]" (the mask and
 * gateway in either order) as the commands a Linux host runs; false when
 * the line is not that.
 */
static bool
vpcs_ip(char **tok, int n, FILE *out)
{
	const char *gw = NULL;
	char addr[INET_ADDRSTRLEN + 4], *slash;
	struct in_addr a;
	int len = 24, i, p;

	if (n < 2 || strlen(tok[1]) >= sizeof(addr))
		return (false);
	snprintf(addr, sizeof(addr), "%s", tok[1]);
	if ((slash = strchr(addr, '/')) != NULL) {
		if ((len = vpcs_prefix(slash)) < 0)
			return (false);
		*slash = '\0';
	}
	if (inet_pton(AF_INET, addr, &a) != 1)
		return (false);
	for (i = 2; i < n; i++) {
		bool mask = *tok[i] == '/' || strchr(tok[i], '.') == NULL ||
		    strncmp(tok[i], "255.", 4) == 0; /* a gateway is never 255.x */

		if (mask && (p = vpcs_prefix(tok[i])) >= 0)
			len = p;
		else if (!mask && gw == NULL && inet_pton(AF_INET, tok[i], &a) == 1)
			gw = tok[i];
		else
			return (false);
	}
	fprintf(out, "ip addr add %s/%d dev eth0\n", addr, len);
	if (gw != NULL)
		fprintf(out, "ip route add default via %s\n", gw);
	return (true);
}

char *
imp_vpcs_script(const char *script)
{
	char *buf = NULL, *line, *copy, *save = NULL, *tok[8], *t, *tsave;
	size_t size = 0;
	FILE *out;
	int n;

	if ((copy = strdup(script)) == NULL || (out = open_memstream(&buf, &size)) == NULL) {
		free(copy);
		return (NULL);
	}
	fprintf(out, "# converted from a VPCS script\n");
	for (line = strtok_r(copy, "\r\n", &save); line != NULL;
	     line = strtok_r(NULL, "\r\n", &save)) {
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		fprintf(out, "# VPCS: %s\n", line);
		n = 0;
		for (t = strtok_r(line, " \t", &tsave); t != NULL && n < 8;
		     t = strtok_r(NULL, " \t", &tsave))
			tok[n++] = t;
		if (n > 0 && strcmp(tok[0], "ip") == 0)
			vpcs_ip(tok, n, out);
	}
	free(copy);
	if (fclose(out) != 0) {
		free(buf);
		return (NULL);
	}
	return (buf);
}
