/* SPDX-License-Identifier: MIT */
/*
 * Domains: creating one is what the toolstack plus xenstored do for a new
 * guest (its xenstore home with libxl's permissions, @introduceDomain);
 * destroying one is what the hypervisor and xenstored do (channels closed, grants ended,
 * @releaseDomain). Removing /local/domain/N is left to the toolstack, as xl
 * does it, not xenstored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim-proto.h"

struct sim_domain *sim_domain_find(struct sim *sim, uint32_t domid)
{
	for (struct sim_domain *d = sim->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

static int write_node(struct sim *sim, const char *path, const char *value,
		const struct xs_perm *perms, uint32_t n_perms)
{
	uint32_t created;
	struct xs_node *n = xs_tree_create(&sim->tree, path, 0, &created);
	if (n == NULL)
		return -errno;
	if (value != NULL && xs_tree_set_value(&sim->tree, n, value, (uint32_t)strlen(value)) < 0)
		return -ENOMEM;
	memcpy(n->perms, perms, n_perms * sizeof(*perms));
	n->n_perms = n_perms;
	xs_tree_touch(&sim->tree, n);
	return 0;
}

/*
 * The xenstore home libxl__domain_make (libxl_create.c) gives a guest: the
 * directory and what the toolstack writes are dom0's with read for the guest;
 * only these subtrees are the guest's own. Dom0's home is dom0's alone.
 */
static int write_home(struct sim *sim, uint32_t domid, const char *name)
{
	/* In libxl's order; device/suspend comes with its child and copies device's list. */
	static const struct { const char *path; bool guest_owned; } dirs[] = {
		{ "device", false }, { "device/suspend/event-channel", true },
		{ "control", false }, { "control/shutdown", true },
		{ "control/feature-poweroff", true }, { "control/feature-reboot", true },
		{ "control/feature-suspend", true }, { "control/sysrq", true },
		{ "data", true }, { "drivers", true }, { "feature", true }, { "attr", true },
		{ "error", true },
	};
	const struct xs_perm ro[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
	const struct xs_perm rw[1] = { { domid, XS_PERM_NONE } };
	uint32_t n_ro = domid == 0 ? 1 : 2;
	char path[96], val[16];
	int r;

	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	r = write_node(sim, path, NULL, ro, n_ro);
	if (r == 0 && name[0] != '\0') {
		snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
		r = write_node(sim, path, name, ro, n_ro);
	}
	if (r == 0) {
		snprintf(path, sizeof(path), "/local/domain/%u/domid", domid);
		snprintf(val, sizeof(val), "%u", domid);
		r = write_node(sim, path, val, ro, n_ro);
	}
	for (size_t i = 0; domid != 0 && r == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, dirs[i].path);
		r = dirs[i].guest_owned ? write_node(sim, path, NULL, rw, 1) :
			write_node(sim, path, NULL, ro, n_ro);
	}
	return r;
}

int sim_domain_create(struct sim *sim, uint32_t domid, const char *name)
{
	struct sim_domain *d;
	int r;

	if (domid > SIM_DOMID_MAX || strlen(name) >= sizeof(d->name))
		return -EINVAL;
	if (sim_domain_find(sim, domid))
		return -EEXIST;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->domid = domid;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->xs_listen.fd = -1;
	if ((r = xs_server_domain_listen(sim, d)) < 0) {
		free(d);
		return r;
	}
	d->next = sim->domains;
	sim->domains = d;

	if ((r = write_home(sim, domid, name)) < 0) {
		sim_domain_destroy(sim, domid);
		return r;
	}
	sim_log(sim, 3, "domain %u (%s) created", domid, name);
	if (domid != 0)
		xs_server_fire_special(sim, "@introduceDomain");
	return 0;
}

int sim_domain_destroy(struct sim *sim, uint32_t domid)
{
	struct sim_domain **p, *d;

	for (p = &sim->domains; *p && (*p)->domid != domid; p = &(*p)->next)
		;
	if ((d = *p) == NULL)
		return -ESRCH;
	*p = d->next;
	/* Still findable while its channels close, so the peers fall back to unbound. */
	d->next = NULL;
	struct sim_domain *saved = sim->domains;
	sim->domains = d;
	d->next = saved;
	evtchn_close_all(sim, d);
	sim->domains = saved;

	grant_end_all(d);
	control_domain_gone(sim, domid);
	xs_server_domain_gone(sim, d);
	sim_log(sim, 3, "domain %u destroyed", domid);
	d->next = sim->dead_domains;
	sim->dead_domains = d;
	xs_server_fire_special(sim, "@releaseDomain");
	return 0;
}

void sim_domain_reap(struct sim *sim)
{
	while (sim->dead_domains) {
		struct sim_domain *d = sim->dead_domains;
		sim->dead_domains = d->next;
		free(d);
	}
}
