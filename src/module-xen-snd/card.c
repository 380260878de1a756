/* SPDX-License-Identifier: MIT */
/*
 * A card's transport: reads the guest's configuration, then for every stream
 * maps the request ring and the event page and binds both event channels.
 * Either all of it succeeds or nothing stays mapped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <spa/utils/result.h>

#include "xen-snd.h"
#include "../xen/xs-util.h"

static int stream_bind(struct xsnd_card *card, struct xsnd_stream *s)
{
	struct xsnd_xen *xen = card->impl->xen;
	struct xsnd_error err = { 0 };
	int res;

	res = xsnd_stream_transport_parse(&s->transport, card->fe_path, s->cfg,
			xsnd_xs_read, xen->xs, &err);
	if (res < 0) {
		pw_log_warn("domain %u (%s) vsnd %u: %s", card->domid, card->vm->name,
				card->devid, err.msg);
		return res;
	}
	s->ring_page = xsnd_xen_map_grants(xen, card->domid, 1, &s->transport.ring_ref, true);
	if (s->ring_page == NULL)
		goto map_error;
	/* The frontend initialised the shared ring; we only attach to it. */
	BACK_RING_INIT(&s->ring, (struct xen_sndif_sring *)s->ring_page, XSND_PAGE_SIZE);

	s->evt_page = xsnd_xen_map_grants(xen, card->domid, 1, &s->transport.evt_ring_ref, true);
	if (s->evt_page == NULL)
		goto map_error;
	xsnd_event_producer_init(&s->evt, s->evt_page);

	s->ring_port = xsnd_xen_evtchn_bind(xen, card->domid, s->transport.evtchn);
	if (s->ring_port < 0) {
		res = s->ring_port;
		goto bind_error;
	}
	s->evt_port = xsnd_xen_evtchn_bind(xen, card->domid, s->transport.evt_evtchn);
	if (s->evt_port < 0) {
		res = s->evt_port;
		goto bind_error;
	}
	return 0;

map_error:
	res = -errno;
	pw_log_warn("domain %u (%s) vsnd %u stream %u: cannot map ring grants %u/%u: %s",
			card->domid, card->vm->name, card->devid, s->cfg->index,
			s->transport.ring_ref, s->transport.evt_ring_ref, spa_strerror(res));
	return res;
bind_error:
	pw_log_warn("domain %u (%s) vsnd %u stream %u: cannot bind event channels %u/%u: %s",
			card->domid, card->vm->name, card->devid, s->cfg->index,
			s->transport.evtchn, s->transport.evt_evtchn, spa_strerror(res));
	return res;
}

/* The delay extension (docs/protocol-delay.md): on only if the frontend
 * wrote exactly "1". */
static bool read_delay_request(struct xsnd_card *card)
{
	char path[160], val[8];

	snprintf(path, sizeof(path), "%s/%s", card->fe_path, XSND_FIELD_REQUEST_DELAY);
	return xsnd_xs_read(card->impl->xen->xs, path, val, sizeof(val)) == 1 && val[0] == '1';
}

int xsnd_card_connect(struct xsnd_card *card)
{
	struct impl *impl = card->impl;
	struct xsnd_error err = { 0 };
	uint32_t p, i;
	int res;

	card->cfg = calloc(1, sizeof(*card->cfg));
	if (card->cfg == NULL)
		return -errno;
	res = xsnd_card_config_parse(card->cfg, card->fe_path, xsnd_xs_read, impl->xen->xs, &err);
	if (res < 0) {
		pw_log_warn("domain %u (%s) vsnd %u: bad configuration: %s",
				card->domid, card->vm->name, card->devid, err.msg);
		goto error;
	}
	for (i = 0; i < SPA_MIN(card->cfg->n_warnings, XSND_CONFIG_WARNINGS_MAX); i++)
		pw_log_warn("domain %u (%s) vsnd %u: configuration: %s", card->domid,
				card->vm->name, card->devid, card->cfg->warnings[i]);
	if (card->cfg->n_warnings > XSND_CONFIG_WARNINGS_MAX)
		pw_log_warn("domain %u (%s) vsnd %u: configuration: %u more warnings",
				card->domid, card->vm->name, card->devid,
				card->cfg->n_warnings - XSND_CONFIG_WARNINGS_MAX);
	for (p = 0; p < card->cfg->n_pcms; p++) {
		struct xsnd_pcm_config *pcm = &card->cfg->pcms[p];
		for (i = 0; i < pcm->n_streams; i++) {
			struct xsnd_stream *s = xsnd_stream_new(card, &pcm->streams[i]);
			if (s == NULL) {
				res = -errno;
				goto error;
			}
			if ((res = stream_bind(card, s)) < 0)
				goto error;
		}
	}
	card->delay_ext = read_delay_request(card);
	card->connected = true;
	pw_log_info("domain %u (%s) vsnd %u: connected, %u PCM devices, %u streams%s",
			card->domid, card->vm->name, card->devid, card->cfg->n_pcms,
			card->cfg->n_streams, card->delay_ext ? ", delay reports" : "");
	return 0;

error:
	card->connected = true;	/* so that disconnect releases the partial state */
	xsnd_card_disconnect(card);
	return res < 0 ? res : -EINVAL;
}

void xsnd_card_disconnect(struct xsnd_card *card)
{
	struct xsnd_stream *s, *t;

	spa_list_for_each_safe(s, t, &card->streams, link)
		xsnd_stream_destroy(s);
	free(card->cfg);
	card->cfg = NULL;
	if (card->connected)
		pw_log_info("domain %u (%s) vsnd %u: disconnected", card->domid,
				card->vm->name, card->devid);
	card->connected = false;
}
