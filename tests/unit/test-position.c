/* SPDX-License-Identifier: MIT */
/*
 * CUR_POS cadence against a model of Linux's frontend and ALSA core:
 * xen_snd_front_alsa_handle_cur_pos() (strict '>' period test) and the core
 * learning the pointer only on period_elapsed during a drain.
 */
#include "test.h"
#include "position.h"

struct linux_model {
	uint64_t period;
	uint64_t be_cur;	/* frames of the last CUR_POS */
	uint64_t out;		/* out_frames */
	uint64_t core_hw;	/* what the ALSA core knows, updated on period_elapsed */
	uint64_t events, elapsed;
};

static void model_cur_pos(struct linux_model *m, uint64_t pos)
{
	uint64_t delta = pos - m->be_cur;
	m->be_cur = pos;
	m->out += delta;
	m->events++;
	if (m->out > m->period) {
		m->out %= m->period;
		m->core_hw = pos;
		m->elapsed++;
	}
}

/* The guest wrote `total` frames and drains; the backend consumes `quantum`
 * frames per cycle. Returns the frames the core knows were played. */
static uint64_t drain(uint64_t period, uint64_t quantum, uint64_t total, bool with_policy)
{
	struct xsnd_position p;
	struct linux_model m = { .period = period };
	uint64_t consumed = 0, last = 0;
	int cycles;

	xsnd_position_init(&p, (uint32_t)period);
	for (cycles = 0; cycles < 100000 && m.core_hw < total; cycles++) {
		consumed = consumed + quantum < total ? consumed + quantum : total;
		if (with_policy) {
			if (xsnd_position_update(&p, consumed, total)) {
				CHECK(p.reported <= total);
				CHECK(p.reported > last);
				last = p.reported;
				model_cur_pos(&m, p.reported);
			}
		} else if (consumed != m.be_cur) {
			model_cur_pos(&m, consumed);
		}
		if (consumed == total && cycles > (int)(total / quantum) + 8)
			break;
	}
	return m.core_hw;
}

static void test_naive_cadence_hangs(void)
{
	/* The reason for the policy: half-period positions, data ending on a
	 * period boundary: the core never learns the end. */
	CHECK(drain(1024, 512, 1024 * 140, false) < 1024 * 140);
}

static void test_drain_always_completes(void)
{
	static const uint64_t periods[] = { 64, 256, 441, 940, 1024, 4096 };
	static const uint64_t quanta[] = { 32, 64, 128, 256, 512, 1000, 1024, 2048, 8192 };
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
		for (size_t j = 0; j < sizeof(quanta) / sizeof(quanta[0]); j++)
			for (uint64_t total = periods[i] * 2; total < periods[i] * 9; total += periods[i] / 4 + 7) {
				uint64_t hw = drain(periods[i], quanta[j], total, true);
				if (hw != total)
					fprintf(stderr, "  period %" PRIu64 " quantum %" PRIu64 " total %" PRIu64
							": core knows %" PRIu64 "\n", periods[i], quanta[j], total, hw);
				CHECK_EQ(hw, total);
				n++;
			}
	printf("drain completes in %" PRIu64 " cadence/period/length combinations\n", n);
}

static void test_steady_state_reports_every_cycle(void)
{
	/* With a buffer of data ahead, every cycle's position goes out. */
	struct xsnd_position p;
	uint64_t pos;

	xsnd_position_init(&p, 1024);
	for (pos = 512; pos < 100000; pos += 512)
		CHECK(xsnd_position_update(&p, pos, pos + 4096));
}

static void test_never_beyond_end_nor_backwards(void)
{
	struct xsnd_position p;

	xsnd_position_init(&p, 1024);
	CHECK(xsnd_position_update(&p, 5000, 3000));
	CHECK_EQ(p.reported, 3000);
	CHECK(!xsnd_position_update(&p, 2000, 10000));	/* backwards: nothing */
	CHECK(!xsnd_position_update(&p, 3000, 10000));	/* unchanged: nothing */
	CHECK_EQ(p.reported, 3000);
}

static void test_no_events_when_period_zero(void)
{
	struct xsnd_position p;
	xsnd_position_init(&p, 0);
	CHECK(!xsnd_position_update(&p, 1000, 2000));
}

static void test_capture_unbounded(void)
{
	struct xsnd_position p;
	uint64_t pos;
	xsnd_position_init(&p, 1024);
	for (pos = 256; pos < 50000; pos += 256)
		CHECK(xsnd_position_update(&p, pos, UINT64_MAX));
}

int main(void)
{
	test_naive_cadence_hangs();
	test_drain_always_completes();
	test_steady_state_reports_every_cycle();
	test_never_beyond_end_nor_backwards();
	test_no_events_when_period_zero();
	test_capture_unbounded();
	printf("position: ok\n");
	return 0;
}
