/* SPDX-License-Identifier: MIT */
/*
 * The backend half of the XenBus handshake as pure logic: both ends' states
 * (and the toolstack's `online` flag) in, the steps to take out.
 *
 *  - new device (backend Initialising/absent state): write InitWait at once,
 *    libxl gives us 10 s;
 *  - frontend Initialised (or already Connected): map and bind, then write
 *    Connected; never Connected before the frontend is Initialised;
 *  - frontend Closing/Closed/Unknown while we are connected: tear down,
 *    write Closed, then InitWait for a reconnect (as libxenbe does);
 *  - toolstack removal (online=0 or backend state Closing written by libxl):
 *    tear down and write Closed, then forget the device;
 *  - backend restart finding a stale state (not Initialising): Closing,
 *    Closed, InitWait so the frontend tears down and reconnects.
 */
#ifndef XSND_XENBUS_STATE_H
#define XSND_XENBUS_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "sndif.h"

#define XSND_XB_STATE_ABSENT	(-1)	/* key missing or unreadable */

struct xsnd_xenbus_view {
	bool first_look;	/* first time this backend instance sees the device */
	bool online;		/* backend `online` (absent counts as 1) */
	int be_state;		/* backend `state` as read from xenstore, or ABSENT */
	int fe_state;		/* frontend `state`, or ABSENT */
	bool connected;		/* we currently hold the rings and buffers */
	bool be_removed;	/* backend directory is gone */
};

struct xsnd_xenbus_step {
	bool teardown;		/* unmap everything, unbind, remove nodes */
	bool connect;		/* read transport keys, map, bind; then write Connected */
	bool forget;		/* device is gone for good: free it */
	uint32_t n_writes;
	int writes[3];		/* backend states to write, in order */
};

void xsnd_xenbus_step(const struct xsnd_xenbus_view *v, struct xsnd_xenbus_step *out);

const char *xsnd_xenbus_state_name(int state);

#endif
