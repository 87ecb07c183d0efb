#!/bin/sh
# build.sh - configures and builds mmp in the source tree.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi >/dev/null
fi
[ -f Makefile ] && [ config.status -nt configure ] || ./configure -q
make -s -j"$(nproc)" >/dev/null
