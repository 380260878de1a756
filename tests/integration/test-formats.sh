#!/bin/bash
# SPDX-License-Identifier: MIT
. "$(dirname "$0")/common.sh"
fail "not written yet"
