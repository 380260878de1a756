/* SPDX-License-Identifier: MIT */
#include "sim-harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

int harness_failures;

/* The running harness, for clean-up when a REQUIRE() exits early. */
static struct sim_harness *current;

/* The simulator's log goes to a file the tests can search; shown at the end. */
static void show_log(struct sim_harness *h)
{
	char line[512];
	FILE *f = fopen(h->log, "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

static void cleanup_at_exit(void)
{
	char cmd[320];

	if (current == NULL)
		return;
	kill(current->pid, SIGKILL);
	waitpid(current->pid, NULL, 0);
	show_log(current);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", current->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", current->dir);
}

void harness_start(struct sim_harness *h, const char *xen_sim_path)
{
	char ready[300];
	struct stat st;

	snprintf(h->dir, sizeof(h->dir), "/tmp/xensim-test-XXXXXX");
	REQUIRE(mkdtemp(h->dir) != NULL);
	snprintf(h->control, sizeof(h->control), "%s/control", h->dir);
	snprintf(h->xenstored, sizeof(h->xenstored), "%s/xenstored", h->dir);
	snprintf(ready, sizeof(ready), "%s/ready", h->dir);
	snprintf(h->log, sizeof(h->log), "%s/log", h->dir);
	h->pid = fork();
	REQUIRE(h->pid >= 0);
	if (h->pid == 0) {
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		/* The simulator dies with the test, even if the test crashes. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(xen_sim_path, xen_sim_path, "--dir", h->dir, "--foreground", NULL);
		_exit(127);
	}
	current = h;
	atexit(cleanup_at_exit);
	for (int i = 0; i < 500; i++) {
		if (stat(ready, &st) == 0)
			return;
		if (waitpid(h->pid, NULL, WNOHANG) == h->pid) {
			fprintf(stderr, "FATAL: %s exited before it was ready\n", xen_sim_path);
			exit(1);
		}
		usleep(10000);
	}
	fprintf(stderr, "FATAL: %s not ready after 5 s\n", xen_sim_path);
	kill(h->pid, SIGKILL);
	exit(1);
}

void harness_stop(struct sim_harness *h)
{
	int status = 0;
	char cmd[320];

	current = NULL;
	kill(h->pid, SIGTERM);
	waitpid(h->pid, &status, 0);
	/* A clean SIGTERM exit is part of the contract. */
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	show_log(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", h->dir);
}

const char *harness_xs_path(struct sim_harness *h, unsigned domid)
{
	static char buf[320];
	if (domid == 0)
		snprintf(buf, sizeof(buf), "%s/xenstored", h->dir);
	else
		snprintf(buf, sizeof(buf), "%s/xenstored.d%u", h->dir, domid);
	return buf;
}

struct xs_handle *harness_xs_open(struct sim_harness *h, unsigned domid)
{
	setenv("XENSTORED_PATH", harness_xs_path(h, domid), 1);
	struct xs_handle *xs = xs_open(0);
	unsetenv("XENSTORED_PATH");
	return xs;
}

bool harness_log_has(struct sim_harness *h, const char *needle)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(h->log, "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

int harness_result(const char *name)
{
	if (harness_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, harness_failures);
		return 1;
	}
	printf("%s: all checks passed\n", name);
	return 0;
}
