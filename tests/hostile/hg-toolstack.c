/* SPDX-License-Identifier: MIT */
/*
 * The toolstack's part (dom0): create the domain and the vsnd device nodes
 * the way libxl does, wait for the backend, destroy. The frontend keys
 * themselves are the hostile part and come from the scenarios.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hg.h"
#include "xensim.h"

int64_t hg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hg_check(struct hg_guest *g, bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", cond ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		g->failures++;
}

void hg_die(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: setup: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(2);
}

static struct xs_handle *xs_open_as(const char *control, uint32_t domid)
{
	char path[HG_PATH_MAX];

	if (xensim_xenstore_path(control, domid, path, sizeof(path)) < 0)
		return NULL;
	setenv("XENSTORED_PATH", path, 1);	/* read at each xs_open */
	return xs_open(0);
}

int hg_toolstack_open(struct hg_guest *g)
{
	g->sim0 = xensim_connect(g->control, 0);
	if (g->sim0 == NULL)
		return -errno;
	g->xs0 = xs_open_as(g->control, 0);
	if (g->xs0 == NULL)
		return -errno;
	snprintf(g->fe, sizeof(g->fe), "/local/domain/%u/device/vsnd/0", g->domid);
	snprintf(g->be, sizeof(g->be), "/local/domain/0/backend/vsnd/%u/0", g->domid);
	return 0;
}

int hg_read_int(struct xs_handle *xs, const char *path, int def)
{
	unsigned int len;
	char *v = xs_read(xs, XBT_NULL, path, &len), *end;
	long x;

	if (v == NULL)
		return def;
	x = strtol(v, &end, 10);
	if (end == v || *end)
		x = def;
	free(v);
	return (int)x;
}

static bool wr(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
		const char *val)
{
	char p[2 * HG_PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, key);
	return xs_write(xs, t, p, val, (unsigned int)strlen(val));
}

bool hg_fe_write(struct hg_guest *g, const char *key, const char *value)
{
	return wr(g->xs, XBT_NULL, g->fe, key, value);
}

int hg_domain_create(struct hg_guest *g, const struct hg_kv *cfg, uint32_t n_cfg,
		const char *frontend)
{
	struct xs_permissions fe_perms[2] = {
		{ .id = g->domid, .perms = XS_PERM_NONE },
		{ .id = 0, .perms = XS_PERM_READ },
	};
	struct xs_permissions be_perms[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = g->domid, .perms = XS_PERM_READ },
	};
	char id[16];
	int res;

	if ((res = xensim_domain_create(g->sim0, g->domid, g->name)) < 0)
		return res;
	snprintf(id, sizeof(id), "%u", g->domid);
	for (int attempt = 0; attempt < 20; attempt++) {
		xs_transaction_t t = xs_transaction_start(g->xs0);
		bool ok;

		if (t == XBT_NULL)
			return -errno;
		ok = xs_mkdir(g->xs0, t, g->fe) && xs_set_permissions(g->xs0, t, g->fe, fe_perms, 2) &&
			xs_mkdir(g->xs0, t, g->be) && xs_set_permissions(g->xs0, t, g->be, be_perms, 2) &&
			wr(g->xs0, t, g->be, "frontend", frontend ? frontend : g->fe) &&
			wr(g->xs0, t, g->be, "frontend-id", id) &&
			wr(g->xs0, t, g->be, "online", "1") &&
			wr(g->xs0, t, g->be, "state", "1") &&
			wr(g->xs0, t, g->fe, "backend", g->be) &&
			wr(g->xs0, t, g->fe, "backend-id", "0") &&
			wr(g->xs0, t, g->fe, "state", "1");
		/* libxl writes the card configuration into the guest's directory */
		for (uint32_t i = 0; ok && i < n_cfg; i++) {
			ok = wr(g->xs0, t, g->fe, cfg[i].key, cfg[i].value);
			if (!ok)
				printf("note: writing %s/%s (%zu bytes) failed: %s\n", g->fe,
						cfg[i].key, strlen(cfg[i].value), strerror(errno));
		}
		if (!ok) {
			res = -errno;
			xs_transaction_end(g->xs0, t, true);
			return res;
		}
		if (xs_transaction_end(g->xs0, t, false))
			break;
		if (errno != EAGAIN)
			return -errno;
	}
	/* the guest's own connections */
	g->sim = xensim_connect(g->control, g->domid);
	if (g->sim == NULL)
		return -errno;
	g->xs = xs_open_as(g->control, g->domid);
	if (g->xs == NULL)
		return -errno;
	return 0;
}

int hg_wait_be_state(struct hg_guest *g, int want, int timeout_ms)
{
	char p[HG_PATH_MAX + 8];
	int64_t end = hg_now_ms() + timeout_ms;
	int st;

	snprintf(p, sizeof(p), "%s/state", g->be);
	for (;;) {
		st = hg_read_int(g->xs0, p, -1);
		if (st == want || hg_now_ms() >= end)
			return st;
		hg_events_poll(g);
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

void hg_domain_destroy(struct hg_guest *g, bool remove_nodes)
{
	char p[64];

	xensim_domain_destroy(g->sim0, g->domid);
	if (!remove_nodes)
		return;
	xs_rm(g->xs0, XBT_NULL, g->fe);
	xs_rm(g->xs0, XBT_NULL, g->be);
	snprintf(p, sizeof(p), "/local/domain/0/backend/vsnd/%u", g->domid);
	xs_rm(g->xs0, XBT_NULL, p);
	snprintf(p, sizeof(p), "/local/domain/%u", g->domid);
	xs_rm(g->xs0, XBT_NULL, p);
}
