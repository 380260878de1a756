/* SPDX-License-Identifier: MIT */
/*
 * vsnd-guest: plays the Xen toolstack and one or more guests (Linux
 * snd_xen_front plus an ALSA application) against the Xen simulator, on
 * one thread: a poll loop over the simulator's event-channel and
 * libxenstore watch descriptors, with the toolstack and every application
 * as cooperative tasks.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <strings.h>
#include <xenstore.h>

#include "vg.h"
#include "xensim.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: vsnd-guest --control SOCKET [global options] VM [VM ...]\n"
"  VM := --vm DOMID [--name NAME] [--vsnd SPEC [--xs-write KEY=VALUE]...]...\n"
"        [--play OPTS] [--record OPTS] [--detach] [--delay-report]\n"
"  SPEC: the items of an xl vsnd line, e.g.\n"
"        \"['CARD, sample-rates=44100;48000', 'PCM, name=Main', 'STREAM, unique-id=pb0, type=p']\"\n"
"  OPTS: comma separated key=value: card= pcm= sub= source=counter|tone|wav|silence|marker\n"
"        file= freq= amp= mark-every= (ms) mark-len= (frames)\n"
"        rate= format= channels= period= buffer= (frames)\n"
"        duration= (s) frames= start-delay= (ms) pause=AT:LEN pause-resume=AT:LEN\n"
"        (source=wav: rate, format, channels and length from the WAV header)\n"
"        stop=AT:LEN (ms after the first START) cycles= files= no-hw-free no-drain expect-fail\n"
"global: --stats FILE (JSON)  --trace FILE (CSV)  --quiet  --no-destroy\n"
"        --init-timeout MS (10000)  --destroy-timeout MS (10000)\n");
}

static int parse_ms_pair(const char *v, int64_t *at, int64_t *len)
{
	char *end;

	*at = strtoll(v, &end, 10);
	if (*end != ':' || *at < 0)
		return -EINVAL;
	*len = strtoll(end + 1, &end, 10);
	return (*end || *len < 0) ? -EINVAL : 0;
}

static int parse_app(struct vg_app_cfg *c, bool playback, const char *arg)
{
	char tmp[1024], *save = NULL, *tok;

	memset(c, 0, sizeof(*c));
	c->playback = playback;
	c->source = VG_SRC_COUNTER;
	c->freq = 440.0;
	c->amp = 0.5;
	c->mark_every_ms = 100;
	c->rate = 48000;
	c->channels = 2;
	c->format = vg_format_by_name("s16_le");
	c->period = 1024;
	c->buffer = 4096;
	c->duration = 1.0;
	c->cycles = 1;
	c->files = 1;
	c->pause_at_ms = c->presume_at_ms = c->stop_at_ms = -1;
	if (snprintf(tmp, sizeof(tmp), "%s", arg) >= (int)sizeof(tmp))
		return -EINVAL;
	for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');

		if (v)
			*v++ = '\0';
		else
			v = "";
#define IS(k) (strcmp(tok, k) == 0)
		if (IS("card")) c->devid = (uint32_t)atoi(v);
		else if (IS("pcm")) c->pcm = (uint32_t)atoi(v);
		else if (IS("sub")) c->sub = (uint32_t)atoi(v);
		else if (IS("source")) {
			if (strcmp(v, "counter") == 0) c->source = VG_SRC_COUNTER;
			else if (strcmp(v, "tone") == 0) c->source = VG_SRC_TONE;
			else if (strcmp(v, "wav") == 0) c->source = VG_SRC_WAV;
			else if (strcmp(v, "silence") == 0) c->source = VG_SRC_SILENCE;
			else if (strcmp(v, "marker") == 0) c->source = VG_SRC_MARKER;
			else return -EINVAL;
		} else if (IS("file") || IS("out")) snprintf(c->file, sizeof(c->file), "%s", v);
		else if (IS("freq")) c->freq = atof(v);
		else if (IS("amp")) c->amp = atof(v);
		else if (IS("mark-every")) c->mark_every_ms = (uint32_t)atoi(v);
		else if (IS("mark-len")) c->mark_len = (uint32_t)atoi(v);
		else if (IS("rate")) { c->rate = (uint32_t)atoi(v); c->rate_set = true; }
		else if (IS("format")) {
			if ((c->format = vg_format_by_name(v)) == NULL) {
				vg_err("unknown format '%s'", v);
				return -EINVAL;
			}
			c->format_set = true;
		} else if (IS("channels")) { c->channels = (uint32_t)atoi(v); c->channels_set = true; }
		else if (IS("period")) c->period = (uint32_t)atoi(v);
		else if (IS("buffer")) c->buffer = (uint32_t)atoi(v);
		else if (IS("duration")) { c->duration = atof(v); c->length_set = true; }
		else if (IS("frames")) { c->frames = strtoull(v, NULL, 10); c->length_set = true; }
		else if (IS("start-delay")) c->start_delay_ms = atoll(v);
		else if (IS("pause")) { if (parse_ms_pair(v, &c->pause_at_ms, &c->pause_len_ms)) return -EINVAL; }
		else if (IS("pause-resume")) { if (parse_ms_pair(v, &c->presume_at_ms, &c->presume_len_ms)) return -EINVAL; }
		else if (IS("stop")) { if (parse_ms_pair(v, &c->stop_at_ms, &c->stop_len_ms)) return -EINVAL; }
		else if (IS("cycles")) c->cycles = (uint32_t)atoi(v);
		else if (IS("files")) c->files = (uint32_t)atoi(v);
		else if (IS("no-hw-free")) c->no_hw_free = true;
		else if (IS("no-drain")) c->no_drain = true;
		else if (IS("expect-fail")) c->expect_fail = true;
		else {
			vg_err("unknown stream option '%s'", tok);
			return -EINVAL;
		}
#undef IS
	}
	if (c->channels == 0 || c->channels > 64 || c->rate == 0 || c->period == 0 ||
	    c->buffer == 0 || c->cycles == 0 || c->files == 0 || c->files > 1000 ||
	    c->duration < 0 || c->mark_every_ms == 0 ||
	    c->mark_every_ms > 60000)
		return -EINVAL;
	if (c->source == VG_SRC_WAV && playback && c->file[0] == '\0')
		return -EINVAL;
	return 0;
}

/*
 * aplay takes rate, channels and format from the WAV header. An option that
 * says otherwise is refused rather than followed: aplay would play the file
 * at the wrong speed or not at all, and a test asking for it is wrong.
 */
static int app_wav_open(struct vg_app *app)
{
	struct vg_app_cfg *c = &app->cfg;
	struct vg_wav *w = &app->wav;
	char err[320];
	int res;

	if ((res = vg_wav_open_read(w, c->file, err, sizeof(err))) < 0) {
		vg_err("%s", err);
		return res;
	}
	if (c->rate_set && c->rate != w->rate)
		vg_err("%s: the WAV header says %u Hz, but rate=%u was given", c->file, w->rate, c->rate);
	else if (c->channels_set && c->channels != w->channels)
		vg_err("%s: the WAV header says %u channel(s), but channels=%u was given", c->file,
				w->channels, c->channels);
	else if (c->format_set && c->format != w->format)
		vg_err("%s: the WAV header says %s, but format=%s was given", c->file,
				w->format->name, c->format->name);
	else {
		c->rate = w->rate;
		c->channels = w->channels;
		c->format = w->format;
		return 0;
	}
	vg_wav_close(w);
	return -EINVAL;
}

static int parse_args(struct vg_ctx *ctx, int argc, char **argv)
{
	struct vg_guest *g = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define NEED() do { if (v == NULL) { vg_err("%s needs a value", a); return -EINVAL; } i++; } while (0)
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--control") == 0) {
			NEED();
			snprintf(ctx->control, sizeof(ctx->control), "%s", v);
		} else if (strcmp(a, "--stats") == 0) {
			NEED();
			ctx->stats_path = v;
		} else if (strcmp(a, "--trace") == 0) {
			NEED();
			if ((ctx->trace = fopen(v, "w")) == NULL) {
				vg_err("%s: %s", v, strerror(errno));
				return -errno;
			}
			fprintf(ctx->trace, "time_ns,stream,event,value,value2,hw_ptr,appl_ptr,delay\n");
		} else if (strcmp(a, "--quiet") == 0) {
			ctx->quiet = true;
		} else if (strcmp(a, "--no-destroy") == 0) {
			ctx->no_destroy = true;
		} else if (strcmp(a, "--init-timeout") == 0) {
			NEED();
			ctx->init_timeout_ms = atoll(v);
		} else if (strcmp(a, "--destroy-timeout") == 0) {
			NEED();
			ctx->destroy_timeout_ms = atoll(v);
		} else if (strcmp(a, "--vm") == 0) {
			char *end;
			unsigned long d;

			NEED();
			d = strtoul(v, &end, 10);
			if (*end || d == 0 || d >= 0x7ff0 || ctx->n_guests == VG_MAX_GUESTS) {
				vg_err("--vm: bad domid '%s'", v);
				return -EINVAL;
			}
			g = &ctx->guests[ctx->n_guests++];
			g->ctx = ctx;
			g->domid = (uint32_t)d;
			snprintf(g->name, sizeof(g->name), "guest%lu", d);
		} else if (g == NULL) {
			vg_err("%s: give --vm first", a);
			return -EINVAL;
		} else if (strcmp(a, "--name") == 0) {
			NEED();
			snprintf(g->name, sizeof(g->name), "%s", v);
		} else if (strcmp(a, "--detach") == 0) {
			g->detach = true;
		} else if (strcmp(a, "--delay-report") == 0) {
			g->delay_report = true;
		} else if (strcmp(a, "--vsnd") == 0) {
			struct vg_card_spec *cs;
			const char *items[64];
			char err[256];
			int n;

			NEED();
			if (g->n_cards == VG_MAX_CARDS)
				return -E2BIG;
			cs = &g->cards[g->n_cards];
			n = vg_vsnd_spec_split(v, cs->raw, sizeof(cs->raw), items, 64);
			if (n < 0 || vg_vsnd_spec_parse(&cs->spec, items, (size_t)n, err, sizeof(err)) < 0) {
				vg_err("%s", n < 0 ? "Invalid vsnd spec (quotes)" : err);
				return -EINVAL;
			}
			g->fronts[g->n_cards].guest = g;
			g->fronts[g->n_cards].devid = g->n_cards;
			g->n_cards++;
		} else if (strcmp(a, "--xs-write") == 0) {
			char kv[VG_SPEC_KEY_MAX + VG_SPEC_VALUE_MAX], *eq;

			NEED();
			snprintf(kv, sizeof(kv), "%s", v);
			if (g->n_cards == 0 || (eq = strchr(kv, '=')) == NULL) {
				vg_err("--xs-write KEY=VALUE goes after a --vsnd");
				return -EINVAL;
			}
			*eq = '\0';
			if (vg_vsnd_spec_set(&g->cards[g->n_cards - 1].spec, kv, eq + 1) < 0)
				return -E2BIG;
		} else if (strcmp(a, "--play") == 0 || strcmp(a, "--record") == 0) {
			struct vg_app *app;

			NEED();
			if (g->n_apps == VG_MAX_APPS)
				return -E2BIG;
			app = &g->apps[g->n_apps];
			if (parse_app(&app->cfg, a[2] == 'p', v) < 0) {
				vg_err("%s: bad options '%s'", a, v);
				return -EINVAL;
			}
			if (app->cfg.playback && app->cfg.source == VG_SRC_WAV && app_wav_open(app) < 0)
				return -EINVAL;
			app->guest = g;
			app->stats.playback = app->cfg.playback;
			snprintf(app->stats.name, sizeof(app->stats.name), "vm%u/%u/%u/%s%u", g->domid,
					app->cfg.devid, app->cfg.pcm, app->cfg.playback ? "p" : "c",
					app->cfg.sub);
			g->n_apps++;
		} else {
			vg_err("unknown option '%s'", a);
			return -EINVAL;
		}
#undef NEED
	}
	if (ctx->control[0] == '\0' || ctx->n_guests == 0) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static bool apps_finished(void *data)
{
	struct vg_ctx *ctx = data;

	for (uint32_t i = 0; i < ctx->n_guests; i++) {
		struct vg_guest *g = &ctx->guests[i];

		if (!g->running)
			continue;
		for (uint32_t j = 0; j < g->n_apps; j++)
			if (!g->apps[j].finished)
				return false;
	}
	return true;
}

static bool fronts_connected(void *data)
{
	struct vg_ctx *ctx = data;

	for (uint32_t i = 0; i < ctx->n_guests; i++) {
		struct vg_guest *g = &ctx->guests[i];

		for (uint32_t d = 0; g->running && d < g->n_cards; d++)
			if (g->fronts[d].state != XenbusStateConnected)
				return false;
	}
	return true;
}

static int guest_start(struct vg_ctx *ctx, struct vg_guest *g)
{
	g->sim = xensim_connect(ctx->control, g->domid);
	if (g->sim == NULL) {
		vg_err("vm%u: cannot connect to the simulator: %s", g->domid, strerror(errno));
		return -errno;
	}
	g->xs = vg_xs_open(ctx->control, g->domid);
	if (g->xs == NULL) {
		vg_err("vm%u: cannot open xenstore: %s", g->domid, strerror(errno));
		return -errno;
	}
	for (uint32_t i = 0; i < g->n_cards; i++) {
		int res = vg_front_probe(&g->fronts[i]);
		if (res < 0)
			return res;
	}
	for (uint32_t j = 0; j < g->n_apps; j++) {
		int res = vg_co_init(&g->apps[j].co, &ctx->main_ctx, vg_app_main, &g->apps[j]);
		if (res < 0)
			return res;
	}
	g->running = true;
	return 0;
}

/* Domain "pause": the guest stops reacting to anything. */
static void guest_stop(struct vg_guest *g)
{
	g->running = false;
}

/* The xl side: create every domain, let the guests run, then tear down. */
static void toolstack_main(struct vg_co *co, void *data)
{
	struct vg_ctx *ctx = data;
	bool ok = true;

	for (uint32_t i = 0; i < ctx->n_guests; i++) {
		struct vg_guest *g = &ctx->guests[i];

		if (vg_ts_domain_create(ctx, co, g) < 0 || guest_start(ctx, g) < 0) {
			g->failed = true;
			ok = false;
		}
	}
	/* Every frontend must come up (a guest without applications too). */
	if (vg_co_wait(co, fronts_connected, ctx, vg_now_ns() + 30 * 1000000000ll) < 0) {
		vg_err("a vsnd frontend did not reach Connected within 30 s");
		ok = false;
	}
	vg_co_wait(co, apps_finished, ctx, INT64_MAX);
	for (uint32_t i = 0; i < ctx->n_guests; i++) {
		struct vg_guest *g = &ctx->guests[i];

		if (g->failed || ctx->no_destroy)
			continue;
		if (g->detach) {
			for (uint32_t d = 0; d < g->n_cards; d++)
				if (vg_ts_vsnd_detach(ctx, co, g, d) < 0)
					ok = false;
			guest_stop(g);
		} else {
			guest_stop(g);
			if (vg_ts_domain_destroy(ctx, co, g) < 0)
				ok = false;
		}
	}
	ctx->ts_ok = ok;
}

static void handle_watches(struct vg_ctx *ctx, struct xs_handle *xs, struct vg_guest *g)
{
	char **vec;
	unsigned int n;

	/* Bounded: a watch storm cannot starve the rest of the loop. */
	for (int i = 0; i < 256 && (vec = xs_check_watch(xs)) != NULL; i++) {
		(void)n;
		if (g == NULL)
			ctx->ts_watch_fired = true;
		else if (g->running)
			vg_front_watch_fired(g, vec[XS_WATCH_PATH], vec[XS_WATCH_TOKEN]);
		free(vec);
	}
}

static void handle_evtchn(struct vg_guest *g)
{
	int port;

	for (int i = 0; i < 1024 && (port = xensim_evtchn_pending(g->sim)) >= 0; i++) {
		if (g->running)
			vg_front_evtchn(g, port);
		xensim_evtchn_unmask(g->sim, (uint32_t)port);
	}
}

static void loop(struct vg_ctx *ctx)
{
	while (!ctx->ts_co.done) {
		struct pollfd fds[2 + 2 * VG_MAX_GUESTS];
		struct vg_guest *owner[2 + 2 * VG_MAX_GUESTS];
		bool is_xs[2 + 2 * VG_MAX_GUESTS];
		int64_t deadline = ctx->ts_co.deadline, now;
		int nfds = 0, timeout;

		fds[nfds] = (struct pollfd){ .fd = xs_fileno(ctx->xs0), .events = POLLIN };
		owner[nfds] = NULL;
		is_xs[nfds++] = true;
		for (uint32_t i = 0; i < ctx->n_guests; i++) {
			struct vg_guest *g = &ctx->guests[i];

			if (g->sim == NULL || g->xs == NULL)
				continue;
			fds[nfds] = (struct pollfd){ .fd = xs_fileno(g->xs), .events = POLLIN };
			owner[nfds] = g;
			is_xs[nfds++] = true;
			fds[nfds] = (struct pollfd){ .fd = xensim_evtchn_fd(g->sim), .events = POLLIN };
			owner[nfds] = g;
			is_xs[nfds++] = false;
			for (uint32_t j = 0; j < g->n_apps; j++)
				if (g->running && !g->apps[j].co.done && g->apps[j].co.deadline < deadline)
					deadline = g->apps[j].co.deadline;
		}
		now = vg_now_ns();
		timeout = deadline <= now ? 0 : deadline - now > 100000000 ? 100 :
			(int)((deadline - now + 999999) / 1000000);
		if (poll(fds, (nfds_t)nfds, timeout) < 0 && errno != EINTR) {
			vg_err("poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < nfds; i++) {
			if (!(fds[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (is_xs[i])
				handle_watches(ctx, owner[i] ? owner[i]->xs : ctx->xs0, owner[i]);
			else
				handle_evtchn(owner[i]);
		}
		/* Every task re-checks what it waits for. */
		for (uint32_t i = 0; i < ctx->n_guests; i++) {
			struct vg_guest *g = &ctx->guests[i];

			for (uint32_t j = 0; g->running && j < g->n_apps; j++)
				vg_co_resume(&g->apps[j].co);
			if (g->sim != NULL)
				vg_grant_retry(g);
		}
		vg_co_resume(&ctx->ts_co);
	}
}

int main(int argc, char **argv)
{
	struct vg_ctx *ctx = calloc(1, sizeof(*ctx));
	struct vg_stream_stats *all[VG_MAX_GUESTS * VG_MAX_APPS];
	uint32_t n_all = 0;
	bool ok;

	if (ctx == NULL)
		return 1;
	ctx->init_timeout_ms = 10000;
	ctx->destroy_timeout_ms = 10000;
	if (parse_args(ctx, argc, argv) < 0)
		return 2;
	ctx->sim0 = xensim_connect(ctx->control, 0);
	if (ctx->sim0 == NULL) {
		vg_err("cannot connect to the simulator at %s: %s", ctx->control, strerror(errno));
		return 1;
	}
	ctx->xs0 = vg_xs_open(ctx->control, 0);
	if (ctx->xs0 == NULL) {
		vg_err("cannot open xenstore for domain 0: %s", strerror(errno));
		return 1;
	}
	if (vg_co_init(&ctx->ts_co, &ctx->main_ctx, toolstack_main, ctx) < 0)
		return 1;
	ctx->ts_co.deadline = 0;
	vg_co_resume(&ctx->ts_co);
	loop(ctx);

	ok = ctx->ts_ok;
	for (uint32_t i = 0; i < ctx->n_guests; i++) {
		struct vg_guest *g = &ctx->guests[i];

		if (g->failed)
			ok = false;
		for (uint32_t j = 0; j < g->n_apps; j++) {
			struct vg_app *app = &g->apps[j];

			if (!app->finished) {
				snprintf(app->stats.result, sizeof(app->stats.result), "not run (domain failed)");
				app->stats.ok = false;
			}
			if (!app->stats.ok)
				ok = false;
			all[n_all++] = &app->stats;
		}
	}
	if (!ctx->quiet)
		vg_stats_print_table(stdout, all, n_all);
	if (ctx->stats_path && vg_stats_write_json(ctx->stats_path, all, n_all, ok) < 0) {
		vg_err("%s: cannot write statistics", ctx->stats_path);
		ok = false;
	}
	if (ctx->trace)
		fclose(ctx->trace);
	for (uint32_t i = 0; i < n_all; i++)
		vg_stats_free(all[i]);
	return ok ? 0 : 1;
}
