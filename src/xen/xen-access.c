/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "xen-access.h"

struct xsnd_xen *xsnd_xen_open(const struct xsnd_xen_config *cfg)
{
	const char *backend = cfg->backend ? cfg->backend : "xen";

	if (strcmp(backend, "xen") == 0)
		return xsnd_xen_open_real(cfg);
	if (strcmp(backend, "sim") == 0)
		return xsnd_xen_open_sim(cfg);
	errno = EINVAL;
	return NULL;
}

void xsnd_xen_close(struct xsnd_xen *x)
{
	if (x != NULL)
		x->methods->destroy(x);
}
