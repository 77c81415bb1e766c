/* Streams: libvirt stream messages <-> a file descriptor from a daemon
 * (volume upload and download). */
#include "proxy.h"
