/* SPDX-License-Identifier: MIT */
#include "xenbus-state.h"
#include "test.h"

#define ABSENT XSND_XB_STATE_ABSENT

static struct xsnd_xenbus_step step(bool first, bool online, int be, int fe, bool connected, bool removed)
{
	struct xsnd_xenbus_view v = {
		.first_look = first, .online = online, .be_state = be, .fe_state = fe,
		.connected = connected, .be_removed = removed,
	};
	struct xsnd_xenbus_step s;

	memset(&s, 0x5a, sizeof(s));
	xsnd_xenbus_step(&v, &s);
	CHECK(s.n_writes <= 3);
	return s;
}

#define EXPECT(s, td, conn, fg, ...) do {					\
	static const int _w[] = { __VA_ARGS__ };				\
	uint32_t _i, _n = sizeof(_w) / sizeof(_w[0]) - 1;			\
	CHECK_EQ((s).teardown, td);						\
	CHECK_EQ((s).connect, conn);						\
	CHECK_EQ((s).forget, fg);						\
	CHECK_EQ((s).n_writes, _n);						\
	for (_i = 0; _i < _n; _i++)						\
		CHECK_EQ((s).writes[_i], _w[_i + 1]);				\
} while (0)
/* EXPECT(..., 0, writes...): the leading 0 keeps the list non-empty. */

static void test_bring_up(void)
{
	struct xsnd_xenbus_step s;

	/* New device: InitWait at once (libxl waits 10 s for it). */
	s = step(true, true, XenbusStateInitialising, XenbusStateInitialising, false, false);
	EXPECT(s, false, false, false, 0, XenbusStateInitWait);
	s = step(true, true, ABSENT, ABSENT, false, false);
	EXPECT(s, false, false, false, 0, XenbusStateInitWait);
	/* Waiting for the frontend. */
	s = step(false, true, XenbusStateInitWait, XenbusStateInitialising, false, false);
	EXPECT(s, false, false, false, 0);
	/* Frontend published its keys. */
	s = step(false, true, XenbusStateInitWait, XenbusStateInitialised, false, false);
	EXPECT(s, false, true, false, 0, XenbusStateConnected);
	/* Connected on both sides: nothing to do. */
	s = step(false, true, XenbusStateConnected, XenbusStateConnected, true, false);
	EXPECT(s, false, false, false, 0);
	s = step(false, true, XenbusStateConnected, XenbusStateInitialised, true, false);
	EXPECT(s, false, false, false, 0);
}

static void test_never_connect_early(void)
{
	int fe;

	for (fe = -1; fe <= 9; fe++) {
		struct xsnd_xenbus_step s = step(false, true, XenbusStateInitWait, fe, false, false);
		if (fe != XenbusStateInitialised)
			CHECK(!s.connect);
		s = step(true, true, XenbusStateInitialising, fe, false, false);
		CHECK(!s.connect);
	}
}

static void test_frontend_close(void)
{
	static const int fe_states[] = { XenbusStateClosing, XenbusStateClosed, XenbusStateUnknown,
		XenbusStateInitialising, ABSENT, 42 };
	size_t i;

	for (i = 0; i < sizeof(fe_states) / sizeof(fe_states[0]); i++) {
		struct xsnd_xenbus_step s = step(false, true, XenbusStateConnected, fe_states[i], true, false);
		EXPECT(s, true, false, false, 0, XenbusStateClosed, XenbusStateInitWait);
		/* Afterwards, with the frontend still closing: idle. */
		s = step(false, true, XenbusStateInitWait, fe_states[i], false, false);
		EXPECT(s, false, false, false, 0);
	}
	/* The frontend comes back: it goes Initialising then Initialised. */
	{
		struct xsnd_xenbus_step s = step(false, true, XenbusStateInitWait, XenbusStateInitialised, false, false);
		EXPECT(s, false, true, false, 0, XenbusStateConnected);
	}
}

static void test_toolstack_removal(void)
{
	struct xsnd_xenbus_step s;

	/* libxl writes online=0 and state=Closing, waits for Closed. */
	s = step(false, false, XenbusStateClosing, XenbusStateConnected, true, false);
	EXPECT(s, true, false, true, 0, XenbusStateClosed);
	s = step(false, true, XenbusStateClosing, XenbusStateConnected, true, false);
	EXPECT(s, true, false, true, 0, XenbusStateClosed);
	s = step(false, false, XenbusStateInitWait, XenbusStateInitialising, false, false);
	EXPECT(s, false, false, true, 0, XenbusStateClosed);
	/* Already Closed: nothing to write. */
	s = step(false, false, XenbusStateClosed, XenbusStateClosed, false, false);
	EXPECT(s, false, false, true, 0);
	/* Forced removal: nodes gone, nothing can be written. */
	s = step(false, true, ABSENT, ABSENT, true, true);
	EXPECT(s, true, false, true, 0);
	/* Removal seen on the first look. */
	s = step(true, false, XenbusStateClosing, XenbusStateConnected, false, false);
	EXPECT(s, false, false, true, 0, XenbusStateClosed);
}

static void test_stale_restart(void)
{
	static const int be_states[] = { XenbusStateInitWait, XenbusStateInitialised,
		XenbusStateConnected, XenbusStateClosing, XenbusStateClosed, XenbusStateUnknown, 99 };
	size_t i;

	for (i = 0; i < sizeof(be_states) / sizeof(be_states[0]); i++) {
		struct xsnd_xenbus_step s = step(true, true, be_states[i], XenbusStateConnected, false, false);
		EXPECT(s, false, false, false, 0, XenbusStateClosing, XenbusStateClosed, XenbusStateInitWait);
	}
	/* Right after our reset the frontend may still show Connected with
	 * stale keys: wait for it to come back through Initialised. */
	{
		struct xsnd_xenbus_step s = step(false, true, XenbusStateInitWait, XenbusStateConnected, false, false);
		EXPECT(s, false, false, false, 0);
	}
}

/* Applying the steps settles within two rounds (no write storms), and
 * never connects to a frontend that is not Initialised. */
static void test_settles(void)
{
	int be, fe, conn, online;

	for (be = -1; be <= 9; be++)
		for (fe = -1; fe <= 9; fe++)
			for (conn = 0; conn < 2; conn++)
				for (online = 0; online < 2; online++) {
					struct xsnd_xenbus_view v = {
						.online = online, .be_state = be, .fe_state = fe,
						.connected = conn,
					};
					struct xsnd_xenbus_step s;
					int round;

					for (round = 0; round < 3; round++) {
						xsnd_xenbus_step(&v, &s);
						CHECK(!s.connect || fe == XenbusStateInitialised);
						if (s.forget || (!s.n_writes && !s.teardown && !s.connect))
							break;
						if (s.n_writes)
							v.be_state = s.writes[s.n_writes - 1];
						v.connected = (v.connected && !s.teardown) || s.connect;
					}
					if (round == 3) {
						fprintf(stderr, "be %d fe %d conn %d online %d\n", be, fe, conn, online);
						t_fail(__FILE__, __LINE__, "steps settle");
					}
				}
}

static void test_names(void)
{
	CHECK_STR(xsnd_xenbus_state_name(XenbusStateInitWait), "InitWait");
	CHECK_STR(xsnd_xenbus_state_name(XenbusStateReconfigured), "Reconfigured");
	CHECK_STR(xsnd_xenbus_state_name(ABSENT), "absent");
	CHECK_STR(xsnd_xenbus_state_name(9), "invalid");
	CHECK_STR(xsnd_xenbus_state_name(-7), "invalid");
}

int main(void)
{
	RUN(test_bring_up);
	RUN(test_never_connect_early);
	RUN(test_frontend_close);
	RUN(test_toolstack_removal);
	RUN(test_stale_restart);
	RUN(test_settles);
	RUN(test_names);
	return 0;
}
