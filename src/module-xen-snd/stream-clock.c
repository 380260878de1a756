/* SPDX-License-Identifier: MIT */
/*
 * The streams' own clock: one timer on the data thread for all open
 * streams, armed while there are any.
 *
 * A guest stream's pointer normally moves in the graph's process callback.
 * When the graph does not run the node (it waits for links that never come,
 * the session manager is slow to configure it, no driver runs), the tick
 * moves it instead (xsnd_stream_clock_tick in stream-data.c); otherwise the
 * guest's ALSA core would fail the stream after 1.1 buffer times. One timer
 * for all streams keeps the cost of a healthy graph at one wakeup a tick.
 *
 * The list and the timer belong to the data thread; the main thread changes
 * them only through pw_loop_invoke.
 */
#include <errno.h>
#include <time.h>

#include "xen-snd.h"


static void on_tick(void *data, uint64_t expirations)
{
	struct impl *impl = data;
	struct xsnd_stream *s;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	spa_list_for_each(s, &impl->clocked, clock_link)
		xsnd_stream_clock_tick(s, SPA_TIMESPEC_TO_NSEC(&ts));
}

static void arm(struct impl *impl, bool on)
{
	struct timespec v = { 0, XSND_CLOCK_TICK_MS * SPA_NSEC_PER_MSEC }, off = { 0, 0 };

	pw_loop_update_timer(impl->data_loop, impl->clock_timer,
			on ? &v : &off, on ? &v : NULL, false);
}

static int do_add(struct spa_loop *loop, bool async, uint32_t seq,
		const void *data, size_t size, void *user_data)
{
	struct xsnd_stream *s = user_data;
	struct impl *impl = s->card->impl;

	if (spa_list_is_empty(&impl->clocked))
		arm(impl, true);
	spa_list_append(&impl->clocked, &s->clock_link);
	return 0;
}

static int do_remove(struct spa_loop *loop, bool async, uint32_t seq,
		const void *data, size_t size, void *user_data)
{
	struct xsnd_stream *s = user_data;
	struct impl *impl = s->card->impl;

	spa_list_remove(&s->clock_link);
	if (spa_list_is_empty(&impl->clocked))
		arm(impl, false);
	return 0;
}

void xsnd_stream_clock_add(struct xsnd_stream *s)
{
	struct impl *impl = s->card->impl;

	if (s->clocked || impl->clock_timer == NULL)
		return;
	pw_loop_invoke(impl->data_loop, do_add, 0, NULL, 0, true, s);
	s->clocked = true;
}

void xsnd_stream_clock_remove(struct xsnd_stream *s)
{
	if (!s->clocked)
		return;
	pw_loop_invoke(s->card->impl->data_loop, do_remove, 0, NULL, 0, true, s);
	s->clocked = false;
}

static int do_start(struct spa_loop *loop, bool async, uint32_t seq,
		const void *data, size_t size, void *user_data)
{
	struct impl *impl = user_data;

	impl->clock_timer = pw_loop_add_timer(impl->data_loop, on_tick, impl);
	return impl->clock_timer ? 0 : -errno;
}

int xsnd_clock_start(struct impl *impl)
{
	spa_list_init(&impl->clocked);
	return pw_loop_invoke(impl->data_loop, do_start, 0, NULL, 0, true, impl);
}

static int do_stop(struct spa_loop *loop, bool async, uint32_t seq,
		const void *data, size_t size, void *user_data)
{
	struct impl *impl = user_data;

	pw_loop_destroy_source(impl->data_loop, impl->clock_timer);
	impl->clock_timer = NULL;
	return 0;
}

/* After every stream is gone. */
void xsnd_clock_stop(struct impl *impl)
{
	if (impl->clock_timer)
		pw_loop_invoke(impl->data_loop, do_stop, 0, NULL, 0, true, impl);
}
