/* TAP devices from /dev/net/tun. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"

int
tap_create(const char *name_template, char **ret_name, int *ret_fd, Error *error)
{
    auto_cleanup(close_fdp) int fd = -1;
    struct ifreq ifr;

    if (!name_template || strlen(name_template) >= IFNAMSIZ || strchr(name_template, '/'))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid tap device name '%s'", name_template ? name_template : "");

    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot create tap device '%s': cannot open '/dev/net/tun'",
                               name_template);

    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    strncpy(ifr.ifr_name, name_template, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot create tap device '%s'", name_template);
    ifr.ifr_name[IFNAMSIZ - 1] = '\0';
    log_debug("created tap device '%s'", ifr.ifr_name);

    *ret_name = xstrdup(ifr.ifr_name);
    *ret_fd = steal_fd(fd);
    return 0;
}
