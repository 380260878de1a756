/* SPDX-License-Identifier: MIT */
/*
 * See xenbus-state.h for the rules. Kept free of I/O so every transition,
 * including the hostile and racy ones, can be unit tested.
 */
#include <string.h>

#include "xenbus-state.h"

static void add_write(struct xsnd_xenbus_step *out, int state)
{
	if (out->n_writes < sizeof(out->writes) / sizeof(out->writes[0]))
		out->writes[out->n_writes++] = state;
}

void xsnd_xenbus_step(const struct xsnd_xenbus_view *v, struct xsnd_xenbus_step *out)
{
	memset(out, 0, sizeof(*out));

	/* Toolstack removal: libxl writes online=0 and state=Closing together
	 * and waits for Closed. We never leave Closing behind ourselves (our
	 * reset writes Closed and InitWait in the same step), so a Closing
	 * seen after our first look is libxl's. */
	if (v->be_removed || !v->online ||
	    (!v->first_look && v->be_state == XenbusStateClosing)) {
		out->teardown = v->connected;
		out->forget = true;
		if (!v->be_removed && v->be_state != XenbusStateClosed)
			add_write(out, XenbusStateClosed);
		return;
	}

	if (v->first_look) {
		if (v->be_state == XSND_XB_STATE_ABSENT || v->be_state == XenbusStateInitialising) {
			add_write(out, XenbusStateInitWait);
		} else {
			/* A previous backend instance left this state: make the
			 * frontend drop its card and go through Initialised again. */
			out->teardown = v->connected;
			add_write(out, XenbusStateClosing);
			add_write(out, XenbusStateClosed);
			add_write(out, XenbusStateInitWait);
		}
		return;
	}

	if (v->connected) {
		if (v->fe_state == XenbusStateInitialised || v->fe_state == XenbusStateConnected)
			return;
		/* Closing, Closed, Unknown, Initialising, gone or nonsense:
		 * the frontend dropped the connection. Be ready for the next. */
		out->teardown = true;
		add_write(out, XenbusStateClosed);
		add_write(out, XenbusStateInitWait);
		return;
	}

	/* The device was re-created under the same id, or the key lost. */
	if (v->be_state == XSND_XB_STATE_ABSENT || v->be_state == XenbusStateInitialising) {
		add_write(out, XenbusStateInitWait);
		return;
	}

	/* Connect only on Initialised with us in InitWait: the frontend then
	 * has just published fresh transport keys. A frontend still showing
	 * Connected after our reset holds stale keys and will go through
	 * Initialised again once it sees InitWait. */
	if (v->fe_state == XenbusStateInitialised && v->be_state == XenbusStateInitWait) {
		out->connect = true;
		add_write(out, XenbusStateConnected);
	}
}

const char *xsnd_xenbus_state_name(int state)
{
	static const char *const names[] = {
		"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
		"Closing", "Closed", "Reconfiguring", "Reconfigured",
	};

	if (state == XSND_XB_STATE_ABSENT)
		return "absent";
	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
		return "invalid";
	return names[state];
}
