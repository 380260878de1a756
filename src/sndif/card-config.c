/* SPDX-License-Identifier: MIT */
/*
 * Card configuration parser. Follows Linux's xen_snd_front_cfg.c so that we
 * offer the guest exactly what its driver believes it has: defaults at the
 * card level, every lower level copies its parent and overrides the keys
 * present there. Where Linux tolerates a value (unknown list entries,
 * zero, channels-min above channels-max, more than 8 PCMs or streams) we
 * do what it does and add a warning; where it would read garbage as a
 * number we refuse the card with a message, because the admin needs to know.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "card-config.h"
#include "format.h"

/* Longest path we build: frontend path + "/<pcm>/<stream>/<key>". */
#define PATH_MAX_LEN		512u
/* buffer-size bounds: room for periods_min periods of period_bytes_min,
 * and a cap far above anything a sound card needs. */
#define BUFFER_SIZE_MIN		(XSND_PERIODS_MIN * XSND_PERIOD_BYTES_MIN)
#define BUFFER_SIZE_MAX		(256u * 1024u * 1024u)
#define CHANNELS_MAX		255u	/* OPEN carries channels in a u8 */
/* Longest value quoted in an error message. */
#define QUOTE_MAX		40u

const uint32_t xsnd_known_rates[XSND_N_RATES] = {
	5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 96000, 176400, 192000,
};

struct parser {
	const char *fe;
	struct xsnd_card_config *cfg;	/* where warnings go; NULL: dropped */
	xsnd_read_func_t read;
	void *data;
	struct xsnd_error *err;
	char path[PATH_MAX_LEN];
	char value[XSND_VALUE_MAX + 1];
};

/* A printable, bounded copy of a hostile value for error messages. */
static const char *quote(const char *v, char *buf, size_t size)
{
	size_t i, n = strlen(v);
	size_t max = size - 4;

	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)v[i];
		buf[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	if (i < n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static void warn(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->cfg == NULL)
		return;
	if (p->cfg->n_warnings < XSND_CONFIG_WARNINGS_MAX) {
		va_start(ap, fmt);
		vsnprintf(p->cfg->warnings[p->cfg->n_warnings], XSND_ERROR_MSG_MAX, fmt, ap);
		va_end(ap);
	}
	p->cfg->n_warnings++;
}

static bool is_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

int xsnd_parse_u32(const char *key, const char *value, uint32_t min, uint32_t max,
		uint32_t *out, struct xsnd_error *err)
{
	char q[QUOTE_MAX + 4];
	uint64_t v = 0;
	const char *s;

	if (value[0] == '\0')
		return xsnd_error_set(err, -EINVAL, "%s is empty, expected a number", key);
	for (s = value; *s; s++) {
		if (*s < '0' || *s > '9')
			return xsnd_error_set(err, -EINVAL, "%s=\"%s\" is not a decimal number",
					key, quote(value, q, sizeof(q)));
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return xsnd_error_set(err, -EINVAL, "%s=\"%s\" is too large",
					key, quote(value, q, sizeof(q)));
	}
	if (v < min || v > max)
		return xsnd_error_set(err, -EINVAL, "%s=%s is outside [%u, %u]",
				key, quote(value, q, sizeof(q)), min, max);
	*out = (uint32_t)v;
	return 0;
}

static int set_path(struct parser *p, const char *dir, const char *key)
{
	int n = key ? snprintf(p->path, sizeof(p->path), "%s/%s", dir, key)
		    : snprintf(p->path, sizeof(p->path), "%s", dir);

	if (n < 0 || (size_t)n >= sizeof(p->path))
		return xsnd_error_set(p->err, -ENAMETOOLONG, "xenstore path below %.64s is too long", p->fe);
	return 0;
}

/* Reads dir/key (key may be NULL) into p->value: 1 if present, 0 if absent. */
static int read_key(struct parser *p, const char *dir, const char *key)
{
	char q[QUOTE_MAX + 4];
	int res;

	if ((res = set_path(p, dir, key)) < 0)
		return res;
	p->value[0] = '\0';
	res = p->read(p->data, p->path, p->value, sizeof(p->value));
	p->value[sizeof(p->value) - 1] = '\0';
	if (res == -ENOENT)
		return 0;
	if (res == -E2BIG || (res >= 0 && (size_t)res >= sizeof(p->value)))
		return xsnd_error_set(p->err, -EINVAL,
				"%s=\"%s\" is longer than %u bytes or holds a NUL byte",
				p->path, quote(p->value, q, sizeof(q)), XSND_VALUE_MAX);
	if (res < 0)
		return xsnd_error_set(p->err, res, "%s: cannot read: %s", p->path, strerror(-res));
	if (strlen(p->value) != (size_t)res)
		return xsnd_error_set(p->err, -EINVAL, "%s=\"%s\" holds a NUL byte",
				p->path, quote(p->value, q, sizeof(q)));
	return 1;
}

static int rate_index(const char *s)
{
	char buf[16];
	uint32_t i;

	for (i = 0; i < XSND_N_RATES; i++) {
		snprintf(buf, sizeof(buf), "%u", xsnd_known_rates[i]);
		if (strcmp(s, buf) == 0)
			return (int)i;
	}
	return -1;
}

static int parse_rates(struct parser *p, struct xsnd_pcm_hw *hw)
{
	char list[XSND_VALUE_MAX + 1], q[QUOTE_MAX + 4];
	char *save = NULL, *tok;
	uint32_t rates = 0, i, unknown = 0;

	memcpy(list, p->value, sizeof(list));
	/* Like Linux: unknown rates are dropped, and a list without a known
	 * one leaves the inherited rates. */
	for (tok = strtok_r(list, XENSND_LIST_SEPARATOR, &save); tok;
	     tok = strtok_r(NULL, XENSND_LIST_SEPARATOR, &save)) {
		int idx = rate_index(tok);
		if (idx >= 0)
			rates |= 1u << idx;
		else
			unknown++;
	}
	if (rates == 0) {
		warn(p, "%s=\"%s\" names no known rate: the inherited rates stay",
				p->path, quote(p->value, q, sizeof(q)));
		return 0;
	}
	if (unknown)
		warn(p, "%s=\"%s\": %u unknown rate%s ignored", p->path,
				quote(p->value, q, sizeof(q)), unknown, unknown > 1 ? "s" : "");
	hw->rates = rates;
	hw->rate_continuous = false;
	for (i = 0; i < XSND_N_RATES; i++)
		if (rates & (1u << i)) {
			hw->rate_min = xsnd_known_rates[i];
			break;
		}
	for (i = XSND_N_RATES; i-- > 0;)
		if (rates & (1u << i)) {
			hw->rate_max = xsnd_known_rates[i];
			break;
		}
	return 0;
}

static int parse_formats(struct parser *p, struct xsnd_pcm_hw *hw)
{
	char list[XSND_VALUE_MAX + 1], q[QUOTE_MAX + 4];
	char *save = NULL, *tok;
	uint64_t formats = 0;
	uint32_t unknown = 0;

	memcpy(list, p->value, sizeof(list));
	/* Like Linux: unknown names are ignored (libxl's "f32_le" among them),
	 * and a list without a known one leaves the inherited formats. */
	for (tok = strtok_r(list, XENSND_LIST_SEPARATOR, &save); tok;
	     tok = strtok_r(NULL, XENSND_LIST_SEPARATOR, &save)) {
		const struct xsnd_format_info *f = xsnd_format_by_name(tok);
		if (f)
			formats |= UINT64_C(1) << f->sndif;
		else
			unknown++;
	}
	if (formats == 0) {
		warn(p, "%s=\"%s\" names no known format: the inherited formats stay",
				p->path, quote(p->value, q, sizeof(q)));
		return 0;
	}
	if (unknown)
		warn(p, "%s=\"%s\": %u unknown format%s ignored", p->path,
				quote(p->value, q, sizeof(q)), unknown, unknown > 1 ? "s" : "");
	hw->formats = formats;
	return 0;
}

/*
 * dir/key as a decimal number in [0, max] into *v; 0 when absent. Linux
 * reads 0 as "not set" and keeps the inherited value: so do we, and warn.
 */
static int read_number(struct parser *p, const char *dir, const char *key, uint32_t max,
		uint32_t *v)
{
	int res;

	*v = 0;
	if ((res = read_key(p, dir, key)) <= 0)
		return res;
	if ((res = xsnd_parse_u32(p->path, p->value, 0, max, v, p->err)) < 0)
		return res;
	if (*v == 0)
		warn(p, "%s=0 is ignored: the inherited value stays", p->path);
	return 0;
}

/* Overrides *hw with the keys present in dir. */
static int parse_hw(struct parser *p, const char *dir, struct xsnd_pcm_hw *hw)
{
	uint32_t v;
	int res;

	if ((res = read_key(p, dir, XENSND_FIELD_SAMPLE_RATES)) < 0)
		return res;
	if (res && (res = parse_rates(p, hw)) < 0)
		return res;

	if ((res = read_key(p, dir, XENSND_FIELD_SAMPLE_FORMATS)) < 0)
		return res;
	if (res && (res = parse_formats(p, hw)) < 0)
		return res;

	if ((res = read_number(p, dir, XENSND_FIELD_CHANNELS_MIN, CHANNELS_MAX, &v)) < 0)
		return res;
	if (v)
		hw->channels_min = v;
	if ((res = read_number(p, dir, XENSND_FIELD_CHANNELS_MAX, CHANNELS_MAX, &v)) < 0)
		return res;
	if (v)
		hw->channels_max = v;
	if (hw->channels_min > hw->channels_max) {
		warn(p, "%s: channels-min=%u is greater than channels-max=%u: "
				"channels-min becomes %u", dir, hw->channels_min,
				hw->channels_max, hw->channels_max);
		hw->channels_min = hw->channels_max;
	}

	if ((res = read_number(p, dir, XENSND_FIELD_BUFFER_SIZE, BUFFER_SIZE_MAX, &v)) < 0)
		return res;
	if (v) {
		if (v < BUFFER_SIZE_MIN)
			/* Linux would offer fewer than periods_min periods: no
			 * hw_params could ever succeed in the guest */
			return xsnd_error_set(p->err, -EINVAL, "%s/%s=%u is outside [%u, %u]",
					dir, XENSND_FIELD_BUFFER_SIZE, v,
					BUFFER_SIZE_MIN, BUFFER_SIZE_MAX);
		hw->buffer_bytes_max = v;
		hw->period_bytes_max = v;
		hw->periods_max = v / hw->period_bytes_min;
	}
	return 0;
}

/* Optional display name: truncated like Linux's strscpy, control bytes replaced. */
static int read_name(struct parser *p, const char *dir, const char *key, char *out, size_t size)
{
	size_t i;
	int res;

	out[0] = '\0';
	if ((res = read_key(p, dir, key)) <= 0)
		return res;
	for (i = 0; i + 1 < size && p->value[i]; i++) {
		unsigned char c = (unsigned char)p->value[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '_' : (char)c;
	}
	out[i] = '\0';
	return 0;
}

static void hw_defaults(struct xsnd_pcm_hw *hw)
{
	uint32_t i;

	memset(hw, 0, sizeof(*hw));
	hw->formats = (UINT64_C(1) << XENSND_PCM_FORMAT_U8) | (UINT64_C(1) << XENSND_PCM_FORMAT_S16_LE);
	/* SNDRV_PCM_RATE_8000_48000 | SNDRV_PCM_RATE_CONTINUOUS */
	for (i = 0; i < XSND_N_RATES; i++)
		if (xsnd_known_rates[i] >= 8000 && xsnd_known_rates[i] <= 48000)
			hw->rates |= 1u << i;
	hw->rate_continuous = true;
	hw->rate_min = XSND_DEFAULT_RATE_MIN;
	hw->rate_max = XSND_DEFAULT_RATE_MAX;
	hw->channels_min = XSND_DEFAULT_CHANNELS_MIN;
	hw->channels_max = XSND_DEFAULT_CHANNELS_MAX;
	hw->buffer_bytes_max = XSND_DEFAULT_BUFFER_BYTES_MAX;
	hw->period_bytes_min = XSND_PERIOD_BYTES_MIN;
	hw->period_bytes_max = XSND_DEFAULT_BUFFER_BYTES_MAX;
	hw->periods_min = XSND_PERIODS_MIN;
	hw->periods_max = XSND_DEFAULT_BUFFER_BYTES_MAX / XSND_PERIOD_BYTES_MIN;
}

static int parse_stream(struct parser *p, const char *dir, const struct xsnd_pcm_hw *parent,
		struct xsnd_stream_config *s)
{
	char q[QUOTE_MAX + 4];
	int res;

	if ((res = read_key(p, dir, XENSND_FIELD_TYPE)) < 0)
		return res;
	if (res == 0)
		return xsnd_error_set(p->err, -EINVAL, "%s/%s is missing", dir, XENSND_FIELD_TYPE);
	if (strcasecmp(p->value, XENSND_STREAM_TYPE_PLAYBACK) == 0)
		s->type = XSND_STREAM_PLAYBACK;
	else if (strcasecmp(p->value, XENSND_STREAM_TYPE_CAPTURE) == 0)
		s->type = XSND_STREAM_CAPTURE;
	else
		return xsnd_error_set(p->err, -EINVAL, "%s=\"%s\" is neither \"p\" nor \"c\"",
				p->path, quote(p->value, q, sizeof(q)));

	if ((res = read_key(p, dir, XENSND_FIELD_STREAM_UNIQUE_ID)) < 0)
		return res;
	if (res) {
		/* Used for routing: reject rather than truncate or mangle. */
		if (strlen(p->value) > XSND_UNIQUE_ID_MAX || !is_clean(p->value))
			return xsnd_error_set(p->err, -EINVAL,
					"%s=\"%s\" is longer than %u bytes or has control characters",
					p->path, quote(p->value, q, sizeof(q)), XSND_UNIQUE_ID_MAX);
		s->has_unique_id = true;
		memcpy(s->unique_id, p->value, strlen(p->value) + 1);
	}
	s->hw = *parent;
	return parse_hw(p, dir, &s->hw);
}

/* dir/<index> exists: 1, absent: 0, error: negative. */
static int child_exists(struct parser *p, const char *dir, uint32_t index)
{
	char key[16];

	snprintf(key, sizeof(key), "%u", index);
	return read_key(p, dir, key);
}

static int parse_pcm(struct parser *p, struct xsnd_card_config *cfg, uint32_t idx)
{
	struct xsnd_pcm_config *pcm = &cfg->pcms[idx];
	char dir[PATH_MAX_LEN], sdir[PATH_MAX_LEN + 16];
	uint32_t i;
	int res;

	snprintf(dir, sizeof(dir), "%s/%u", p->fe, idx);
	if ((res = read_name(p, dir, XENSND_FIELD_DEVICE_NAME, pcm->name, sizeof(pcm->name))) < 0)
		return res;
	pcm->hw = cfg->hw;
	if ((res = parse_hw(p, dir, &pcm->hw)) < 0)
		return res;

	/* Stream indices are contiguous from 0; a gap ends the list. */
	for (i = 0; i <= XSND_MAX_STREAMS_PER_PCM; i++) {
		struct xsnd_stream_config *s;

		if ((res = child_exists(p, dir, i)) < 0)
			return res;
		if (res == 0)
			break;
		if (i == XSND_MAX_STREAMS_PER_PCM) {
			/* Linux's VSND_MAX_STREAM: it never looks further */
			warn(p, "%s: more than %u streams: %s/%u and after are ignored",
					dir, XSND_MAX_STREAMS_PER_PCM, dir, i);
			break;
		}
		s = &pcm->streams[i];
		memset(s, 0, sizeof(*s));
		s->pcm = idx;
		s->stream = i;
		s->index = cfg->n_streams;
		snprintf(sdir, sizeof(sdir), "%s/%u", dir, i);
		if ((res = parse_stream(p, sdir, &pcm->hw, s)) < 0)
			return res;
		pcm->n_streams++;
		cfg->n_streams++;
	}
	if (pcm->n_streams == 0)
		warn(p, "%s has no stream", dir);	/* Linux makes an empty PCM device */
	return 0;
}

int xsnd_card_config_parse(struct xsnd_card_config *cfg, const char *fe_path,
		xsnd_read_func_t read, void *data, struct xsnd_error *err)
{
	struct parser p = { .fe = fe_path, .cfg = cfg, .read = read, .data = data, .err = err };
	uint32_t i;
	int res;

	memset(cfg, 0, sizeof(*cfg));
	if (err)
		err->res = 0, err->msg[0] = '\0';
	/* Room for "/<pcm>/<stream>/<longest key>" below the frontend path. */
	if (strlen(fe_path) > PATH_MAX_LEN - 64)
		return xsnd_error_set(err, -ENAMETOOLONG, "frontend path %.64s... is too long", fe_path);

	if ((res = read_name(&p, fe_path, XENSND_FIELD_VCARD_SHORT_NAME,
					cfg->short_name, sizeof(cfg->short_name))) < 0 ||
	    (res = read_name(&p, fe_path, XENSND_FIELD_VCARD_LONG_NAME,
					cfg->long_name, sizeof(cfg->long_name))) < 0)
		goto fail;

	hw_defaults(&cfg->hw);
	if ((res = parse_hw(&p, fe_path, &cfg->hw)) < 0)
		goto fail;

	for (i = 0; i <= XSND_MAX_PCMS; i++) {
		if ((res = child_exists(&p, fe_path, i)) < 0)
			goto fail;
		if (res == 0)
			break;
		if (i == XSND_MAX_PCMS) {
			/* Linux's SNDRV_PCM_DEVICES: it never looks further */
			warn(&p, "%s: more than %u PCM devices: %s/%u and after are ignored",
					fe_path, XSND_MAX_PCMS, fe_path, i);
			break;
		}
		if ((res = parse_pcm(&p, cfg, i)) < 0)
			goto fail;
		cfg->n_pcms++;
	}
	if (cfg->n_pcms == 0) {
		res = xsnd_error_set(err, -ENODEV, "%s/0: no PCM device", fe_path);
		goto fail;
	}
	if (cfg->n_streams == 0) {
		res = xsnd_error_set(err, -ENODEV, "%s: no PCM device has a stream", fe_path);
		goto fail;
	}
	return 0;
fail:
	cfg->n_pcms = 0;
	cfg->n_streams = 0;
	return res;
}

int xsnd_stream_transport_parse(struct xsnd_stream_transport *t, const char *fe_path,
		const struct xsnd_stream_config *s,
		xsnd_read_func_t read, void *data, struct xsnd_error *err)
{
	static const struct {
		const char *key;
		size_t offset;
		uint32_t max;
	} keys[] = {
		/* gref 0 is reserved; port 0 is never a valid event channel and
		 * the FIFO ABI has at most 2^17 ports. */
		{ XENSND_FIELD_RING_REF, offsetof(struct xsnd_stream_transport, ring_ref), UINT32_MAX },
		{ XENSND_FIELD_EVT_CHNL, offsetof(struct xsnd_stream_transport, evtchn), (1u << 17) - 1 },
		{ XENSND_FIELD_EVT_RING_REF, offsetof(struct xsnd_stream_transport, evt_ring_ref), UINT32_MAX },
		{ XENSND_FIELD_EVT_EVT_CHNL, offsetof(struct xsnd_stream_transport, evt_evtchn), (1u << 17) - 1 },
	};
	struct parser p = { .fe = fe_path, .read = read, .data = data, .err = err };
	char dir[PATH_MAX_LEN];
	size_t i;
	int res;

	memset(t, 0, sizeof(*t));
	res = snprintf(dir, sizeof(dir), "%s/%u/%u", fe_path, s->pcm, s->stream);
	if (res < 0 || (size_t)res >= sizeof(dir) - 64)
		return xsnd_error_set(err, -ENAMETOOLONG, "frontend path %.64s... is too long", fe_path);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint32_t v;

		if ((res = read_key(&p, dir, keys[i].key)) < 0)
			return res;
		if (res == 0)
			return xsnd_error_set(err, -ENOENT, "%s is missing", p.path);
		if ((res = xsnd_parse_u32(p.path, p.value, 1, keys[i].max, &v, err)) < 0)
			return res;
		memcpy((char *)t + keys[i].offset, &v, sizeof(v));
	}
	return 0;
}
