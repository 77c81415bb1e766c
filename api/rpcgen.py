#!/usr/bin/env python3
"""rpcgen -h|-c INPUT, with the generated #include of the header made
relative to the output folder: rpcgen writes the input's path as given,
which is only right when the build folder sits inside the source tree."""
import os
import re
import subprocess
import sys

mode, rpcgen, src = sys.argv[1], sys.argv[2], sys.argv[3]
out = subprocess.run([rpcgen, mode, src], check=True, stdout=subprocess.PIPE, text=True).stdout
base = os.path.splitext(os.path.basename(src))[0] + ".h"
out = re.sub(r'#include "[^"]*%s"' % re.escape(base), '#include "%s"' % base, out)
sys.stdout.write(out)
