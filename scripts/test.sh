#!/bin/sh
# The test command: installs what is missing, builds (warnings are errors),
# runs the whole suite.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
if [ -f build/build.ninja ]; then
    meson configure build -Dwerror=true >&2
fi
./scripts/build.sh -Dwerror=true
exec meson test -C build --print-errorlogs --num-processes 2 "$@"
