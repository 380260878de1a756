# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Helpers that drive the guest simulator (tools/vsnd-guest) against the
# stack of pw-stack.sh. Filled in as the simulator's CLI lands.
