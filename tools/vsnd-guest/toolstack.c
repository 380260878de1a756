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

/*
 * libxl__ev_devstate_wait: 0 when the node at `path` holds `wanted`, or
 * (wanted < 0, libxl__xswait on a removal) when it is gone; -ETIMEDOUT
 * otherwise.
 */
static int wait_state(struct vg_ctx *ctx, struct vg_co *co, const char *path, int wanted,
		int64_t timeout_ms)
{
	int64_t deadline = vg_now_ns() + timeout_ms * 1000000;
	int res = -ETIMEDOUT;

	if (!xs_watch(ctx->xs0, path, "ts"))
		return -errno;
	for (;;) {
		char *v;

		ctx->ts_watch_fired = false;
		v = wanted < 0 ? vg_xs_read(ctx->xs0, path) : NULL;
		free(v);
		if (wanted < 0 ? v == NULL : vg_xs_read_int(ctx->xs0, path, -1) == wanted) {
			res = 0;
			break;
		}
		if (vg_co_wait(co, watch_fired, ctx, deadline) < 0)
			break;
	}
	xs_unwatch(ctx->xs0, path, "ts");
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

/* libxl__xs_path_cleanup (xenstore-rm -t): the node, then every parent
 * left without value and children. */
static void path_cleanup(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
	char p[VG_PATH_MAX], *last;

	snprintf(p, sizeof(p), "%s", path);
	if (!xs_rm(xs, t, p))
		return;
	while ((last = strrchr(p, '/')) != NULL && last != p) {
		unsigned int len, n = 1;
		char *v, **d = NULL;

		*last = '\0';
		v = xs_read(xs, t, p, &len);
		if (v != NULL && len == 0)
			d = xs_directory(xs, t, p, &n);
		free(v);
		free(d);
		if (d == NULL || n != 0 || !xs_rm(xs, t, p))
			return;
	}
}

/* libxl__device_destroy: one transaction; dom0 cleans up the frontend and
 * libxl paths, and the backend path only when it is the backend domain (a
 * driver domain removes its own). */
static void device_destroy(struct vg_ctx *ctx, struct vg_guest *g, uint32_t devid)
{
	uint32_t be = g->cards[devid].spec.backend_domid;
	char fe[VG_PATH_MAX], bep[VG_PATH_MAX], lp[VG_PATH_MAX];

	paths(g, devid, be, fe, bep, lp);
	for (int attempt = 0; attempt < 100; attempt++) {
		xs_transaction_t t = xs_transaction_start(ctx->xs0);

		if (t == XBT_NULL)
			return;
		path_cleanup(ctx->xs0, t, fe);
		path_cleanup(ctx->xs0, t, lp);
		if (be == 0)
			path_cleanup(ctx->xs0, t, bep);
		if (xs_transaction_end(ctx->xs0, t, false) || errno != EAGAIN)
			return;
	}
}

/*
 * libxl__initiate_device_generic_remove, one round. In one transaction
 * (forced: after removing the frontend directory) the backend state is
 * read; without one the backend is gone and nothing is written. Otherwise
 * online=0, and state=5 unless the backend is already Closed. Then the wait
 * for Closed. 0, -ENOENT (no backend state) or -ETIMEDOUT.
 */
static int remove_round(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g, uint32_t devid,
		bool force)
{
	uint32_t be = g->cards[devid].spec.backend_domid;
	char fe[VG_PATH_MAX], bep[VG_PATH_MAX], lp[VG_PATH_MAX], sp[VG_PATH_MAX + 8];

	paths(g, devid, be, fe, bep, lp);
	snprintf(sp, sizeof(sp), "%s/state", bep);
	for (int attempt = 0; attempt < 100; attempt++) {
		xs_transaction_t t = xs_transaction_start(ctx->xs0);
		unsigned int len;
		char *state;
		bool closed;

		if (t == XBT_NULL)
			return -errno;
		if (force)
			path_cleanup(ctx->xs0, t, fe);
		if ((state = xs_read(ctx->xs0, t, sp, &len)) == NULL) {
			/* libxl aborts the transaction here; device_destroy cleans up */
			xs_transaction_end(ctx->xs0, t, true);
			vg_log(ctx, "libxl: info: libxl_device.c: libxl__initiate_device_generic_remove: "
					"backend %s already removed, cleanup frontend only", bep);
			return -ENOENT;
		}
		closed = atoi(state) == XenbusStateClosed;
		free(state);
		wr(ctx->xs0, t, bep, "online", "0");
		if (!closed)
			wr(ctx->xs0, t, bep, "state", "%d", XenbusStateClosing);
		if (xs_transaction_end(ctx->xs0, t, false))
			break;
		if (errno != EAGAIN)
			return -errno;
	}
	return wait_state(ctx, co, sp, XenbusStateClosed, ctx->destroy_timeout_ms);
}

/*
 * libxl's device removal: xl vsnd-detach (libxl_device_vsnd_remove) forces
 * only after a first timeout; xl destroy (libxl__devices_destroy) forces
 * from the start. A driver domain's backend path is then waited for to
 * vanish (device_hotplug). The nodes are removed in any case.
 */
static int device_remove(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g, uint32_t devid,
		bool force)
{
	uint32_t be = g->cards[devid].spec.backend_domid;
	char fe[VG_PATH_MAX], bep[VG_PATH_MAX], lp[VG_PATH_MAX];
	int res = remove_round(ctx, co, g, devid, force);

	paths(g, devid, be, fe, bep, lp);
	if (res == -ETIMEDOUT && !force) {
		/* libxl logs this at debug level; shown because it costs 10 s */
		vg_err("libxl: debug: libxl_device.c: device_backend_callback: Domain %u:"
				"Timeout reached, initiating forced remove", g->domid);
		res = remove_round(ctx, co, g, devid, true);
	}
	if (res == -ETIMEDOUT)
		vg_err("libxl: error: libxl_device.c: device_backend_callback: Domain %u:"
				"unable to remove device with path %s", g->domid, bep);
	if (res == 0 && be != 0 &&
	    (res = wait_state(ctx, co, bep, -1, ctx->destroy_timeout_ms)) < 0)
		vg_err("libxl: error: libxl_device.c: device_destroy_be_watch_cb: Domain %u:"
				"timed out while waiting for %s to be removed", g->domid, bep);
	device_destroy(ctx, g, devid);
	return res == -ENOENT ? 0 : res;
}

int vg_ts_vsnd_detach(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g, uint32_t devid)
{
	return device_remove(ctx, co, g, devid, false);
}

/* libxl__destroy_domid: the devices (forced removal), then the domain and
 * its xenstore directories. The guest is paused already. */
static int domain_destroy(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g, uint32_t n_cards)
{
	char dp[64];
	int res = 0;

	for (uint32_t i = 0; i < n_cards; i++) {
		if (device_remove(ctx, co, g, i, true) < 0)
			res = -ETIMEDOUT;
	}
	if (res < 0)
		vg_err("libxl: error: libxl_domain.c: devices_destroy_cb: Domain %u:"
				"libxl__devices_destroy failed", g->domid);
	if (xensim_domain_destroy(ctx->sim0, g->domid) < 0)
		res = -EIO;
	snprintf(dp, sizeof(dp), "/local/domain/%u", g->domid);
	xs_rm(ctx->xs0, XBT_NULL, dp);
	snprintf(dp, sizeof(dp), "/libxl/%u", g->domid);
	xs_rm(ctx->xs0, XBT_NULL, dp);
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
			if (res == -ETIMEDOUT)
				vg_err("vsnd-guest: the backend %s did not reach InitWait (state 2) within "
						"%g s (libxl's device add timeout): is a vsnd backend running "
						"in domain %u?", bep, (double)ctx->init_timeout_ms / 1000,
						g->cards[i].spec.backend_domid);
			/* libxl then destroys the half-built domain (domcreate_complete) */
			domain_destroy(ctx, co, g, i + 1);
			return res;
		}
	}
	return 0;
}

int vg_ts_domain_destroy(struct vg_ctx *ctx, struct vg_co *co, struct vg_guest *g)
{
	return domain_destroy(ctx, co, g, g->n_cards);
}
