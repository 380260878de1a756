/* SPDX-License-Identifier: MIT */
/*
 * The toolstack's part (xl/libxl as domain 0): creating a domain with its
 * vsnd devices (libxl__device_generic_add + libxl_vsnd.c, one transaction),
 * waiting for the backend, detaching and destroying.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <xenstore.h>

#include "vg.h"
#include "xensim.h"

struct xs_handle *vg_xs_open(const char *control, uint32_t domid)
{
	char path[VG_PATH_MAX];

	if (xensim_xenstore_path(control, domid, path, sizeof(path)) < 0)
		return NULL;
	/* libxenstore reads XENSTORED_PATH at each xs_open. */
	setenv("XENSTORED_PATH", path, 1);
	return xs_open(0);
}

char *vg_xs_read(struct xs_handle *xs, const char *path)
{
	unsigned int len;

	return xs_read(xs, XBT_NULL, path, &len);
}

int vg_xs_read_int(struct xs_handle *xs, const char *path, int def)
{
	char *v = vg_xs_read(xs, path), *end;
	long x;

	if (v == NULL)
		return def;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || x < 0 || x > 0x7fffffff)
		x = def;
	free(v);
	return (int)x;
}

static bool watch_fired(void *data)
{
	struct vg_ctx *ctx = data;

	return ctx->ts_watch_fired;
}

/* libxl__ev_devstate_wait: 0 when state reaches `wanted`, -ETIMEDOUT otherwise. */
static int wait_state(struct vg_ctx *ctx, struct vg_co *co, const char *state_path, int wanted,
		int64_t timeout_ms)
{
	int64_t deadline = vg_now_ns() + timeout_ms * 1000000;
	int res = -ETIMEDOUT;

	if (!xs_watch(ctx->xs0, state_path, "ts"))
		return -errno;
	for (;;) {
		ctx->ts_watch_fired = false;
		if (vg_xs_read_int(ctx->xs0, state_path, -1) == wanted) {
			res = 0;
			break;
		}
		if (vg_co_wait(co, watch_fired, ctx, deadline) < 0)
			break;
	}
	xs_unwatch(ctx->xs0, state_path, "ts");
	return res;
}

static void paths(struct vg_guest *g, uint32_t devid, uint32_t be, char *fe, char *bep, char *lp)
{
	snprintf(fe, VG_PATH_MAX, "/local/domain/%u/device/vsnd/%u", g->domid, devid);
	snprintf(bep, VG_PATH_MAX, "/local/domain/%u/backend/vsnd/%u/%u", be, g->domid, devid);
	snprintf(lp, VG_PATH_MAX, "/libxl/%u/device/vsnd/%u", g->domid, devid);
}

static bool wr(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static bool wr(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
		const char *fmt, ...)
{
	char p[VG_PATH_MAX + VG_SPEC_KEY_MAX + 2], v[VG_SPEC_VALUE_MAX];
	va_list ap;

	snprintf(p, sizeof(p), "%s/%s", dir, key);
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	return xs_write(xs, t, p, v, strlen(v));
}

static int device_add(struct vg_ctx *ctx, struct vg_guest *g, uint32_t devid)
{
	const struct vg_vsnd_spec *spec = &g->cards[devid].spec;
	uint32_t be = spec->backend_domid;
	char fe[VG_PATH_MAX], bep[VG_PATH_MAX], lp[VG_PATH_MAX];
	struct xs_permissions fe_perms[2] = {
		{ .id = g->domid, .perms = XS_PERM_NONE },
		{ .id = be, .perms = XS_PERM_READ },
	};
	struct xs_permissions be_perms[2] = {
		{ .id = be, .perms = XS_PERM_NONE },
		{ .id = g->domid, .perms = XS_PERM_READ },
	};

	paths(g, devid, be, fe, bep, lp);
	for (int attempt = 0; attempt < 100; attempt++) {
		xs_transaction_t t = xs_transaction_start(ctx->xs0);
		bool ok;

		if (t == XBT_NULL)
			return -errno;
		xs_rm(ctx->xs0, t, fe);
		xs_rm(ctx->xs0, t, bep);
		xs_rm(ctx->xs0, t, lp);
		ok = xs_mkdir(ctx->xs0, t, fe) && xs_set_permissions(ctx->xs0, t, fe, fe_perms, 2) &&
			xs_mkdir(ctx->xs0, t, bep) && xs_set_permissions(ctx->xs0, t, bep, be_perms, 2) &&
			wr(ctx->xs0, t, bep, "frontend", "%s", fe) &&
			wr(ctx->xs0, t, bep, "frontend-id", "%u", g->domid) &&
			wr(ctx->xs0, t, bep, "online", "1") &&
			wr(ctx->xs0, t, bep, "state", "%d", XenbusStateInitialising) &&
			wr(ctx->xs0, t, fe, "backend", "%s", bep) &&
			wr(ctx->xs0, t, fe, "backend-id", "%u", be) &&
			wr(ctx->xs0, t, fe, "state", "%d", XenbusStateInitialising) &&
			wr(ctx->xs0, t, lp, "frontend", "%s", fe) &&
			wr(ctx->xs0, t, lp, "backend", "%s", bep) &&
			wr(ctx->xs0, t, lp, "frontend-id", "%u", g->domid) &&
			wr(ctx->xs0, t, lp, "online", "1") &&
			wr(ctx->xs0, t, lp, "state", "%d", XenbusStateInitialising);
		for (uint32_t i = 0; ok && i < spec->n_keys; i++)
			ok = wr(ctx->xs0, t, fe, spec->keys[i].key, "%s", spec->keys[i].value);
		if (!ok) {
			int e = errno;
			xs_transaction_end(ctx->xs0, t, true);
			vg_err("libxl: error: libxl_device.c: libxl__device_generic_add: Domain %u:"
					"writing %s: %s", g->domid, fe, strerror(e));
			return -e;
		}
		if (xs_transaction_end(ctx->xs0, t, false))
			return 0;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

/* libxl__device_destroy: remove the nodes (and an empty backend parent). */
static void device_destroy(struct vg_ctx *ctx, struct vg_guest *g, uint32_t devid)
{
	uint32_t be = g->cards[devid].spec.backend_domid;
	char fe[VG_PATH_MAX], bep[VG_PATH_MAX], lp[VG_PATH_MAX], parent[VG_PATH_MAX];
	unsigned int n;
	char **d;

	paths(g, devid, be, fe, bep, lp);
	xs_rm(ctx->xs0, XBT_NULL, fe);
	xs_rm(ctx->xs0, XBT_NULL, lp);
	xs_rm(ctx->xs0, XBT_NULL, bep);
	snprintf(parent, sizeof(parent), "/local/domain/%u/backend/vsnd/%u", be, g->domid);
	d = xs_directory(ctx->xs0, XBT_NULL, parent, &n);
	if (d != NULL && n == 0)
		xs_rm(ctx->xs0, XBT_NULL, parent);
	free(d);
}

int vg_ts_vsnd_detach(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g, uint32_t devid)
{
	uint32_t be = g->cards[devid].spec.backend_domid;
	char fe[VG_PATH_MAX], bep[VG_PATH_MAX], lp[VG_PATH_MAX], sp[VG_PATH_MAX + 8];
	int res = 0, state;

	paths(g, devid, be, fe, bep, lp);
	snprintf(sp, sizeof(sp), "%s/state", bep);
	for (int attempt = 0; attempt < 100; attempt++) {
		xs_transaction_t t = xs_transaction_start(ctx->xs0);
		char op[VG_PATH_MAX + 8];

		if (t == XBT_NULL)
			break;
		snprintf(op, sizeof(op), "%s/online", bep);
		xs_write(ctx->xs0, t, op, "0", 1);
		state = vg_xs_read_int(ctx->xs0, sp, -1);
		/* A backend already Closed is left alone. */
		if (state >= 0 && state != XenbusStateClosed)
			wr(ctx->xs0, t, bep, "state", "%d", XenbusStateClosing);
		if (xs_transaction_end(ctx->xs0, t, false) || errno != EAGAIN)
			break;
	}
	if (wait_state(ctx, co, sp, XenbusStateClosed, ctx->destroy_timeout_ms) < 0) {
		vg_err("libxl: error: libxl_device.c: device_backend_callback: Domain %u:"
				"Timeout reached, initiating forced remove", g->domid);
		res = -ETIMEDOUT;
	}
	device_destroy(ctx, g, devid);
	return res;
}

int vg_ts_domain_create(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g)
{
	int res = xensim_domain_create(ctx->sim0, g->domid, g->name);

	if (res < 0) {
		vg_err("libxl: error: libxl_create.c: domain %u (%s): cannot create: %s", g->domid,
				g->name, strerror(-res));
		return res;
	}
	for (uint32_t i = 0; i < g->n_cards; i++) {
		char fe[VG_PATH_MAX], bep[VG_PATH_MAX], lp[VG_PATH_MAX], sp[VG_PATH_MAX + 8];

		paths(g, i, g->cards[i].spec.backend_domid, fe, bep, lp);
		res = device_add(ctx, g, i);
		if (res == 0) {
			snprintf(sp, sizeof(sp), "%s/state", bep);
			res = wait_state(ctx, co, sp, XenbusStateInitWait, ctx->init_timeout_ms);
			if (res < 0)
				vg_err("libxl: error: libxl_device.c: device_backend_callback: Domain %u:"
						"unable to add device with path %s", g->domid, bep);
		}
		if (res < 0) {
			vg_err("libxl: error: libxl_create.c: domcreate_attach_devices: Domain %u:"
					"unable to add vsnd devices", g->domid);
			/* xl create then destroys the half-built domain */
			for (uint32_t j = 0; j <= i; j++)
				device_destroy(ctx, g, j);
			xensim_domain_destroy(ctx->sim0, g->domid);
			{
				char dp[64];
				snprintf(dp, sizeof(dp), "/local/domain/%u", g->domid);
				xs_rm(ctx->xs0, XBT_NULL, dp);
				snprintf(dp, sizeof(dp), "/libxl/%u", g->domid);
				xs_rm(ctx->xs0, XBT_NULL, dp);
			}
			return res;
		}
	}
	return 0;
}

int vg_ts_domain_destroy(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g)
{
	char dp[64];
	int res = 0;

	for (uint32_t i = 0; i < g->n_cards; i++) {
		if (vg_ts_vsnd_detach(ctx, co, g, i) < 0)
			res = -ETIMEDOUT;
	}
	if (xensim_domain_destroy(ctx->sim0, g->domid) < 0)
		res = -EIO;
	snprintf(dp, sizeof(dp), "/local/domain/%u", g->domid);
	xs_rm(ctx->xs0, XBT_NULL, dp);
	snprintf(dp, sizeof(dp), "/libxl/%u", g->domid);
	xs_rm(ctx->xs0, XBT_NULL, dp);
	return res;
}
