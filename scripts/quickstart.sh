#!/bin/sh
# quickstart.sh - installs what mmp needs, builds it, runs mmpc over the
# bundled example policies, then demonstrates mmp on a real workload.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
echo "== mmpc checks the bundled policies =="
for f in examples/*.mmp; do
	./mmpc "$f"
done
echo
echo "== and this is what a mistake looks like =="
printf 'policy demo {\n    match comm "redis-server";\n    region index = anon and size >= 1G;\n    pagesize idx { 2M: 100; } when faults >= 64/s;\n}\n' >/tmp/mmp-quickstart.mmp
cat -n /tmp/mmp-quickstart.mmp
./mmpc --check /tmp/mmp-quickstart.mmp || true
rm -f /tmp/mmp-quickstart.mmp
echo
scripts/demo.sh
