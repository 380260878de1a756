/* SPDX-License-Identifier: MIT */
/*
 * Grant tables. A guest client hands over a memfd holding the pages it
 * grants; each page gets a ref. A mapping client receives the memfd (or a
 * read-only reopen of it for read-only grants) and maps the page itself, so
 * the data path never goes through the daemon. Each ref counts its live
 * mappings, because Xen refuses to end a grant while it is mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"
#include "sim-proto.h"

static void memory_unref(struct sim_domain *d, struct sim_memory *m)
{
	if (--m->refs > 0)
		return;
	d->n_memories--;
	close(m->fd_rw);
	close(m->fd_ro);
	free(m);
}

/* Frees n slots for new grants; refs are never reused while in use. */
static int grow(struct sim_domain *d, uint32_t n)
{
	uint32_t want = d->grants_used + n + SIM_GREF_FIRST;
	uint32_t cap = d->n_grants;

	if (want > SIM_GRANTS_MAX)
		return -ENOSPC;
	if (want <= cap)
		return 0;
	while (cap < want)
		cap = cap ? cap * 2 : 64;
	if (cap > SIM_GRANTS_MAX)
		cap = SIM_GRANTS_MAX;
	struct sim_grant *g = realloc(d->grants, cap * sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	memset(g + d->n_grants, 0, (cap - d->n_grants) * sizeof(*g));
	d->grants = g;
	d->n_grants = cap;
	return 0;
}

int grant_add(struct sim *sim, struct sim_domain *d, uint32_t to, int memfd, uint32_t n_pages,
		bool readonly, uint32_t *refs)
{
	struct sim_memory *m;
	struct stat st;
	char path[64];
	int r;

	if (n_pages == 0 || n_pages > SIM_MAP_MAX)
		return -EINVAL;
	if (fstat(memfd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < (uint64_t)n_pages * 4096u)
		return -EINVAL;
	if (d->n_memories >= SIM_MEMORIES_MAX)
		return -ENOSPC;
	if ((r = grow(d, n_pages)) < 0)
		return r;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	/* A read-only description of the same file: mmap(PROT_WRITE, MAP_SHARED) on it fails. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	m->fd_ro = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd_ro < 0) {
		r = -errno;
		free(m);
		return r;
	}
	m->fd_rw = fcntl(memfd, F_DUPFD_CLOEXEC, 3);
	if (m->fd_rw < 0) {
		r = -errno;
		close(m->fd_ro);
		free(m);
		return r;
	}
	m->n_pages = n_pages;
	d->n_memories++;

	uint32_t ref = SIM_GREF_FIRST, i = 0;
	for (; i < n_pages && ref < d->n_grants; ref++) {
		struct sim_grant *g = &d->grants[ref];
		if (g->in_use)
			continue;
		*g = (struct sim_grant){ .in_use = true, .readonly = readonly, .to = to,
			.mem = m, .page = i };
		m->refs++;
		d->grants_used++;
		refs[i++] = ref;
	}
	if (i < n_pages) {	/* cannot happen after grow(), but never leave a half grant */
		m->refs++;
		for (uint32_t j = 0; j < i; j++)
			grant_end(d, refs[j]);
		memory_unref(d, m);
		return -ENOSPC;
	}
	sim_log(sim, 3, "dom%u granted %u pages to dom%u (%s), first ref %u", d->domid,
			n_pages, to, readonly ? "ro" : "rw", refs[0]);
	return 0;
}

static void grant_free(struct sim_domain *d, uint32_t ref)
{
	struct sim_grant *g = &d->grants[ref];
	memory_unref(d, g->mem);
	memset(g, 0, sizeof(*g));
	d->grants_used--;
}

int grant_end(struct sim_domain *d, uint32_t ref)
{
	if (ref >= d->n_grants || !d->grants[ref].in_use)
		return -ENOENT;
	/* Xen: the entry is still marked reading/writing, gnttab_end_foreign_access_ref fails. */
	if (d->grants[ref].maps > 0)
		return -EBUSY;
	grant_free(d, ref);
	return 0;
}

/* Domain destroy: mapped or not, the domain's grants go; the pages stay with their mappers. */
void grant_end_all(struct sim_domain *d)
{
	for (uint32_t r = 0; r < d->n_grants; r++)
		if (d->grants[r].in_use)
			grant_free(d, r);
	free(d->grants);
	d->grants = NULL;
	d->n_grants = 0;
}

struct sim_grant *grant_lookup(struct sim_domain *d, uint32_t ref, uint32_t by, bool writable,
		char *why, size_t why_size)
{
	struct sim_grant *g = ref < d->n_grants ? &d->grants[ref] : NULL;

	if (g == NULL || !g->in_use)
		snprintf(why, why_size, "never granted (or ended)");
	else if (g->to != by)
		snprintf(why, why_size, "granted to dom%u", g->to);
	else if (writable && g->readonly)
		snprintf(why, why_size, "read-only, writable map asked");
	else
		return g;
	return NULL;
}
