#!/bin/sh
# The test command: installs what is missing, builds, runs the whole suite.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh
exec meson test -C build --print-errorlogs --num-processes 2 "$@"
