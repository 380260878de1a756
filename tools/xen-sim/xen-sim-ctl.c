/* SPDX-License-Identifier: MIT */
/* xen-sim-ctl: toolstack commands for scripts and tests (as domain 0). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xensim.h"

static int usage(void)
{
	fprintf(stderr, "usage: xen-sim-ctl --dir DIR create DOMID NAME | destroy DOMID\n");
	return 2;
}

static int parse_domid(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v == 0 || v >= 0x7ff0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	char sock[4096];
	struct xensim *s;
	uint32_t domid;
	int r;

	if (argc < 5 || strcmp(argv[1], "--dir") != 0 || parse_domid(argv[4], &domid) < 0)
		return usage();
	snprintf(sock, sizeof(sock), "%s/control", argv[2]);
	if ((s = xensim_connect(sock, 0)) == NULL) {
		fprintf(stderr, "xen-sim-ctl: cannot connect to %s: %s\n", sock, strerror(errno));
		return 1;
	}
	if (strcmp(argv[3], "create") == 0 && argc == 6)
		r = xensim_domain_create(s, domid, argv[5]);
	else if (strcmp(argv[3], "destroy") == 0 && argc == 5)
		r = xensim_domain_destroy(s, domid);
	else {
		xensim_disconnect(s);
		return usage();
	}
	xensim_disconnect(s);
	if (r < 0) {
		fprintf(stderr, "xen-sim-ctl: %s %u: %s\n", argv[3], domid, strerror(-r));
		return 1;
	}
	return 0;
}
