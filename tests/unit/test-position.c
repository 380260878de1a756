/* SPDX-License-Identifier: MIT */
/*
 * CUR_POS and the running DMA pointer against a model of Linux's frontend
 * and ALSA core: xen_snd_front_alsa_handle_cur_pos() (strict '>' period
 * test) and the core learning the pointer only on period_elapsed during a
 * drain.
 */
#include "test.h"
#include "position.h"

struct linux_model {
	uint64_t period;
	uint64_t be_cur;	/* frames of the last CUR_POS */
	uint64_t out;		/* out_frames */
	uint64_t core_hw;	/* what the ALSA core knows, updated on period_elapsed */
};

static void model_cur_pos(struct linux_model *m, uint64_t pos)
{
	m->out += pos - m->be_cur;
	m->be_cur = pos;
	if (m->out > m->period) {
		m->out %= m->period;
		m->core_hw = pos;
	}
}

/* The guest wrote `total` frames and drains; each cycle the backend plays
 * `quantum` frames, from the guest's data while there is some. Returns the
 * cycles until the core knows the end was played, or -1. */
static int drain(uint64_t period, uint64_t quantum, uint64_t total, bool run_on)
{
	struct xsnd_position p;
	struct linux_model m = { .period = period };
	uint64_t pos = 0;
	int cycle;

	xsnd_position_init(&p, (uint32_t)period);
	for (cycle = 0; cycle < 10000; cycle++) {
		uint64_t got = total > pos ? total - pos : 0;
		if (got > quantum)
			got = quantum;
		pos += got;
		if (run_on)
			pos += xsnd_position_starve(&p, (uint32_t)quantum, (uint32_t)got);
		if (xsnd_position_update(&p, pos))
			model_cur_pos(&m, pos);
		if (m.core_hw >= total)
			return cycle;
	}
	return -1;
}

static void test_stopped_pointer_hangs_drains(void)
{
	/* The reason for the running pointer: half-period positions and data
	 * ending on a period boundary; the core never learns the end. */
	CHECK_EQ(drain(1024, 512, 1024 * 140, false), -1);
}

static void test_drain_always_completes(void)
{
	static const uint64_t periods[] = { 64, 256, 441, 940, 1024, 4096 };
	static const uint64_t quanta[] = { 32, 64, 128, 256, 512, 1000, 1024, 2048, 8192 };
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
		for (size_t j = 0; j < sizeof(quanta) / sizeof(quanta[0]); j++)
			for (uint64_t total = periods[i] * 2; total < periods[i] * 9; total += periods[i] / 4 + 7) {
				int cycles = drain(periods[i], quanta[j], total, true);
				/* within the data, one period of silence and a cycle */
				int bound = (int)((total + 2 * periods[i]) / quanta[j]) + 3;
				if (cycles < 0 || cycles > bound)
					fprintf(stderr, "  period %" PRIu64 " quantum %" PRIu64 " total %" PRIu64
							": %d cycles (bound %d)\n", periods[i], quanta[j], total,
							cycles, bound);
				CHECK(cycles >= 0 && cycles <= bound);
				n++;
			}
	printf("drain completes in %" PRIu64 " cadence/period/length combinations\n", n);
}

static void test_late_guest_gets_a_gap_not_a_running_pointer(void)
{
	struct xsnd_position p;

	xsnd_position_init(&p, 1024);
	/* short of data for less than a period, then back: never runs on */
	CHECK_EQ(xsnd_position_starve(&p, 256, 0), 0);
	CHECK_EQ(xsnd_position_starve(&p, 256, 100), 0);
	CHECK_EQ(xsnd_position_starve(&p, 256, 256), 0);
	CHECK_EQ(p.starved, 0);
	CHECK_EQ(xsnd_position_starve(&p, 256, 0), 0);
	/* out of data for more than a period: runs on by the missing frames */
	CHECK_EQ(xsnd_position_starve(&p, 512, 0), 0);
	CHECK_EQ(xsnd_position_starve(&p, 512, 12), 500);
	CHECK_EQ(xsnd_position_starve(&p, 512, 512), 0);
}

static void test_every_move_is_reported_once(void)
{
	struct xsnd_position p;
	uint64_t pos;

	xsnd_position_init(&p, 1024);
	for (pos = 512; pos < 100000; pos += 512)
		CHECK(xsnd_position_update(&p, pos));
	CHECK(!xsnd_position_update(&p, pos - 512));	/* unchanged */
	CHECK(!xsnd_position_update(&p, 100));		/* backwards */
	CHECK_EQ(p.reported, pos - 512);
}

/* Byte positions pass 4 GiB after 6 hours of 48 kHz stereo float: no
 * 32-bit wrap may make one look old. */
static void test_positions_past_4gib(void)
{
	struct xsnd_position p;
	uint64_t pos = UINT32_MAX - 100;

	xsnd_position_init(&p, 1024);
	CHECK(xsnd_position_update(&p, pos));
	CHECK(xsnd_position_update(&p, pos + 512));
	CHECK(xsnd_position_update(&p, (UINT64_C(1) << 40) + 3));
	CHECK(!xsnd_position_update(&p, (UINT64_C(1) << 40) - 512));
	CHECK_EQ(p.reported, (UINT64_C(1) << 40) + 3);
}

static void test_no_events_when_period_zero(void)
{
	struct xsnd_position p;
	xsnd_position_init(&p, 0);
	CHECK(!xsnd_position_update(&p, 1000));
}

static void test_history(void)
{
	struct xsnd_history h;
	xsnd_history_reset(&h);
	CHECK_EQ(xsnd_history_at(&h, 1000, 48000), 0);
	/* 480-frame cycles every 10 ms */
	for (int i = 0; i < 300; i++)
		xsnd_history_push(&h, 1000000000LL + i * 10000000LL, (uint64_t)i * 480);
	/* 25 ms before the last cycle start: 2.5 cycles back */
	CHECK_EQ(xsnd_history_at(&h, 1000000000LL + 299 * 10000000LL - 25000000LL, 48000), 299 * 480 - 1200);
	/* before the oldest entry kept: that entry (not 0: positions only grow) */
	CHECK_EQ(xsnd_history_at(&h, 1000, 48000), (300 - XSND_HISTORY_LEN) * 480);
	/* a 60 s stall between two entries, 2^41 frames apart: no 64-bit
	 * overflow in the interpolation (dp * elapsed is 2^76 here) */
	xsnd_history_reset(&h);
	xsnd_history_push(&h, 0, UINT64_C(1) << 42);
	xsnd_history_push(&h, 60000000007LL, (UINT64_C(1) << 42) + (UINT64_C(1) << 41));
	xsnd_history_push(&h, 60000000008LL, (UINT64_C(1) << 42) + (UINT64_C(1) << 41));
	{
		/* 2^41 * 3e10 / 60000000007, rounded down */
		uint64_t want = (UINT64_C(1) << 42) + UINT64_C(1099511627647);
		uint64_t got = xsnd_history_at(&h, 30000000000LL, 48000);
		CHECK(got >= want - 1 && got <= want + 1);
	}
	xsnd_history_reset(&h);
	for (int i = 0; i < 300; i++)
		xsnd_history_push(&h, 1000000000LL + i * 10000000LL, (uint64_t)i * 480);
	/* going backwards is ignored */
	xsnd_history_push(&h, 5, 1);
	CHECK_EQ(xsnd_history_at(&h, 1000000000LL + 299 * 10000000LL, 48000), 299 * 480);
}

static void test_own_clock(void)
{
	const int64_t ms = 1000000, after = 50 * ms;
	struct xsnd_clock c;
	uint64_t total = 0;
	uint32_t n;

	xsnd_clock_reset(&c, 1000 * ms);
	/* nothing while the graph runs the node (its cycles reset it) */
	for (int i = 1; i <= 100; i++) {
		CHECK_EQ(xsnd_clock_owed(&c, 1000 * ms + i * 20 * ms, after, 48000, 16384), 0);
		xsnd_clock_reset(&c, 1000 * ms + i * 20 * ms);
	}
	/* the graph stops at 3000 ms: nothing before `after`, then everything
	 * since the last cycle, then every tick's share; no frame twice */
	CHECK_EQ(xsnd_clock_owed(&c, 3040 * ms, after, 48000, 16384), 0);
	n = xsnd_clock_owed(&c, 3060 * ms, after, 48000, 16384);
	CHECK_EQ(n, 60 * 48);
	total = n;
	for (int i = 1; i <= 50; i++)
		total += xsnd_clock_owed(&c, 3060 * ms + i * 20 * ms + i, after, 48000, 16384);
	CHECK_EQ(total, (uint64_t)(1060 * ms + 50) * 48000 / 1000000000);
	/* a stall longer than the buffer: one buffer, and on from now */
	CHECK_EQ(xsnd_clock_owed(&c, 9000 * ms, after, 48000, 16384), 16384);
	CHECK_EQ(xsnd_clock_owed(&c, 9020 * ms, after, 48000, 16384), 960);
	/* time going backwards, or no rate: nothing */
	CHECK_EQ(xsnd_clock_owed(&c, 8000 * ms, after, 48000, 16384), 0);
	CHECK_EQ(xsnd_clock_owed(&c, 9500 * ms, after, 0, 16384), 0);

	/* idle: owed from the first tick on; a graph cycle ends that */
	xsnd_clock_idle(&c, 10000 * ms);
	CHECK_EQ(xsnd_clock_owed(&c, 10020 * ms, after, 48000, 16384), 960);
	xsnd_clock_reset(&c, 10030 * ms);
	CHECK_EQ(xsnd_clock_owed(&c, 10050 * ms, after, 48000, 16384), 0);
}

static void test_deadlines(void)
{
	/* 1 s buffer, 250 ms periods: EIO at 1100 ms; the own clock from
	 * 750 ms crosses the period by 1040 ms, 60 ms before it */
	CHECK_EQ(xsnd_alsa_timeout_ms(48000, 48000), 1100);
	CHECK_EQ(xsnd_link_wait_ms(48000, 48000, 12000, 20, 1000), 750);
	CHECK_EQ(xsnd_first_period_ms(48000, 48000, 12000, 20), 810);
	/* capped by the module argument */
	CHECK_EQ(xsnd_link_wait_ms(48000, 48000, 12000, 20, 300), 300);
	/* aplay's default 341 ms buffer (16384 frames at 48 kHz), 85 ms
	 * periods: a quarter buffer is less than the usual margin */
	CHECK_EQ(xsnd_alsa_timeout_ms(48000, 16384), 375);
	CHECK_EQ(xsnd_link_wait_ms(48000, 16384, 4096, 20, 1000), 375 - 85 - 85);
	/* the 100 ms floor of the timeout, and nothing left to wait */
	CHECK_EQ(xsnd_alsa_timeout_ms(48000, 480), 100);
	CHECK_EQ(xsnd_link_wait_ms(48000, 4800, 4800, 20, 1000), 0);
	CHECK_EQ(xsnd_first_period_ms(48000, 4800, 4800, 20), 0);
	/* guest values that make no sense: no division by zero, no wrap */
	CHECK_EQ(xsnd_alsa_timeout_ms(0, 48000), 100);
	CHECK_EQ(xsnd_link_wait_ms(0, 48000, 12000, 20, 1000), 100);
	CHECK_EQ(xsnd_alsa_timeout_ms(8000, UINT32_MAX), (uint64_t)UINT32_MAX * 1100 / 8000);
	CHECK_EQ(xsnd_link_wait_ms(8000, UINT32_MAX, UINT32_MAX, 20, 1000), 1000);
}

int main(void)
{
	test_own_clock();
	test_deadlines();
	test_stopped_pointer_hangs_drains();
	test_drain_always_completes();
	test_late_guest_gets_a_gap_not_a_running_pointer();
	test_every_move_is_reported_once();
	test_no_events_when_period_zero();
	test_history();
	test_positions_past_4gib();
	printf("position: ok\n");
	return 0;
}
