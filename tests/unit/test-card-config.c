/* SPDX-License-Identifier: MIT */
/* Card configuration: Linux defaults, inheritance, limits, hostile values. */
#include <errno.h>

#include "card-config.h"
#include "format.h"
#include "fake-xenstore.h"
#include "test.h"

#define FE "/local/domain/3/device/vsnd/0"
#define FMT_BIT(x) (UINT64_C(1) << XENSND_PCM_FORMAT_##x)

static uint32_t rate_bit(uint32_t rate)
{
	uint32_t i;

	for (i = 0; i < XSND_N_RATES; i++)
		if (xsnd_known_rates[i] == rate)
			return 1u << i;
	t_fail(__FILE__, __LINE__, "not a known rate");
}

static void minimal(struct fake_xs *xs)
{
	memset(xs, 0, sizeof(*xs));
	fake_xs_set(xs, FE "/state", "1");
	fake_xs_set(xs, FE "/0/0/type", "p");
}

static void check_default_hw(const struct xsnd_pcm_hw *hw)
{
	CHECK_EQ(hw->formats, FMT_BIT(U8) | FMT_BIT(S16_LE));
	CHECK(hw->rate_continuous);
	CHECK_EQ(hw->rate_min, 5512);
	CHECK_EQ(hw->rate_max, 48000);
	/* SNDRV_PCM_RATE_8000_48000: 5512 and the rates above 48k excluded. */
	CHECK_EQ(hw->rates, rate_bit(8000) | rate_bit(11025) | rate_bit(16000) | rate_bit(22050) |
			rate_bit(32000) | rate_bit(44100) | rate_bit(48000));
	CHECK_EQ(hw->channels_min, 1);
	CHECK_EQ(hw->channels_max, 2);
	CHECK_EQ(hw->buffer_bytes_max, 65536);
	CHECK_EQ(hw->period_bytes_min, 64);
	CHECK_EQ(hw->period_bytes_max, 65536);
	CHECK_EQ(hw->periods_min, 2);
	CHECK_EQ(hw->periods_max, 1024);
}

static void test_defaults(void)
{
	struct fake_xs xs;
	struct xsnd_card_config cfg;
	struct xsnd_error err = { 0 };

	minimal(&xs);
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.n_pcms, 1);
	CHECK_EQ(cfg.n_streams, 1);
	CHECK_EQ(cfg.pcms[0].n_streams, 1);
	CHECK_STR(cfg.short_name, "");
	CHECK_STR(cfg.pcms[0].name, "");
	CHECK_EQ(cfg.pcms[0].streams[0].type, XSND_STREAM_PLAYBACK);
	CHECK(!cfg.pcms[0].streams[0].has_unique_id);
	check_default_hw(&cfg.hw);
	check_default_hw(&cfg.pcms[0].hw);
	check_default_hw(&cfg.pcms[0].streams[0].hw);
}

static void test_inheritance(void)
{
	struct fake_xs xs;
	struct xsnd_card_config cfg;
	struct xsnd_error err = { 0 };
	const struct xsnd_stream_config *s;

	minimal(&xs);
	fake_xs_set(&xs, FE "/short-name", "Card");
	fake_xs_set(&xs, FE "/long-name", "Virtual\tcard");
	/* 12345 is not one of the 12 rates: dropped, as Linux does. */
	fake_xs_set(&xs, FE "/sample-rates", "44100,12345,48000");
	fake_xs_set(&xs, FE "/channels-max", "8");
	fake_xs_set(&xs, FE "/0/name", "General");
	fake_xs_set(&xs, FE "/0/sample-formats", "S32_LE,Float_LE,bogus,f32_le");
	fake_xs_set(&xs, FE "/0/0/channels-min", "2");
	fake_xs_set(&xs, FE "/0/0/unique-id", "pulse:alsa_output.pci");
	fake_xs_set(&xs, FE "/0/1/type", "C");
	fake_xs_set(&xs, FE "/0/1/buffer-size", "131072");
	fake_xs_set(&xs, FE "/1/0/type", "P");
	fake_xs_set(&xs, FE "/1/0/sample-rates", "8000");
	fake_xs_set(&xs, FE "/1/0/channels-max", "1");

	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_STR(cfg.short_name, "Card");
	CHECK_STR(cfg.long_name, "Virtual_card");
	CHECK_EQ(cfg.n_pcms, 2);
	CHECK_EQ(cfg.n_streams, 3);
	CHECK_STR(cfg.pcms[0].name, "General");

	CHECK(!cfg.hw.rate_continuous);
	CHECK_EQ(cfg.hw.rates, rate_bit(44100) | rate_bit(48000));
	CHECK_EQ(cfg.hw.rate_min, 44100);
	CHECK_EQ(cfg.hw.rate_max, 48000);
	CHECK_EQ(cfg.hw.channels_max, 8);
	CHECK_EQ(cfg.hw.formats, FMT_BIT(U8) | FMT_BIT(S16_LE));
	CHECK_EQ(cfg.pcms[0].hw.formats, FMT_BIT(S32_LE) | FMT_BIT(F32_LE));
	CHECK_EQ(cfg.pcms[0].hw.channels_max, 8);

	s = &cfg.pcms[0].streams[0];
	CHECK_EQ(s->type, XSND_STREAM_PLAYBACK);
	CHECK_EQ(s->index, 0);
	CHECK(s->has_unique_id);
	CHECK_STR(s->unique_id, "pulse:alsa_output.pci");
	CHECK_EQ(s->hw.channels_min, 2);
	CHECK_EQ(s->hw.channels_max, 8);
	CHECK_EQ(s->hw.formats, FMT_BIT(S32_LE) | FMT_BIT(F32_LE));
	CHECK_EQ(s->hw.rates, rate_bit(44100) | rate_bit(48000));
	CHECK_EQ(s->hw.buffer_bytes_max, 65536);

	s = &cfg.pcms[0].streams[1];
	CHECK_EQ(s->type, XSND_STREAM_CAPTURE);
	CHECK_EQ(s->pcm, 0);
	CHECK_EQ(s->stream, 1);
	CHECK_EQ(s->index, 1);
	CHECK(!s->has_unique_id);
	CHECK_EQ(s->hw.channels_min, 1);
	CHECK_EQ(s->hw.buffer_bytes_max, 131072);
	CHECK_EQ(s->hw.period_bytes_max, 131072);
	CHECK_EQ(s->hw.periods_max, 131072 / 64);

	s = &cfg.pcms[1].streams[0];
	CHECK_EQ(s->pcm, 1);
	CHECK_EQ(s->stream, 0);
	CHECK_EQ(s->index, 2);
	CHECK_EQ(s->type, XSND_STREAM_PLAYBACK);
	CHECK_EQ(s->hw.rates, rate_bit(8000));
	CHECK_EQ(s->hw.rate_min, 8000);
	CHECK_EQ(s->hw.rate_max, 8000);
	CHECK_EQ(s->hw.channels_max, 1);
	/* pcm 1 inherits the card, not pcm 0. */
	CHECK_EQ(s->hw.formats, FMT_BIT(U8) | FMT_BIT(S16_LE));
}

static void test_all_known_rates(void)
{
	struct fake_xs xs;
	struct xsnd_card_config cfg;
	struct xsnd_error err = { 0 };

	minimal(&xs);
	fake_xs_set(&xs, FE "/sample-rates",
			"5512,8000,11025,16000,22050,32000,44100,48000,64000,96000,176400,192000");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.hw.rates, (1u << XSND_N_RATES) - 1);
	CHECK_EQ(cfg.hw.rate_min, 5512);
	CHECK_EQ(cfg.hw.rate_max, 192000);
	/* Exact strings only: no spaces, no leading zeros (Linux strncasecmp). */
	fake_xs_set(&xs, FE "/sample-rates", " 8000,08000,44100");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.hw.rates, rate_bit(44100));
}

static void test_enumeration(void)
{
	static const char *const pcm_type[XSND_MAX_PCMS + 1] = {
		FE "/0/0/type", FE "/1/0/type", FE "/2/0/type", FE "/3/0/type", FE "/4/0/type",
		FE "/5/0/type", FE "/6/0/type", FE "/7/0/type", FE "/8/0/type",
	};
	static const char *const stream_type[XSND_MAX_STREAMS_PER_PCM + 1] = {
		FE "/0/0/type", FE "/0/1/type", FE "/0/2/type", FE "/0/3/type", FE "/0/4/type",
		FE "/0/5/type", FE "/0/6/type", FE "/0/7/type", FE "/0/8/type",
	};
	struct fake_xs xs;
	struct xsnd_card_config cfg;
	struct xsnd_error err = { 0 };
	uint32_t i;

	/* No PCM device at all. */
	memset(&xs, 0, sizeof(xs));
	fake_xs_set(&xs, FE "/state", "1");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), -ENODEV);
	CHECK_HAS(err.msg, FE "/0");

	/* A gap ends the list: 0 and 2 present, 2 is never seen. */
	minimal(&xs);
	fake_xs_set(&xs, FE "/2/0/type", "p");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.n_pcms, 1);

	/* Exactly the maximum of PCM devices, then one more. */
	memset(&xs, 0, sizeof(xs));
	for (i = 0; i < XSND_MAX_PCMS; i++)
		fake_xs_set(&xs, pcm_type[i], "p");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.n_pcms, XSND_MAX_PCMS);
	CHECK_EQ(cfg.pcms[7].streams[0].index, 7);
	CHECK_EQ(cfg.n_warnings, 0);
	/* One more is ignored, as Linux stops at SNDRV_PCM_DEVICES, with a warning. */
	fake_xs_set(&xs, pcm_type[XSND_MAX_PCMS], "p");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.n_pcms, XSND_MAX_PCMS);
	CHECK_EQ(cfg.n_streams, XSND_MAX_PCMS);
	CHECK_EQ(cfg.n_warnings, 1);
	CHECK_HAS(cfg.warnings[0], FE "/8 and after are ignored");

	/* Exactly the maximum of streams, then one more. */
	memset(&xs, 0, sizeof(xs));
	for (i = 0; i < XSND_MAX_STREAMS_PER_PCM; i++)
		fake_xs_set(&xs, stream_type[i], i % 2 ? "c" : "p");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.pcms[0].n_streams, XSND_MAX_STREAMS_PER_PCM);
	CHECK_EQ(cfg.pcms[0].streams[7].type, XSND_STREAM_CAPTURE);
	CHECK_EQ(cfg.pcms[0].streams[7].index, 7);
	fake_xs_set(&xs, stream_type[XSND_MAX_STREAMS_PER_PCM], "p");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.pcms[0].n_streams, XSND_MAX_STREAMS_PER_PCM);
	CHECK_EQ(cfg.n_warnings, 1);
	CHECK_HAS(cfg.warnings[0], FE "/0/8 and after are ignored");

	/* A PCM node with no stream: an empty PCM device, as in Linux... */
	minimal(&xs);
	fake_xs_set(&xs, FE "/1/name", "x");
	fake_xs_set(&xs, FE "/2/0/type", "c");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.n_pcms, 3);
	CHECK_EQ(cfg.pcms[1].n_streams, 0);
	CHECK_EQ(cfg.pcms[2].streams[0].index, 1);
	CHECK_EQ(cfg.pcms[2].streams[0].pcm, 2);
	CHECK_EQ(cfg.n_warnings, 1);
	CHECK_HAS(cfg.warnings[0], FE "/1 has no stream");
	/* ...but a card without any stream has nothing to serve. */
	memset(&xs, 0, sizeof(xs));
	fake_xs_set(&xs, FE "/0/name", "x");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), -ENODEV);
	CHECK_HAS(err.msg, "no PCM device has a stream");

	/* A stream node without type. */
	memset(&xs, 0, sizeof(xs));
	fake_xs_set(&xs, FE "/0/0/ring-ref", "8");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), -EINVAL);
	CHECK_HAS(err.msg, FE "/0/0/type");

	/* A read error other than ENOENT is reported with its path. */
	minimal(&xs);
	xs.fail_path = FE "/0/sample-rates";
	xs.fail_errno = EACCES;
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), -EACCES);
	CHECK_HAS(err.msg, FE "/0/sample-rates");
}

struct bad_case {
	const char *path;
	const char *value;
	int res;
	const char *expect;	/* besides the path: must be in the message */
};

static void test_malformed(void)
{
	static char longval[XSND_VALUE_MAX + 2];
	static char longnum[300];
	static char longid[XSND_UNIQUE_ID_MAX + 2];
	const struct bad_case cases[] = {
		{ FE "/channels-min", "abc", -EINVAL, "abc" },
		{ FE "/channels-min", "-1", -EINVAL, "-1" },
		{ FE "/channels-max", "4294967296", -EINVAL, "4294967296" },
		{ FE "/channels-max", "256", -EINVAL, "256" },
		{ FE "/channels-max", "", -EINVAL, "empty" },
		{ FE "/0/channels-max", "2x", -EINVAL, "2x" },
		{ FE "/0/0/channels-min", " 1", -EINVAL, " 1" },
		{ FE "/buffer-size", "64", -EINVAL, "=64" },
		{ FE "/buffer-size", "999999999999", -EINVAL, "999999999999" },
		{ FE "/0/buffer-size", "1073741824", -EINVAL, "1073741824" },
		{ FE "/0/0/type", "x", -EINVAL, "\"x\"" },
		{ FE "/0/0/type", "pc", -EINVAL, "\"pc\"" },
		{ FE "/0/0/type", "", -EINVAL, "\"\"" },
		{ FE "/0/0/unique-id", longid, -EINVAL, "aaaaaaaaaa" },
		{ FE "/0/0/unique-id", "bad\nid", -EINVAL, "bad?id" },
		{ FE "/0/sample-rates", longval, -EINVAL, "longer than 1024" },
		{ FE "/0/sample-rates", longval, -EINVAL, "=\"1111111111" },
		{ FE "/0/0/buffer-size", "127", -EINVAL, "=127" },
		{ FE "/0/0/channels-max", longnum, -EINVAL, "1222222222" },
	};
	struct fake_xs xs;
	struct xsnd_card_config cfg;
	size_t i;

	memset(longval, '1', sizeof(longval) - 1);
	memset(longnum, '2', sizeof(longnum) - 1);
	longnum[0] = '1';
	memset(longid, 'a', sizeof(longid) - 1);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xsnd_error err = { 0 };
		int res;

		minimal(&xs);
		fake_xs_set(&xs, cases[i].path, cases[i].value);
		res = xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err);
		if (res != cases[i].res || err.res != res ||
		    strstr(err.msg, cases[i].path) == NULL || strstr(err.msg, cases[i].expect) == NULL) {
			fprintf(stderr, "case %zu: %s=\"%.40s\": res %d msg \"%s\"\n",
					i, cases[i].path, cases[i].value, res, err.msg);
			t_fail(__FILE__, __LINE__, "malformed value reported with key and value");
		}
		CHECK(strlen(err.msg) < sizeof(err.msg) - 1);	/* long values are cut */
		CHECK_EQ(cfg.n_pcms, 0);
	}

	/* A value with a NUL byte (xenstore allows it) is quoted up to it. */
	{
		struct xsnd_error err = { 0 };

		minimal(&xs);
		xs.nul_path = FE "/0/0/sample-formats";
		fake_xs_set(&xs, FE "/0/0/sample-formats", "s16_le");
		CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), -EINVAL);
		CHECK_HAS(err.msg, FE "/0/0/sample-formats=\"s16_le\"");
		CHECK_HAS(err.msg, "NUL");
	}
	/* Long names are truncated like Linux's strscpy, not refused. */
	{
		struct xsnd_error err = { 0 };

		minimal(&xs);
		fake_xs_set(&xs, FE "/0/name", longid);
		CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
		CHECK_EQ(strlen(cfg.pcms[0].name), XSND_PCM_NAME_MAX);
	}
}

struct tolerated_case {
	const char *path;
	const char *value;
	const char *warning;	/* must be in the first warning */
};

/* Values Linux reads without complaint: we end up where it does, and warn. */
static void test_tolerated(void)
{
	const struct tolerated_case cases[] = {
		{ FE "/channels-min", "0", FE "/channels-min=0 is ignored" },
		{ FE "/0/channels-max", "0", FE "/0/channels-max=0 is ignored" },
		{ FE "/buffer-size", "0", FE "/buffer-size=0 is ignored" },
		{ FE "/sample-rates", "12345,7", "names no known rate" },
		{ FE "/sample-rates", "", FE "/sample-rates=\"\" names no known rate" },
		{ FE "/0/sample-rates", ",,,", "\",,,\" names no known rate" },
		{ FE "/sample-formats", "bogus", "=\"bogus\" names no known format" },
		{ FE "/0/0/sample-formats", "s16le", "=\"s16le\" names no known format" },
	};
	struct fake_xs xs;
	struct xsnd_card_config cfg;
	struct xsnd_error err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		minimal(&xs);
		fake_xs_set(&xs, cases[i].path, cases[i].value);
		if (xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err) != 0 ||
		    cfg.n_warnings != 1 || strstr(cfg.warnings[0], cases[i].warning) == NULL) {
			fprintf(stderr, "case %zu: %s=\"%s\": %u warnings, \"%s\"\n", i,
					cases[i].path, cases[i].value, cfg.n_warnings,
					cfg.warnings[0]);
			t_fail(__FILE__, __LINE__, "tolerated value taken as Linux does, with a warning");
		}
		/* every one of them leaves the defaults in place */
		check_default_hw(&cfg.pcms[0].streams[0].hw);
	}

	/* Unknown entries beside known ones: the known ones count. */
	minimal(&xs);
	fake_xs_set(&xs, FE "/sample-formats", "s16_le,f32_le,float_le");
	fake_xs_set(&xs, FE "/0/sample-rates", "44100,44.1k,96000");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.pcms[0].streams[0].hw.formats, FMT_BIT(S16_LE) | FMT_BIT(F32_LE));
	CHECK_EQ(cfg.pcms[0].streams[0].hw.rates, rate_bit(44100) | rate_bit(96000));
	CHECK_EQ(cfg.n_warnings, 2);
	CHECK_HAS(cfg.warnings[0], "1 unknown format ignored");
	CHECK_HAS(cfg.warnings[1], "1 unknown rate ignored");

	/* channels-min above an inherited channels-max: Linux lowers min. */
	minimal(&xs);
	fake_xs_set(&xs, FE "/channels-max", "2");
	fake_xs_set(&xs, FE "/0/0/channels-min", "4");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.pcms[0].streams[0].hw.channels_min, 2);
	CHECK_EQ(cfg.pcms[0].streams[0].hw.channels_max, 2);
	CHECK_EQ(cfg.n_warnings, 1);
	CHECK_HAS(cfg.warnings[0], FE "/0/0: channels-min=4 is greater than channels-max=2");

	/* Many warnings: a few kept, all counted. */
	minimal(&xs);
	fake_xs_set(&xs, FE "/channels-min", "0");
	fake_xs_set(&xs, FE "/channels-max", "0");
	fake_xs_set(&xs, FE "/buffer-size", "0");
	fake_xs_set(&xs, FE "/0/channels-min", "0");
	fake_xs_set(&xs, FE "/0/channels-max", "0");
	fake_xs_set(&xs, FE "/0/0/channels-min", "0");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(cfg.n_warnings, 6);
	CHECK_HAS(cfg.warnings[XSND_CONFIG_WARNINGS_MAX - 1], FE "/0/channels-min=0");
}

static void test_parse_u32(void)
{
	struct xsnd_error err = { 0 };
	uint32_t v = 99;

	CHECK_EQ(xsnd_parse_u32("k", "0", 0, 10, &v, &err), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(xsnd_parse_u32("k", "007", 0, 10, &v, &err), 0);
	CHECK_EQ(v, 7);
	CHECK_EQ(xsnd_parse_u32("k", "4294967295", 0, UINT32_MAX, &v, &err), 0);
	CHECK_EQ(v, UINT32_MAX);
	v = 5;
	CHECK_EQ(xsnd_parse_u32("/a/key", "4294967296", 0, UINT32_MAX, &v, &err), -EINVAL);
	CHECK_HAS(err.msg, "/a/key");
	CHECK_HAS(err.msg, "4294967296");
	CHECK_EQ(v, 5);
	CHECK_EQ(xsnd_parse_u32("k", "99999999999999999999999", 0, UINT32_MAX, &v, &err), -EINVAL);
	CHECK_EQ(xsnd_parse_u32("k", "+1", 0, 10, &v, &err), -EINVAL);
	CHECK_EQ(xsnd_parse_u32("k", "1 ", 0, 10, &v, &err), -EINVAL);
	CHECK_EQ(xsnd_parse_u32("k", "0x10", 0, 100, &v, &err), -EINVAL);
	CHECK_EQ(xsnd_parse_u32("k", "", 0, 10, &v, &err), -EINVAL);
	CHECK_EQ(xsnd_parse_u32("k", "11", 0, 10, &v, &err), -EINVAL);
	CHECK_HAS(err.msg, "11");
	CHECK_EQ(xsnd_parse_u32("k", "1", 2, 10, &v, &err), -EINVAL);
	/* A NULL error sink is allowed. */
	CHECK_EQ(xsnd_parse_u32("k", "x", 0, 10, &v, NULL), -EINVAL);
}

static void test_transport(void)
{
	struct fake_xs xs;
	struct xsnd_card_config cfg;
	struct xsnd_stream_transport t;
	struct xsnd_error err = { 0 };
	const struct xsnd_stream_config *s;

	minimal(&xs);
	fake_xs_set(&xs, FE "/0/1/type", "c");
	CHECK_EQ(xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err), 0);
	s = &cfg.pcms[0].streams[1];

	fake_xs_set(&xs, FE "/0/1/ring-ref", "8");
	fake_xs_set(&xs, FE "/0/1/event-channel", "17");
	fake_xs_set(&xs, FE "/0/1/evt-ring-ref", "4294967295");
	fake_xs_set(&xs, FE "/0/1/evt-event-channel", "18");
	CHECK_EQ(xsnd_stream_transport_parse(&t, FE, s, fake_xs_read, &xs, &err), 0);
	CHECK_EQ(t.ring_ref, 8);
	CHECK_EQ(t.evtchn, 17);
	CHECK_EQ(t.evt_ring_ref, UINT32_MAX);
	CHECK_EQ(t.evt_evtchn, 18);

	fake_xs_set(&xs, FE "/0/1/ring-ref", "0");
	CHECK_EQ(xsnd_stream_transport_parse(&t, FE, s, fake_xs_read, &xs, &err), -EINVAL);
	CHECK_HAS(err.msg, FE "/0/1/ring-ref");
	fake_xs_set(&xs, FE "/0/1/ring-ref", "8");
	fake_xs_set(&xs, FE "/0/1/evt-event-channel", "1e3");
	CHECK_EQ(xsnd_stream_transport_parse(&t, FE, s, fake_xs_read, &xs, &err), -EINVAL);
	CHECK_HAS(err.msg, FE "/0/1/evt-event-channel");
	CHECK_HAS(err.msg, "1e3");
	fake_xs_set(&xs, FE "/0/1/evt-event-channel", "131072");
	CHECK_EQ(xsnd_stream_transport_parse(&t, FE, s, fake_xs_read, &xs, &err), -EINVAL);
	fake_xs_del(&xs, FE "/0/1/evt-event-channel");
	CHECK_EQ(xsnd_stream_transport_parse(&t, FE, s, fake_xs_read, &xs, &err), -ENOENT);
	CHECK_HAS(err.msg, FE "/0/1/evt-event-channel");
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_inheritance);
	RUN(test_all_known_rates);
	RUN(test_enumeration);
	RUN(test_malformed);
	RUN(test_tolerated);
	RUN(test_parse_u32);
	RUN(test_transport);
	return 0;
}
