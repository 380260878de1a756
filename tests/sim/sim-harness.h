/* SPDX-License-Identifier: MIT */
/* Test helpers: run a private xen-sim and check results loudly. */
#ifndef XENSIM_TEST_HARNESS_H
#define XENSIM_TEST_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sim_harness {
	char dir[256];
	char control[300];
	char xenstored[300];
	char log[300];			/* the simulator's stderr */
	int pid;
};

/* Starts xen_sim_path in a fresh temp dir; exits the test on failure. */
void harness_start(struct sim_harness *h, const char *xen_sim_path);
void harness_stop(struct sim_harness *h);
/* Path of the xenstored socket for domid. */
const char *harness_xs_path(struct sim_harness *h, unsigned domid);
/* libxenstore connection as domid (XENSTORED_PATH set around xs_open). */
struct xs_handle *harness_xs_open(struct sim_harness *h, unsigned domid);

extern int harness_failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: %s (errno %s)\n", __FILE__, __LINE__, #cond, \
				strerror(errno)); \
		harness_failures++; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, \
				#a, #b, _a, _b); \
		harness_failures++; \
	} \
} while (0)

#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "FATAL %s:%d: %s (errno %s)\n", __FILE__, __LINE__, #cond, \
				strerror(errno)); \
		exit(1); \
	} \
} while (0)

/* True if a line of the simulator's log so far contains needle. */
bool harness_log_has(struct sim_harness *h, const char *needle);

/* Exit status for main(). */
int harness_result(const char *name);

#endif
