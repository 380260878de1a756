/* SPDX-License-Identifier: MIT */
/*
 * XENSND_OP_HW_PARAM_QUERY: intersect the guest's ranges with the stream's
 * configuration and the backend's limits. ALSA refinement in the guest fails
 * unless the answer overlaps the request whenever any configuration is
 * possible, so we never return an empty range if a non-empty one exists.
 * Buffer and period ranges are in frames.
 */
#ifndef XSND_HW_PARAM_H
#define XSND_HW_PARAM_H

#include "card-config.h"
#include "request.h"

int xsnd_hw_param_refine(const struct xsnd_pcm_hw *hw,
		const struct xsnd_limits *lim,
		const struct xensnd_query_hw_param *req,
		struct xensnd_query_hw_param *resp,
		struct xsnd_error *err);

#endif
