#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mutlist.t - every mutation of tests/mutants/mutations.txt still applies to
# the tree (its snippet occurs, at the occurrence it names), so that
# `make mutants` tests the code as it is. A mutation whose code moved or
# changed fails here, in `make test`, instead of being lost at the next
# mutation run. Needs no root: it reads files and runs nothing.
exec python3 "$(dirname "$0")/mutants/run.py" --check
