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

/* Perms of /local/domain/D<sub>: owner with no default, plus read for `reader` if not 0. */
static bool home_perms_are(struct xs_handle *xs, unsigned d, const char *sub, unsigned owner,
		unsigned reader)
{
	char path[64];
	unsigned int n;
	struct xs_permissions *p;
	bool ok;

	snprintf(path, sizeof(path), "/local/domain/%u%s", d, sub);
	p = xs_get_permissions(xs, XBT_NULL, path, &n);
	ok = p && n == (reader ? 2u : 1u) && p[0].id == owner && p[0].perms == XS_PERM_NONE &&
		(!reader || (p[1].id == reader && p[1].perms == XS_PERM_READ));
	if (!ok)
		fprintf(stderr, "perms of %s not as libxl makes them\n", path);
	free(p);
	return ok;
}

static bool write_refused(struct xs_handle *xs, const char *path)
{
	errno = 0;
	return !xs_write(xs, XBT_NULL, path, "x", 1) && errno == EACCES;
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

	/* The home as libxl__domain_make leaves it: dom0's, read for the guest;
	 * name and domid the same; data, control/shutdown etc. the guest's own. */
	static const char *const ro_nodes[] = { "", "/name", "/domid", "/device", "/control",
		"/device/suspend" };
	for (size_t i = 0; i < sizeof(ro_nodes) / sizeof(ro_nodes[0]); i++)
		CHECK(home_perms_are(d0, 2, ro_nodes[i], 0, 2));
	static const char *const rw_nodes[] = { "/data", "/drivers", "/feature", "/attr",
		"/error", "/control/shutdown", "/control/feature-poweroff",
		"/control/feature-reboot", "/control/feature-suspend", "/control/sysrq",
		"/device/suspend/event-channel" };
	for (size_t i = 0; i < sizeof(rw_nodes) / sizeof(rw_nodes[0]); i++)
		CHECK(home_perms_are(d0, 2, rw_nodes[i], 2, 0));
	CHECK(read_is(d2, XBT_NULL, "name", "two"));
	CHECK(write_refused(d2, "secret"));
	CHECK(write_refused(d2, "name"));
	CHECK(write_refused(d2, "control/new"));
	CHECK(xs_write(d2, XBT_NULL, "control/shutdown", "", 0));
	errno = 0;
	CHECK(xs_read(d1, XBT_NULL, "/local/domain/2/name", NULL) == NULL && errno == EACCES);

	/* Relative paths are under the domain's home; the domain owns what it creates. */
	CHECK(xs_write(d2, XBT_NULL, "data/secret", "s2", 2));
	CHECK(read_is(d0, XBT_NULL, "/local/domain/2/data/secret", "s2"));
	struct xs_permissions *got = xs_get_permissions(d0, XBT_NULL, "/local/domain/2/data/secret",
			&n);
	CHECK(got && n >= 1 && got[0].id == 2);
	free(got);

	errno = 0;
	CHECK(xs_read(d1, XBT_NULL, "/local/domain/2/data/secret", NULL) == NULL && errno == EACCES);
	CHECK(write_refused(d1, "/local/domain/2/data/secret"));
	CHECK(write_refused(d1, "/local/domain/2/new"));
	CHECK(write_refused(d1, "/toplevel"));

	/* The owner grants domain 1 read access. */
	p[0] = (struct xs_permissions){ .id = 2, .perms = XS_PERM_NONE };
	p[1] = (struct xs_permissions){ .id = 1, .perms = XS_PERM_READ };
	CHECK(xs_set_permissions(d2, XBT_NULL, "/local/domain/2/data/secret", p, 2));
	CHECK(read_is(d1, XBT_NULL, "/local/domain/2/data/secret", "s2"));
	CHECK(write_refused(d1, "/local/domain/2/data/secret"));

	/* Domain 1 may not change the permissions of a node it does not own,
	 * and an unprivileged owner may not give its node away. */
	CHECK(!xs_set_permissions(d1, XBT_NULL, "/local/domain/2/data/secret", p, 2));
	p[0].id = 1;
	errno = 0;
	CHECK(!xs_set_permissions(d2, XBT_NULL, "/local/domain/2/data/secret", p, 2) && errno == EPERM);

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
	CHECK(xs_watch(d1, "data/dev", "rel"));
	CHECK(next_event(d1, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "data/dev") == 0);
	CHECK(xs_write(d1, XBT_NULL, "data/dev/k", "1", 1));
	CHECK(next_event(d1, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "data/dev/k") == 0);
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

	/* The same over the wire, as xl does it with libxenstore. */
	CHECK(xs_introduce_domain(b, 6, 0xfeffc, 1));
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "@introduceDomain") == 0 && strcmp(tok, "intro") == 0);
	CHECK(xs_is_domain_introduced(b, 6));
	CHECK(xs_release_domain(b, 6));
	CHECK(next_event(a, 2000, path, sizeof(path), tok, sizeof(tok)));
	CHECK(strcmp(path, "@releaseDomain") == 0 && strcmp(tok, "rel") == 0);
	CHECK(!xs_is_domain_introduced(b, 6));
	/* xenstored's find_connected_domain: ENOENT for a domain it does not know. */
	errno = 0;
	CHECK(!xs_release_domain(b, 6) && errno == ENOENT);
	errno = 0;
	CHECK(!xs_release_domain(b, 77) && errno == ENOENT);
	/* Port 0 is refused, as xenstored does; and only dom0 may introduce. */
	errno = 0;
	CHECK(!xs_introduce_domain(b, 8, 0xfeffc, 0) && errno == EINVAL);
	errno = 0;
	CHECK(!xs_introduce_domain(d1, 8, 0xfeffc, 1) && errno == EACCES);
	CHECK(!xs_is_domain_introduced(b, 8));
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
