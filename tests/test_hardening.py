"""The daemons are built hardened: position-independent, with full RELRO
(relocations read-only and bound at start), stack canaries and glibc's
checked calls (_FORTIFY_SOURCE). Read from each binary's ELF headers and
dynamic symbols with readelf, so a change to the build flags that drops one
fails here."""

import os
import subprocess
import sys

DAEMONS = ["virtqemud", "virtnetworkd", "virtstoraged", "virtnodedevd", "virtproxyd"]


def readelf(*args):
    return subprocess.run(["readelf", "-W"] + list(args), capture_output=True, text=True,
                          check=True).stdout


def main():
    build = os.environ["BUILDDIR"]
    optimized = os.environ.get("OPTIMIZED", "1") == "1"
    failures = []
    for name in DAEMONS:
        path = os.path.join(build, name, name)
        header = readelf("-h", path)
        if "DYN (Position-Independent Executable file)" not in header:
            failures.append("%s is not a PIE" % name)
        if "GNU_RELRO" not in readelf("-l", path):
            failures.append("%s has no RELRO segment" % name)
        dynamic = readelf("-d", path)
        if "BIND_NOW" not in dynamic and " NOW" not in dynamic:
            failures.append("%s binds lazily (partial RELRO)" % name)
        symbols = readelf("--dyn-syms", path)
        if "__stack_chk_fail" not in symbols:
            failures.append("%s has no stack protector" % name)
        if optimized and "_chk@" not in symbols.replace("__stack_chk_fail@", ""):
            failures.append("%s calls no fortified function" % name)
    for f in failures:
        print("FAIL: " + f)
    print("%d passed, %d failed" % (len(DAEMONS) - len({f.split()[0] for f in failures}),
                                     len({f.split()[0] for f in failures})))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
