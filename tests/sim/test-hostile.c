/* SPDX-License-Identifier: MIT */
/*
 * Hostile input: a guest speaking raw xenstored wire protocol and raw
 * control messages. Every bad message gets an error (or the connection is
 * dropped), every limit holds, and the simulator keeps serving others.
 */
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenstore.h>

#include "sim-harness.h"
#include "sim-proto.h"
#include "xensim.h"

static int unix_connect(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	REQUIRE(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends one xenstore message; returns the reply type (skipping watch events)
 * and the payload in out, or -1 if the connection was closed. */
static int xs_call(int fd, uint32_t type, uint32_t tx, const void *body, uint32_t len,
		char *out, size_t out_size)
{
	struct xsd_sockmsg h = { type, 77, tx, len };
	if (send(fd, &h, sizeof(h), MSG_NOSIGNAL) != sizeof(h) ||
	    (len && send(fd, body, len, MSG_NOSIGNAL) != (ssize_t)len))
		return -1;
	for (;;) {
		if (recv(fd, &h, sizeof(h), MSG_WAITALL) != sizeof(h))
			return -1;
		char buf[XENSTORE_PAYLOAD_MAX];
		if (h.len > sizeof(buf) || (h.len && recv(fd, buf, h.len, MSG_WAITALL) != (ssize_t)h.len))
			return -1;
		if (h.type == XS_WATCH_EVENT)
			continue;
		size_t n = h.len < out_size - 1 ? h.len : out_size - 1;
		memcpy(out, buf, n);
		out[n] = '\0';
		return (int)h.type;
	}
}

static bool is_error(int type, const char *out, const char *name)
{
	return type == XS_ERROR && strcmp(out, name) == 0;
}

static void test_xenstore_wire(struct sim_harness *h)
{
	char out[XENSTORE_PAYLOAD_MAX + 1];
	char body[XENSTORE_PAYLOAD_MAX];
	int fd = unix_connect(harness_xs_path(h, 1), SOCK_STREAM);
	int t;

	/* No NUL terminator, unknown type, empty path, bad perms. */
	t = xs_call(fd, XS_READ, 0, "/abc", 4, out, sizeof(out));
	CHECK(is_error(t, out, "EINVAL"));
	t = xs_call(fd, 999, 0, "x", 2, out, sizeof(out));
	CHECK(is_error(t, out, "EINVAL"));
	t = xs_call(fd, XS_READ, 0, "", 1, out, sizeof(out));
	CHECK(is_error(t, out, "EINVAL"));
	t = xs_call(fd, XS_WRITE, 0, "k", 1, out, sizeof(out));
	CHECK(is_error(t, out, "EINVAL"));
	t = xs_call(fd, XS_SET_PERMS, 0, "name\0x5\0", 8, out, sizeof(out));
	CHECK(is_error(t, out, "EINVAL"));
	t = xs_call(fd, XS_SET_PERMS, 0, "name\0", 5, out, sizeof(out));
	CHECK(is_error(t, out, "EINVAL"));
	t = xs_call(fd, XS_SET_PERMS, 0, "name\0b99999999999\0", 19, out, sizeof(out));
	CHECK(is_error(t, out, "EINVAL"));
	t = xs_call(fd, XS_INTRODUCE, 0, "9\0" "1\0" "1\0", 6, out, sizeof(out));
	CHECK(is_error(t, out, "EACCES"));
	t = xs_call(fd, XS_RELEASE, 0, "0\0", 2, out, sizeof(out));
	CHECK(is_error(t, out, "EACCES"));
	t = xs_call(fd, XS_GET_DOMAIN_PATH, 0, "99999999\0", 9, out, sizeof(out));
	CHECK(is_error(t, out, "EINVAL"));
	t = xs_call(fd, XS_RM, 0, "/\0", 2, out, sizeof(out));
	CHECK(t == XS_ERROR);
	t = xs_call(fd, XS_TRANSACTION_END, 5, "T\0", 2, out, sizeof(out));
	CHECK(is_error(t, out, "ENOENT"));

	/* Quotas: value size, node count, watches, transactions. */
	memset(body, 'v', sizeof(body));
	memcpy(body, "big\0", 4);
	t = xs_call(fd, XS_WRITE, 0, body, 4 + 3000, out, sizeof(out));
	CHECK(is_error(t, out, "ENOSPC"));
	/* One write may not create more nodes than the quota allows, and a
	 * refused write leaves nothing behind. */
	/* data/ is where libxl lets a guest write in its home. */
	size_t pos = 5;
	memcpy(body, "data/", 5);
	for (int i = 0; i < 1020; i++) {
		memcpy(body + pos, "x/", 2);
		pos += 2;
	}
	body[pos - 1] = '\0';
	t = xs_call(fd, XS_WRITE, 0, body, (uint32_t)pos, out, sizeof(out));
	CHECK(is_error(t, out, "ENOSPC"));
	t = xs_call(fd, XS_READ, 0, "data/x", 7, out, sizeof(out));
	CHECK(is_error(t, out, "ENOENT"));
	int ok = 0;
	for (int i = 0; i < 1100; i++) {
		int n = snprintf(body, sizeof(body), "data/n/%d", i) + 1;
		t = xs_call(fd, XS_WRITE, 0, body, (uint32_t)n, out, sizeof(out));
		if (t != XS_WRITE) {
			CHECK(is_error(t, out, "ENOSPC"));
			break;
		}
		ok++;
	}
	CHECK(ok > 900 && ok < 1000);
	int w = 0;
	for (int i = 0; i < 200; i++) {
		int n = snprintf(body, sizeof(body), "name%ctok%d", 0, i) + 1;
		t = xs_call(fd, XS_WATCH, 0, body, (uint32_t)n, out, sizeof(out));
		if (t != XS_WATCH) {
			CHECK(is_error(t, out, "E2BIG"));
			break;
		}
		w++;
	}
	CHECK_EQ(w, 128);
	int tx = 0;
	for (int i = 0; i < 20; i++) {
		t = xs_call(fd, XS_TRANSACTION_START, 0, "", 1, out, sizeof(out));
		if (t != XS_TRANSACTION_START) {
			CHECK(is_error(t, out, "ENOSPC"));
			break;
		}
		tx++;
	}
	CHECK_EQ(tx, 10);

	/* An oversized message closes the connection. */
	struct xsd_sockmsg big = { XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
	CHECK(send(fd, &big, sizeof(big), MSG_NOSIGNAL) == sizeof(big));
	char c;
	CHECK(recv(fd, &c, 1, 0) == 0);
	close(fd);

	/* Garbage: pseudo-random messages, then the daemon still answers. */
	fd = unix_connect(harness_xs_path(h, 1), SOCK_STREAM);
	uint32_t seed = 12345;
	for (int i = 0; i < 300; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t len = (seed >> 8) % 64, type = (seed >> 20) % (XS_TYPE_COUNT + 2);
		for (uint32_t k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			body[k] = "ab/\0@-_1"[(seed >> 16) % 8];
		}
		if (type == XS_WATCH_EVENT || type == XS_ERROR)
			type = XS_READ;
		t = xs_call(fd, type, 0, body, len, out, sizeof(out));
		if (t < 0) {
			close(fd);
			fd = unix_connect(harness_xs_path(h, 1), SOCK_STREAM);
		}
	}
	close(fd);

	/* The guest never escaped its permissions. */
	struct xs_handle *d0 = harness_xs_open(h, 0);
	REQUIRE(d0 != NULL);
	unsigned int n;
	char **top = xs_directory(d0, XBT_NULL, "/", &n);
	CHECK(top && n == 1 && strcmp(top[0], "local") == 0);
	free(top);
	char *name = xs_read(d0, XBT_NULL, "/local/domain/0/name", NULL);
	CHECK(name && strcmp(name, "Domain-0") == 0);
	free(name);

	/* Listings longer than one message go through XS_DIRECTORY_PART. */
	for (int i = 0; i < 600; i++) {
		snprintf(body, sizeof(body), "/many/child-number-%04d", i);
		CHECK(xs_write(d0, XBT_NULL, body, "", 0));
	}
	char **list = xs_directory(d0, XBT_NULL, "/many", &n);
	CHECK(list != NULL);
	CHECK_EQ(n, 600);
	free(list);
	xs_close(d0);
}

static int ctl_call(int fd, uint32_t op, const void *body, uint32_t len, uint32_t claimed_len)
{
	char buf[sizeof(struct sim_req) + SIM_MSG_MAX];
	struct sim_req req = { op, claimed_len };
	struct sim_reply rep;
	memcpy(buf, &req, sizeof(req));
	memcpy(buf + sizeof(req), body, len);
	if (send(fd, buf, sizeof(req) + len, MSG_NOSIGNAL) < 0)
		return INT32_MIN;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(rep))
		return INT32_MIN;
	memcpy(&rep, buf, sizeof(rep));
	return rep.status;
}

static void test_control(struct sim_harness *h)
{
	uint32_t v[4] = { 1, 0, 0, 0 };
	int fd = unix_connect(h->control, SOCK_SEQPACKET);

	CHECK_EQ(ctl_call(fd, SIM_OP_MAP, v, 12, 12), -EPERM);	/* before hello */
	CHECK_EQ(ctl_call(fd, SIM_OP_HELLO, v, 4, 4), 0);
	CHECK_EQ(ctl_call(fd, SIM_OP_HELLO, v, 4, 4), -EINVAL);
	CHECK_EQ(ctl_call(fd, 4242, v, 4, 4), -ENOSYS);
	v[0] = 0; v[1] = 5000; v[2] = 1;
	CHECK_EQ(ctl_call(fd, SIM_OP_MAP, v, 12, 12), -EINVAL);
	CHECK_EQ(ctl_call(fd, SIM_OP_GRANT, v, 12, 12), -EINVAL);	/* no fd */
	CHECK_EQ(ctl_call(fd, SIM_OP_GRANT_END, v, 4, 4), -ENOENT);
	CHECK_EQ(ctl_call(fd, SIM_OP_EVTCHN_CLOSE, v, 4, 4), -EINVAL);
	CHECK_EQ(ctl_call(fd, SIM_OP_DOMAIN_CREATE, v, 4, 4), -EPERM);	/* not dom0 */
	/* A length field that lies drops the client. */
	CHECK_EQ(ctl_call(fd, SIM_OP_GRANT_END, v, 4, 400), INT32_MIN);
	close(fd);

	/* Ports of a client that goes away are freed. */
	struct xensim *g = xensim_connect(h->control, 1);
	REQUIRE(g != NULL);
	int n = 0;
	while (xensim_evtchn_alloc_unbound(g, 0) > 0)
		n++;
	CHECK_EQ(n, 1023);
	xensim_disconnect(g);
	g = xensim_connect(h->control, 1);
	REQUIRE(g != NULL);
	usleep(100000);	/* the daemon handles the old client's hang-up first */
	CHECK(xensim_evtchn_alloc_unbound(g, 0) > 0);
	xensim_disconnect(g);
}

int main(int argc, char **argv)
{
	struct sim_harness h;
	struct xensim *dom0;

	REQUIRE(argc == 2);
	harness_start(&h, argv[1]);
	dom0 = xensim_connect(h.control, 0);
	REQUIRE(dom0 && xensim_domain_create(dom0, 1, "hostile") == 0);
	test_xenstore_wire(&h);
	test_control(&h);
	/* Still alive and well. */
	CHECK_EQ(xensim_domain_create(dom0, 2, "after"), 0);
	xensim_disconnect(dom0);
	harness_stop(&h);
	return harness_result("test-hostile");
}
