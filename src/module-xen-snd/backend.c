/* SPDX-License-Identifier: MIT */
/*
 * XenBus glue: watches the backend directory for vsnd devices, keeps one
 * card per <domid>/<devid>, and drives each through the handshake computed
 * by the pure state machine in src/sndif/xenbus-state.c.
 *
 * The backend directory is written by the toolstack (trusted); the frontend
 * directory belongs to the guest (hostile). Nothing read from either is used
 * before it has been parsed and bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/utils/result.h>
#include <xenstore.h>

#include "xen-snd.h"
#include "../sndif/xenbus-state.h"
#include "../xen/xs-util.h"

#define TOKEN_BACKEND	"xen-snd:be"
#define TOKEN_FRONTEND	"xen-snd:fe"
#define TOKEN_RELEASE	"xen-snd:release"

#define MAX_DOMID	0x7fefu		/* DOMID_FIRST_RESERVED - 1 */
#define MAX_DEVID	255u
#define MAX_DIR_ENTRIES	4096u		/* entries looked at per directory listing */

static int read_state(struct impl *impl, const char *dir, const char *key)
{
	char path[160], buf[16];
	uint32_t v;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (xsnd_xs_read(impl->xen->xs, path, buf, sizeof(buf)) < 0)
		return XSND_XB_STATE_ABSENT;
	if (xsnd_parse_u32(key, buf, 0, XenbusStateReconfigured, &v, NULL) < 0)
		return XSND_XB_STATE_ABSENT;
	return (int)v;
}

/* Writes <be_path>/<key> only while the device exists: a write racing with
 * the toolstack's removal would otherwise recreate a stale node. */
static int write_backend_key(struct xsnd_card *card, const char *key, const char *val)
{
	struct xs_handle *xs = card->impl->xen->xs;
	char path[160], fe[96];
	int tries;

	for (tries = 0; tries < 8; tries++) {
		xs_transaction_t t = xs_transaction_start(xs);
		if (t == XBT_NULL)
			return -errno;
		snprintf(path, sizeof(path), "%s/frontend", card->be_path);
		if (xsnd_xs_read_t(xs, t, path, fe, sizeof(fe)) < 0) {
			xs_transaction_end(xs, t, true);
			return -ENOENT;
		}
		snprintf(path, sizeof(path), "%s/%s", card->be_path, key);
		if (!xs_write(xs, t, path, val, (unsigned int)strlen(val))) {
			int res = -errno;
			xs_transaction_end(xs, t, true);
			return res;
		}
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

static void write_state(struct xsnd_card *card, int state)
{
	char val[4];
	int res;

	snprintf(val, sizeof(val), "%d", state);
	if ((res = write_backend_key(card, "state", val)) < 0)
		pw_log_warn("domain %u vsnd %u: cannot write state %d: %s",
				card->domid, card->devid, state, spa_strerror(res));
	else
		pw_log_debug("domain %u vsnd %u: backend state %s",
				card->domid, card->devid, xsnd_xenbus_state_name(state));
}

/* Strict decimal, no sign, no leading garbage, bounded. */
static bool parse_index(const char *s, uint32_t max, uint32_t *out)
{
	return xsnd_parse_u32("index", s, 0, max, out, NULL) == 0;
}

static struct xsnd_card *find_card(struct impl *impl, uint32_t domid, uint32_t devid)
{
	struct xsnd_card *c;
	spa_list_for_each(c, &impl->cards, link)
		if (c->domid == domid && c->devid == devid)
			return c;
	return NULL;
}

static uint32_t count_cards(struct impl *impl, uint32_t domid)
{
	struct xsnd_card *c;
	uint32_t n = 0;
	spa_list_for_each(c, &impl->cards, link)
		n += c->domid == domid;
	return n;
}

static void card_free(struct xsnd_card *card)
{
	struct impl *impl = card->impl;
	char path[160];

	if (card->connected)
		xsnd_card_disconnect(card);
	if (card->fe_watched) {
		snprintf(path, sizeof(path), "%s/state", card->fe_path);
		xs_unwatch(impl->xen->xs, path, TOKEN_FRONTEND);
	}
	pw_log_info("domain %u (%s) vsnd %u: removed", card->domid,
			card->vm ? card->vm->name : "?", card->devid);
	if (card->vm)
		xsnd_vm_unref(card->vm);
	spa_list_remove(&card->link);
	free(card);
}

static struct xsnd_card *card_new(struct impl *impl, uint32_t domid, uint32_t devid)
{
	struct xsnd_card *card;
	char path[160], fe[96], expect[96];

	snprintf(path, sizeof(path), "%s/%u/%u/frontend", impl->be_root, domid, devid);
	if (xsnd_xs_read(impl->xen->xs, path, fe, sizeof(fe)) < 0)
		return NULL;	/* not (yet) a device, or being removed */

	/* libxl always points at the guest's own device directory; anything
	 * else would let one guest's card read another's configuration. */
	snprintf(expect, sizeof(expect), "/local/domain/%u/device/vsnd/%u", domid, devid);
	if (strcmp(fe, expect) != 0) {
		pw_log_warn("domain %u vsnd %u: ignoring device, frontend path '%.64s' is not '%s'",
				domid, devid, fe, expect);
		return NULL;
	}
	/* nodes a dead domain left behind are the toolstack's to remove */
	if (!xs_is_domain_introduced(impl->xen->xs, domid))
		return NULL;
	if (count_cards(impl, domid) >= impl->max_cards_per_domain) {
		pw_log_warn("domain %u vsnd %u: ignoring device, more than %u cards for one domain",
				domid, devid, impl->max_cards_per_domain);
		return NULL;
	}

	card = calloc(1, sizeof(*card));
	if (card == NULL)
		return NULL;
	card->impl = impl;
	card->domid = domid;
	card->devid = devid;
	spa_list_init(&card->streams);
	snprintf(card->be_path, sizeof(card->be_path), "%s/%u/%u", impl->be_root, domid, devid);
	snprintf(card->fe_path, sizeof(card->fe_path), "%s", expect);
	card->vm = xsnd_vm_get(impl, domid);
	if (card->vm == NULL) {
		free(card);
		return NULL;
	}
	spa_list_append(&impl->cards, &card->link);
	/* offered before InitWait, so the frontend can ask before Initialised;
	 * written only once: every write fires our own watch again */
	snprintf(path, sizeof(path), "%s/%s", card->be_path, XSND_FIELD_FEATURE_DELAY);
	if (xsnd_xs_read(impl->xen->xs, path, fe, sizeof(fe)) != 1 || fe[0] != '1')
		write_backend_key(card, XSND_FIELD_FEATURE_DELAY, "1");
	pw_log_info("domain %u (%s) vsnd %u: new device", domid, card->vm->name, devid);
	return card;
}

static bool backend_dir_exists(struct xsnd_card *card)
{
	char path[160], buf[96];
	snprintf(path, sizeof(path), "%s/frontend", card->be_path);
	return xsnd_xs_read(card->impl->xen->xs, path, buf, sizeof(buf)) != -ENOENT;
}

/* Reads both ends, asks the state machine what to do, does it. */
static void card_evaluate(struct xsnd_card *card)
{
	struct impl *impl = card->impl;
	struct xsnd_xenbus_view view = { 0 };
	struct xsnd_xenbus_step step;
	int online;
	uint32_t i;

	view.first_look = !card->seen;
	view.be_removed = !backend_dir_exists(card);
	online = read_state(impl, card->be_path, "online");
	/* absent counts as online; a dead domain whose nodes the toolstack
	 * left behind (or has yet to remove) does not */
	view.online = online != 0 && xs_is_domain_introduced(impl->xen->xs, card->domid);
	view.be_state = read_state(impl, card->be_path, "state");
	view.fe_state = read_state(impl, card->fe_path, "state");
	view.connected = card->connected;

	xsnd_xenbus_step(&view, &step);
	card->seen = true;

	pw_log_debug("domain %u vsnd %u: be %s fe %s online %d connected %d -> teardown %d connect %d forget %d writes %u",
			card->domid, card->devid, xsnd_xenbus_state_name(view.be_state),
			xsnd_xenbus_state_name(view.fe_state), view.online, view.connected,
			step.teardown, step.connect, step.forget, step.n_writes);

	if (!card->fe_watched && !step.forget) {
		char path[160];
		snprintf(path, sizeof(path), "%s/state", card->fe_path);
		card->fe_watched = xs_watch(impl->xen->xs, path, TOKEN_FRONTEND);
	}
	if (step.teardown && card->connected)
		xsnd_card_disconnect(card);
	for (i = 0; i < step.n_writes && i < SPA_N_ELEMENTS(step.writes); i++) {
		/* Connected is written below, once the transport really is up */
		if (step.writes[i] != XenbusStateConnected)
			write_state(card, step.writes[i]);
	}
	if (step.connect && !card->connected) {
		if (xsnd_card_connect(card) == 0) {
			write_state(card, XenbusStateConnected);
		} else {
			/* The frontend tears its card down on Closed; the device
			 * stays idle until the toolstack removes it. */
			write_state(card, XenbusStateClosed);
		}
	}
	if (step.forget)
		card_free(card);
}

static void update_device(struct impl *impl, uint32_t domid, uint32_t devid)
{
	struct xsnd_card *card = find_card(impl, domid, devid);

	if (card == NULL) {
		card = card_new(impl, domid, devid);
		if (card == NULL)
			return;
	}
	card_evaluate(card);
}

static void scan_domain(struct impl *impl, uint32_t domid)
{
	char path[160];
	unsigned int i, n = 0;
	char **devs;
	uint32_t devid;

	snprintf(path, sizeof(path), "%s/%u", impl->be_root, domid);
	devs = xs_directory(impl->xen->xs, XBT_NULL, path, &n);
	for (i = 0; devs && i < n && i < MAX_DIR_ENTRIES; i++)
		if (parse_index(devs[i], MAX_DEVID, &devid))
			update_device(impl, domid, devid);
	free(devs);
}

static void scan_all(struct impl *impl)
{
	unsigned int i, n = 0;
	char **doms = xs_directory(impl->xen->xs, XBT_NULL, impl->be_root, &n);
	uint32_t domid;

	for (i = 0; doms && i < n && i < MAX_DIR_ENTRIES; i++)
		if (parse_index(doms[i], MAX_DOMID, &domid))
			scan_domain(impl, domid);
	free(doms);
}

/* Re-evaluates every known card, e.g. after a domain died. */
static void evaluate_all(struct impl *impl)
{
	struct xsnd_card *c, *t;
	spa_list_for_each_safe(c, t, &impl->cards, link)
		card_evaluate(c);
}

void xsnd_backend_handle_watch(struct impl *impl, const char *path, const char *token)
{
	size_t root_len = strlen(impl->be_root);

	if (strcmp(token, TOKEN_BACKEND) == 0) {
		char rest[64], *dom, *dev, *save = NULL;
		uint32_t domid, devid;

		if (strncmp(path, impl->be_root, root_len) != 0)
			return;
		if (path[root_len] == '\0') {
			scan_all(impl);
			evaluate_all(impl);	/* covers removal of the whole tree */
			return;
		}
		if (path[root_len] != '/' ||
		    snprintf(rest, sizeof(rest), "%s", path + root_len + 1) >= (int)sizeof(rest))
			return;
		dom = strtok_r(rest, "/", &save);
		dev = strtok_r(NULL, "/", &save);
		if (dom == NULL || !parse_index(dom, MAX_DOMID, &domid))
			return;
		if (dev == NULL) {
			struct xsnd_card *c, *t;
			scan_domain(impl, domid);
			spa_list_for_each_safe(c, t, &impl->cards, link)
				if (c->domid == domid)
					card_evaluate(c);
			return;
		}
		if (parse_index(dev, MAX_DEVID, &devid))
			update_device(impl, domid, devid);
	} else if (strcmp(token, TOKEN_FRONTEND) == 0) {
		struct xsnd_card *c, *t;
		spa_list_for_each_safe(c, t, &impl->cards, link) {
			size_t l = strlen(c->fe_path);
			if (strncmp(path, c->fe_path, l) == 0 && strcmp(path + l, "/state") == 0) {
				card_evaluate(c);
				break;
			}
		}
	} else if (strcmp(token, TOKEN_RELEASE) == 0) {
		evaluate_all(impl);
	}
}

void xsnd_backend_start(struct impl *impl)
{
	/* Both watches fire once at once (xenstored semantics), which is our
	 * initial scan: devices created before we started are served too. */
	if (!xs_watch(impl->xen->xs, impl->be_root, TOKEN_BACKEND))
		pw_log_error("cannot watch %s: %m", impl->be_root);
	if (!xs_watch(impl->xen->xs, "@releaseDomain", TOKEN_RELEASE))
		pw_log_warn("cannot watch @releaseDomain: %m");
}

void xsnd_backend_stop(struct impl *impl)
{
	struct xsnd_card *c, *t;

	if (impl->xen == NULL)
		return;
	/* Leave the devices Closed so a restarted backend finds a clean state
	 * and the toolstack never waits on us. */
	spa_list_for_each_safe(c, t, &impl->cards, link) {
		if (c->connected)
			xsnd_card_disconnect(c);
		if (backend_dir_exists(c))
			write_state(c, XenbusStateClosed);
		card_free(c);
	}
	xs_unwatch(impl->xen->xs, impl->be_root, TOKEN_BACKEND);
	xs_unwatch(impl->xen->xs, "@releaseDomain", TOKEN_RELEASE);
}
