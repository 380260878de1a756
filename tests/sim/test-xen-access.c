/* SPDX-License-Identifier: MIT */
/*
 * src/xen's xen-access.h "sim" implementation end to end, as the module
 * uses it, against a guest made with the simulator's client library; and
 * the xs-util helpers over the real libxenstore.
 */
#include <poll.h>
#include <xenstore.h>

#include "sim-harness.h"
#include "xen-access.h"
#include "xensim.h"
#include "xs-util.h"

static void test_xs_util(struct xsnd_xen *x)
{
	char buf[16];
	int v = 0;

	CHECK_EQ(xsnd_xs_write_int(x->xs, "/u/n", -42), 0);
	CHECK_EQ(xsnd_xs_read_int(x->xs, "/u/n", &v), 0);
	CHECK_EQ(v, -42);
	CHECK_EQ(xsnd_xs_read(x->xs, "/u/n", buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "-42") == 0);
	CHECK_EQ(xsnd_xs_read(x->xs, "/u/absent", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(xsnd_xs_write(x->xs, XBT_NULL, "/u/long", "12345678"), 0);
	CHECK_EQ(xsnd_xs_read(x->xs, "/u/long", buf, 8), -E2BIG);
	CHECK_EQ(xsnd_xs_read(x->xs, "/u/long", buf, 9), 8);
	CHECK(xs_write(x->xs, XBT_NULL, "/u/nul", "a\0b", 3));
	CHECK_EQ(xsnd_xs_read(x->xs, "/u/nul", buf, sizeof(buf)), -E2BIG);
	CHECK_EQ(xsnd_xs_write(x->xs, XBT_NULL, "/u/junk", "12x"), 0);
	CHECK_EQ(xsnd_xs_read_int(x->xs, "/u/junk", &v), -EINVAL);
	CHECK_EQ(xsnd_xs_write(x->xs, XBT_NULL, "/u/big", "99999999999"), 0);
	CHECK_EQ(xsnd_xs_read_int(x->xs, "/u/big", &v), -EINVAL);
	CHECK_EQ(xsnd_xs_read_int(x->xs, "/u/absent", &v), -ENOENT);

	const char *paths[2] = { "/u/m1", "/u/m2" }, *values[2] = { "one", "two" };
	CHECK_EQ(xsnd_xs_write_many(x->xs, paths, values, 2), 0);
	CHECK_EQ(xsnd_xs_read(x->xs, "/u/m2", buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "two") == 0);
}

int main(int argc, char **argv)
{
	struct sim_harness h;
	struct xensim *dom0, *guest;
	struct xsnd_xen *x;
	uint32_t refs[2];
	char *gp;

	REQUIRE(argc == 2);
	harness_start(&h, argv[1]);
	dom0 = xensim_connect(h.control, 0);
	REQUIRE(dom0 && xensim_domain_create(dom0, 3, "vm") == 0);
	guest = xensim_connect(h.control, 3);
	REQUIRE(guest != NULL);

	/* Unknown backend and unreachable simulator fail cleanly. */
	struct xsnd_xen_config bad = { .backend = "nope" };
	errno = 0;
	CHECK(xsnd_xen_open(&bad) == NULL && errno == EINVAL);
	struct xsnd_xen_config nosim = { .backend = "sim", .sim_socket = "/nonexistent/control" };
	CHECK(xsnd_xen_open(&nosim) == NULL);

	/* The module's own XENSTORED_PATH is left as it was. */
	setenv("XENSTORED_PATH", "/somewhere/else", 1);
	struct xsnd_xen_config cfg = { .backend = "sim", .sim_socket = h.control, .self_domid = 0 };
	x = xsnd_xen_open(&cfg);
	REQUIRE(x != NULL);
	CHECK(strcmp(getenv("XENSTORED_PATH"), "/somewhere/else") == 0);
	unsetenv("XENSTORED_PATH");
	CHECK(strcmp(x->name, "sim") == 0);
	CHECK(x->xs != NULL);

	/* xenstore through x->xs is the simulator's: the guest's name is there. */
	char *name = xs_read(x->xs, XBT_NULL, "/local/domain/3/name", NULL);
	CHECK(name && strcmp(name, "vm") == 0);
	free(name);
	test_xs_util(x);

	/* Grants. */
	REQUIRE(xensim_grant_pages(guest, 0, 2, false, refs, (void **)&gp) == 0);
	strcpy(gp + 4096, "guest data");
	char *m = xsnd_xen_map_grants(x, 3, 2, refs, true);
	REQUIRE(m != NULL);
	CHECK(strcmp(m + 4096, "guest data") == 0);
	strcpy(m, "backend data");
	CHECK(strcmp(gp, "backend data") == 0);
	CHECK_EQ(xsnd_xen_unmap_grants(x, m, 2), 0);
	uint32_t bogus = 999;
	CHECK(xsnd_xen_map_grants(x, 3, 1, &bogus, false) == NULL);

	/* Event channels. */
	int gport = xensim_evtchn_alloc_unbound(guest, 0);
	REQUIRE(gport > 0);
	int port = xsnd_xen_evtchn_bind(x, 3, (uint32_t)gport);
	REQUIRE(port > 0);
	struct pollfd pfd = { .fd = xsnd_xen_evtchn_fd(x), .events = POLLIN };
	CHECK_EQ(xsnd_xen_evtchn_pending(x), -EAGAIN);
	CHECK_EQ(xensim_evtchn_notify(guest, (uint32_t)gport), 0);
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	CHECK_EQ(xsnd_xen_evtchn_pending(x), port);
	CHECK_EQ(xsnd_xen_evtchn_unmask(x, (uint32_t)port), 0);
	CHECK_EQ(xsnd_xen_evtchn_notify(x, (uint32_t)port), 0);
	CHECK_EQ(xensim_evtchn_pending(guest), gport);
	CHECK_EQ(xsnd_xen_evtchn_unbind(x, (uint32_t)port), 0);
	CHECK(xsnd_xen_evtchn_notify(x, (uint32_t)port) < 0);

	xsnd_xen_close(x);

	/* The real implementation needs /dev/xen: here it must fail, not crash. */
	struct xsnd_xen_config real = { .backend = "xen" };
	struct xsnd_xen *rx = xsnd_xen_open(&real);
	if (rx != NULL) {
		printf("note: real Xen interfaces are available on this host\n");
		xsnd_xen_close(rx);
	}

	xensim_disconnect(guest);
	xensim_disconnect(dom0);
	harness_stop(&h);
	return harness_result("test-xen-access");
}
