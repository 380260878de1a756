/* SPDX-License-Identifier: MIT */
/*
 * Event channels between a guest (domain 1) and dom0: notify both ways,
 * coalescing, masking until unmask, close, domain destroy.
 */
#include <poll.h>
#include <time.h>

#include "sim-harness.h"
#include "xensim.h"

static bool readable(struct xensim *s, int timeout_ms)
{
	struct pollfd pfd = { .fd = xensim_evtchn_fd(s), .events = POLLIN };
	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

int main(int argc, char **argv)
{
	struct sim_harness h;
	struct xensim *dom0, *guest;
	int gport, bport;

	REQUIRE(argc == 2);
	harness_start(&h, argv[1]);
	dom0 = xensim_connect(h.control, 0);
	REQUIRE(dom0 != NULL);
	REQUIRE(xensim_domain_create(dom0, 1, "guest") == 0);
	guest = xensim_connect(h.control, 1);
	REQUIRE(guest != NULL);

	gport = xensim_evtchn_alloc_unbound(guest, 0);
	CHECK(gport > 0);
	CHECK(xensim_evtchn_alloc_unbound(guest, 42) < 0);	/* no such domain */
	/* Binding needs the port to be offered to us. */
	int p2 = xensim_evtchn_alloc_unbound(guest, 1);
	CHECK(p2 > 0);
	CHECK_EQ(xensim_evtchn_bind_interdomain(dom0, 1, (uint32_t)p2), -EINVAL);
	CHECK_EQ(xensim_evtchn_bind_interdomain(dom0, 1, 999), -EINVAL);
	CHECK_EQ(xensim_evtchn_bind_interdomain(dom0, 1, 5000), -EINVAL);
	bport = xensim_evtchn_bind_interdomain(dom0, 1, (uint32_t)gport);
	REQUIRE(bport > 0);
	CHECK_EQ(xensim_evtchn_bind_interdomain(dom0, 1, (uint32_t)gport), -EINVAL);

	CHECK_EQ(xensim_evtchn_pending(dom0), -EAGAIN);
	CHECK(!readable(dom0, 0));

	/* guest -> backend */
	CHECK_EQ(xensim_evtchn_notify(guest, (uint32_t)gport), 0);
	CHECK(readable(dom0, 1000));
	CHECK_EQ(xensim_evtchn_pending(dom0), bport);
	CHECK_EQ(xensim_evtchn_pending(dom0), -EAGAIN);
	CHECK_EQ(xensim_evtchn_unmask(dom0, (uint32_t)bport), 0);

	/* backend -> guest */
	CHECK_EQ(xensim_evtchn_notify(dom0, (uint32_t)bport), 0);
	CHECK(readable(guest, 1000));
	CHECK_EQ(xensim_evtchn_pending(guest), gport);
	CHECK_EQ(xensim_evtchn_unmask(guest, (uint32_t)gport), 0);

	/* Coalescing: three notifications before the receiver looks = one delivery. */
	for (int i = 0; i < 3; i++)
		CHECK_EQ(xensim_evtchn_notify(guest, (uint32_t)gport), 0);
	CHECK_EQ(xensim_evtchn_pending(dom0), bport);
	CHECK_EQ(xensim_evtchn_pending(dom0), -EAGAIN);

	/* Masked (delivered, not unmasked): a new notification waits for unmask. */
	CHECK_EQ(xensim_evtchn_notify(guest, (uint32_t)gport), 0);
	CHECK(!readable(dom0, 50));
	CHECK_EQ(xensim_evtchn_pending(dom0), -EAGAIN);
	CHECK_EQ(xensim_evtchn_unmask(dom0, (uint32_t)bport), 0);
	CHECK(readable(dom0, 1000));
	CHECK_EQ(xensim_evtchn_pending(dom0), bport);
	CHECK_EQ(xensim_evtchn_unmask(dom0, (uint32_t)bport), 0);
	/* Unmask without a pending notification delivers nothing. */
	CHECK(!readable(dom0, 50));

	/* Bad ports. */
	CHECK_EQ(xensim_evtchn_notify(dom0, 0), -EINVAL);
	CHECK_EQ(xensim_evtchn_notify(dom0, 77), -EINVAL);
	CHECK_EQ(xensim_evtchn_notify(dom0, 100000), -EINVAL);
	CHECK_EQ(xensim_evtchn_unmask(dom0, 77), -EINVAL);

	/* Notify cost: one write(), no daemon round trip. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 10000; i++)
		xensim_evtchn_notify(dom0, (uint32_t)bport);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e4 / 1e3;
	printf("notify: %.2f us each\n", us);
	CHECK(us < 50.0);
	CHECK_EQ(xensim_evtchn_pending(guest), gport);
	CHECK_EQ(xensim_evtchn_unmask(guest, (uint32_t)gport), 0);

	/* Close one end: the other end's notifications go nowhere. */
	CHECK_EQ(xensim_evtchn_close(dom0, (uint32_t)bport), 0);
	CHECK_EQ(xensim_evtchn_close(dom0, (uint32_t)bport), -EINVAL);
	CHECK_EQ(xensim_evtchn_notify(guest, (uint32_t)gport), 0);
	CHECK(!readable(dom0, 50));
	CHECK_EQ(xensim_evtchn_pending(dom0), -EAGAIN);
	/* The guest's port is unbound again: dom0 can bind it anew and it works. */
	bport = xensim_evtchn_bind_interdomain(dom0, 1, (uint32_t)gport);
	CHECK(bport > 0);
	CHECK_EQ(xensim_evtchn_notify(dom0, (uint32_t)bport), 0);
	CHECK(readable(guest, 1000));
	CHECK_EQ(xensim_evtchn_pending(guest), gport);
	CHECK_EQ(xensim_evtchn_unmask(guest, (uint32_t)gport), 0);
	CHECK_EQ(xensim_evtchn_notify(guest, (uint32_t)gport), 0);
	CHECK(readable(dom0, 1000));
	CHECK_EQ(xensim_evtchn_pending(dom0), bport);
	CHECK_EQ(xensim_evtchn_unmask(dom0, (uint32_t)bport), 0);

	/* Destroying the guest: dom0's port stays open (Xen leaves it unbound)
	 * and a send on it is silently dropped: EVTCHNOP_send returns 0. */
	int p3 = xensim_evtchn_alloc_unbound(guest, 0);
	CHECK(p3 > 0);
	CHECK_EQ(xensim_domain_destroy(dom0, 1), 0);
	CHECK_EQ(xensim_evtchn_notify(dom0, (uint32_t)bport), 0);
	CHECK_EQ(xensim_evtchn_unmask(dom0, (uint32_t)bport), 0);
	CHECK(!readable(dom0, 50));
	CHECK_EQ(xensim_evtchn_pending(dom0), -EAGAIN);
	/* EVTCHNOP_bind_interdomain to a domain that no longer exists: ESRCH,
	 * for its old bound port and for one it had offered us. */
	CHECK_EQ(xensim_evtchn_bind_interdomain(dom0, 1, (uint32_t)gport), -ESRCH);
	CHECK_EQ(xensim_evtchn_bind_interdomain(dom0, 1, (uint32_t)p3), -ESRCH);
	CHECK_EQ(xensim_evtchn_alloc_unbound(dom0, 1), -ESRCH);
	CHECK_EQ(xensim_evtchn_close(dom0, (uint32_t)bport), 0);
	CHECK_EQ(xensim_evtchn_notify(dom0, (uint32_t)bport), -EINVAL);

	xensim_disconnect(guest);
	xensim_disconnect(dom0);
	harness_stop(&h);
	return harness_result("test-evtchn");
}
