/* SPDX-License-Identifier: MIT */
/*
 * The simulator's xenstored through the real libxenstore: transactions
 * (commit, abort, conflict -> EAGAIN), permissions between domains, watches
 * (initial event, relative paths, removal, @introduceDomain/@releaseDomain).
 */
#include <poll.h>
#include <stdbool.h>
#include <xenstore.h>

#include "sim-harness.h"
#include "xensim.h"

/* Next watch event within timeout_ms, or false. */
static bool next_event(struct xs_handle *xs, int timeout_ms, char *path, size_t psize,
		char *token, size_t tsize)
{
	struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
	unsigned int n;
	char **v;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;
	v = xs_read_watch(xs, &n);
	if (v == NULL)
		return false;
	snprintf(path, psize, "%s", v[XS_WATCH_PATH]);
	snprintf(token, tsize, "%s", v[XS_WATCH_TOKEN]);
	free(v);
	return true;
}

static bool read_is(struct xs_handle *xs, xs_transaction_t t, const char *path, const char *want)
{
	unsigned int len;
	char *v = xs_read(xs, t, path, &len);
	bool ok = v && strlen(want) == len && memcmp(v, want, len) == 0;
	free(v);
	return ok;
}

static void test_transactions(struct sim_harness *h)
{
	struct xs_handle *a = harness_xs_open(h, 0), *b = harness_xs_open(h, 0);
	xs_transaction_t t;

	REQUIRE(a && b);
	CHECK(xs_write(a, XBT_NULL, "/t/x", "1", 1));

	/* Commit: invisible outside until the end, then visible. */
	t = xs_transaction_start(a);
	REQUIRE(t != XBT_NULL);
	CHECK(xs_write(a, t, "/t/y", "in-tx", 5));
	CHECK(read_is(a, t, "/t/y", "in-tx"));
	errno = 0;
	CHECK(xs_read(b, XBT_NULL, "/t/y", NULL) == NULL && errno == ENOENT);
	CHECK(xs_transaction_end(a, t, false));
	CHECK(read_is(b, XBT_NULL, "/t/y", "in-tx"));

	/* Abort: nothing happens. */
	t = xs_transaction_start(a);
	CHECK(xs_write(a, t, "/t/z", "no", 2));
	CHECK(xs_rm(a, t, "/t/y"));
	CHECK(xs_transaction_end(a, t, true));
	CHECK(xs_read(b, XBT_NULL, "/t/z", NULL) == NULL);
	CHECK(read_is(b, XBT_NULL, "/t/y", "in-tx"));

	/* Conflict: another client changes a node the transaction read. */
	t = xs_transaction_start(a);
	CHECK(read_is(a, t, "/t/x", "1"));
	CHECK(xs_write(b, XBT_NULL, "/t/x", "2", 1));
	CHECK(xs_write(a, t, "/t/w", "lost", 4));
	errno = 0;
	CHECK(!xs_transaction_end(a, t, false));
	CHECK_EQ(errno, EAGAIN);
	CHECK(xs_read(b, XBT_NULL, "/t/w", NULL) == NULL);

	/* Conflict on a node the transaction only wrote. */
	t = xs_transaction_start(a);
	CHECK(xs_write(a, t, "/t/x", "3", 1));
	CHECK(xs_write(b, XBT_NULL, "/t/x", "4", 1));
	errno = 0;
	CHECK(!xs_transaction_end(a, t, false));
	CHECK_EQ(errno, EAGAIN);
	CHECK(read_is(b, XBT_NULL, "/t/x", "4"));

	/* No conflict when others touch unrelated nodes. */
	t = xs_transaction_start(a);
	CHECK(read_is(a, t, "/t/x", "4"));
	CHECK(xs_write(b, XBT_NULL, "/elsewhere", "e", 1));
	CHECK(xs_write(a, t, "/t/v", "kept", 4));
	CHECK(xs_transaction_end(a, t, false));
	CHECK(read_is(b, XBT_NULL, "/t/v", "kept"));

	/* A removal inside a transaction commits too. */
	t = xs_transaction_start(a);
	CHECK(xs_rm(a, t, "/t/v"));
	CHECK(xs_transaction_end(a, t, false));
	CHECK(xs_read(b, XBT_NULL, "/t/v", NULL) == NULL);

	/* Unknown transaction id. */
	errno = 0;
	CHECK(xs_read(a, 12345, "/t/x", NULL) == NULL && errno == ENOENT);
	xs_close(a);
	xs_close(b);
}

static void test_permissions(struct sim_harness *h, struct xensim *ctl)
{
	struct xs_handle *d0 = harness_xs_open(h, 0), *d1, *d2;
	struct xs_permissions p[2];
	unsigned int n;

	REQUIRE(xensim_domain_create(ctl, 1, "one") == 0);
	REQUIRE(xensim_domain_create(ctl, 2, "two") == 0);
	d1 = harness_xs_open(h, 1);
	d2 = harness_xs_open(h, 2);
	REQUIRE(d0 && d1 && d2);

	/* Relative paths are under the domain's home; the domain owns what it creates. */
	CHECK(xs_write(d2, XBT_NULL, "secret", "s2", 2));
	CHECK(read_is(d0, XBT_NULL, "/local/domain/2/secret", "s2"));
	struct xs_permissions *got = xs_get_permissions(d0, XBT_NULL, "/local/domain/2/secret", &n);
	CHECK(got && n >= 1 && got[0].id == 2);
	free(got);

	errno = 0;
	CHECK(xs_read(d1, XBT_NULL, "/local/domain/2/secret", NULL) == NULL && errno == EACCES);
	errno = 0;
	CHECK(!xs_write(d1, XBT_NULL, "/local/domain/2/secret", "x", 1) && errno == EACCES);
	errno = 0;
	CHECK(!xs_write(d1, XBT_NULL, "/local/domain/2/new", "x", 1) && errno == EACCES);
	errno = 0;
	CHECK(!xs_write(d1, XBT_NULL, "/toplevel", "x", 1) && errno == EACCES);

	/* The owner grants domain 1 read access. */
	p[0] = (struct xs_permissions){ .id = 2, .perms = XS_PERM_NONE };
	p[1] = (struct xs_permissions){ .id = 1, .perms = XS_PERM_READ };
	CHECK(xs_set_permissions(d2, XBT_NULL, "/local/domain/2/secret", p, 2));
	CHECK(read_is(d1, XBT_NULL, "/local/domain/2/secret", "s2"));
	errno = 0;
	CHECK(!xs_write(d1, XBT_NULL, "/local/domain/2/secret", "x", 1) && errno == EACCES);

	/* Domain 1 may not change the permissions of a node it does not own,
	 * and an unprivileged owner may not give its node away. */
	CHECK(!xs_set_permissions(d1, XBT_NULL, "/local/domain/2/secret", p, 2));
	p[0].id = 1;
	errno = 0;
	CHECK(!xs_set_permissions(d2, XBT_NULL, "/local/domain/2/secret", p, 2) && errno == EPERM);

	/* dom0 makes a directory writable by domain 1: nodes it creates there are its own. */
	CHECK(xs_mkdir(d0, XBT_NULL, "/backend/x"));
	p[0] = (struct xs_permissions){ .id = 0, .perms = XS_PERM_NONE };
	p[1] = (struct xs_permissions){ .id = 1, .perms = XS_PERM_READ | XS_PERM_WRITE };
	CHECK(xs_set_permissions(d0, XBT_NULL, "/backend/x", p, 2));
	CHECK(xs_write(d1, XBT_NULL, "/backend/x/state", "1", 1));
	got = xs_get_permissions(d0, XBT_NULL, "/backend/x/state", &n);
	CHECK(got && n == 2 && got[0].id == 1 && got[1].id == 1);
	free(got);
	errno = 0;
	CHECK(xs_read(d2, XBT_NULL, "/backend/x/state", NULL) == NULL && errno == EACCES);

	/* Malformed paths are rejected, not crashed on. */
	errno = 0;
	CHECK(!xs_write(d1, XBT_NULL, "/bad//path", "x", 1) && errno == EINVAL);
	errno = 0;
	CHECK(!xs_write(d1, XBT_NULL, "/bad path", "x", 1) && errno == EINVAL);

	char *dp = xs_get_domain_path(d1, 2);
	CHECK(dp && strcmp(dp, "/local/domain/2") == 0);
	free(dp);
	CHECK(xs_is_domain_introduced(d0, 2));
	CHECK(!xs_is_domain_introduced(d0, 77));
	xs_close(d0);
	xs_close(d1);
	xs_close(d2);
}

static void test_watches(struct sim_harness *h, struct xensim *ctl)
{
	struct xs_handle *a = harness_xs_open(h, 0), *b = harness_xs_open(h, 0);
	struct xs_handle *d1 = harness_xs_open(h, 1);
	char path[256], tok[64];

	REQUIRE(a && b && d1);
	CHECK(xs_watch(a, "/wt", "t1"));
	/* The initial event, even though /wt does not exist. */
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "/wt") == 0 && strcmp(tok, "t1") == 0);

	CHECK(xs_write(b, XBT_NULL, "/wt/a/b", "v", 1));
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "/wt/a/b") == 0);
	CHECK(!next_event(a, 100, path, sizeof(path), tok, sizeof(tok)));

	/* Removing a parent notifies watches below it with their own path. */
	CHECK(xs_watch(b, "/wt/a/b", "deep"));
	CHECK(next_event(b, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(xs_rm(a, XBT_NULL, "/wt/a"));
	CHECK(next_event(b, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "/wt/a/b") == 0 && strcmp(tok, "deep") == 0);
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "/wt/a") == 0);

	/* Events from a transaction arrive at commit. */
	xs_transaction_t t = xs_transaction_start(b);
	CHECK(xs_write(b, t, "/wt/tx", "1", 1));
	CHECK(!next_event(a, 100, path, sizeof(path), tok, sizeof(tok)));
	CHECK(xs_transaction_end(b, t, false));
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "/wt/tx") == 0);

	/* Unwatch stops events. */
	CHECK(xs_unwatch(a, "/wt", "t1"));
	CHECK(xs_write(b, XBT_NULL, "/wt/after", "1", 1));
	CHECK(!next_event(a, 100, path, sizeof(path), tok, sizeof(tok)));

	/* A relative watch reports relative paths; no events for unreadable nodes. */
	CHECK(xs_watch(d1, "dev", "rel"));
	CHECK(next_event(d1, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "dev") == 0);
	CHECK(xs_write(d1, XBT_NULL, "dev/k", "1", 1));
	CHECK(next_event(d1, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "dev/k") == 0);
	CHECK(xs_watch(d1, "/wt", "abs"));
	CHECK(next_event(d1, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(xs_write(b, XBT_NULL, "/wt/private", "1", 1));
	CHECK(!next_event(d1, 100, path, sizeof(path), tok, sizeof(tok)));

	/* Domain lifecycle watches. */
	CHECK(xs_watch(a, "@introduceDomain", "intro"));
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "@introduceDomain") == 0);
	CHECK(xs_watch(a, "@releaseDomain", "rel"));
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(xensim_domain_create(ctl, 5, "five") == 0);
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "@introduceDomain") == 0 && strcmp(tok, "intro") == 0);
	CHECK(read_is(b, XBT_NULL, "/local/domain/5/name", "five"));
	CHECK(xensim_domain_destroy(ctl, 5) == 0);
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "@releaseDomain") == 0 && strcmp(tok, "rel") == 0);
	CHECK(!xs_is_domain_introduced(b, 5));
	/* As with xenstored, the toolstack removes the home directory, not the store. */
	CHECK(read_is(b, XBT_NULL, "/local/domain/5/name", "five"));
	xs_close(a);
	xs_close(b);
	xs_close(d1);
}

int main(int argc, char **argv)
{
	struct sim_harness h;
	struct xensim *ctl;

	REQUIRE(argc == 2);
	harness_start(&h, argv[1]);
	ctl = xensim_connect(h.control, 0);
	REQUIRE(ctl != NULL);
	test_transactions(&h);
	test_permissions(&h, ctl);
	test_watches(&h, ctl);
	xensim_disconnect(ctl);
	harness_stop(&h);
	return harness_result("test-xenstore");
}
