/* rtnetlink on a short-lived NETLINK_ROUTE socket. */
#include "netlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"

/* linux/if_bridge.h pulls in headers that clash with glibc's; these are the
 * stable uapi numbers of enum IFLA_BR_*. */
#ifndef IFLA_BR_FORWARD_DELAY
#define IFLA_BR_FORWARD_DELAY 1
#endif
#ifndef IFLA_BR_STP_STATE
#define IFLA_BR_STP_STATE 5
#endif

#define NL_BUF_SIZE 8192

typedef struct NlMsg {
    union {
        struct nlmsghdr hdr;
        char buf[NL_BUF_SIZE];
    };
} NlMsg;

bool
netlink_ifname_valid(const char *name)
{
    size_t len;

    if (!name)
        return false;
    len = strlen(name);
    if (len == 0 || len > NETLINK_IFNAME_MAX)
        return false;
    if (STREQ(name, ".") || STREQ(name, ".."))
        return false;
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t' || *p == '\n' ||
            (unsigned char) *p < 0x21 || (unsigned char) *p >= 0x7f)
            return false;
    }
    return true;
}

static void
nl_init(NlMsg *m, uint16_t type, uint16_t flags, const void *payload, size_t len)
{
    memset(m, 0, sizeof(*m));
    m->hdr.nlmsg_len = NLMSG_LENGTH(len);
    m->hdr.nlmsg_type = type;
    m->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    m->hdr.nlmsg_seq = 1;
    memcpy(NLMSG_DATA(&m->hdr), payload, len);
}

static struct rtattr *
nl_put(NlMsg *m, uint16_t type, const void *data, size_t len)
{
    struct rtattr *rta;
    size_t off = NLMSG_ALIGN(m->hdr.nlmsg_len);

    if (off + RTA_SPACE(len) > sizeof(m->buf))
        abort(); /* our requests are small and fixed: a bug, not an input */
    rta = (struct rtattr *) (m->buf + off);
    rta->rta_type = type;
    rta->rta_len = RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(rta), data, len);
    m->hdr.nlmsg_len = off + RTA_SPACE(len);
    return rta;
}

static void
nl_put_u32(NlMsg *m, uint16_t type, uint32_t v)
{
    nl_put(m, type, &v, sizeof(v));
}

static void
nl_put_str(NlMsg *m, uint16_t type, const char *s)
{
    nl_put(m, type, s, strlen(s) + 1);
}

static struct rtattr *
nl_nest_start(NlMsg *m, uint16_t type)
{
    return nl_put(m, type | NLA_F_NESTED, NULL, 0);
}

static void
nl_nest_end(NlMsg *m, struct rtattr *nest)
{
    nest->rta_len = (char *) m->buf + m->hdr.nlmsg_len - (char *) nest;
}

static int
nl_open(void)
{
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    struct timeval tv = { .tv_sec = 5 };
    int fd;

    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    /* A kernel that never answers must not hang the daemon's loop. */
    (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

/* Sends @req and reads until the ACK (or error) for it. When @reply is not
 * NULL, the first non-error message of the answer is copied there (for
 * RTM_GET* requests). Returns 0 or the kernel's negative errno. */
static int
nl_transact(NlMsg *req, NlMsg *reply)
{
    auto_cleanup(close_fdp) int fd = -1;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    static char buf[NL_BUF_SIZE * 4];
    bool got_reply = false;

    fd = nl_open();
    if (fd < 0)
        return fd;
    if (sendto(fd, req->buf, req->hdr.nlmsg_len, 0, (struct sockaddr *) &kernel,
               sizeof(kernel)) < 0)
        return -errno;

    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? -ETIMEDOUT : -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != req->hdr.nlmsg_seq)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *e = NLMSG_DATA(h);
                return e->error; /* 0 is the ACK */
            }
            if (h->nlmsg_type == NLMSG_DONE)
                return got_reply ? 0 : -ENODEV;
            if (reply && !got_reply && h->nlmsg_len <= sizeof(reply->buf)) {
                memcpy(reply->buf, h, h->nlmsg_len);
                got_reply = true;
            }
        }
    }
}

static int
nl_set_error(Error *error, int r, const char *what, const char *name)
{
    return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR, "cannot %s '%s'", what, name);
}

static int
check_name(const char *name, Error *error)
{
    if (!netlink_ifname_valid(name))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid interface name '%s'", name ? name : "");
    return 0;
}

int
netlink_bridge_create(const char *name, bool stp, unsigned delay_ms, const uint8_t *mac,
                      unsigned mtu, Error *error)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    struct rtattr *linkinfo, *data;
    NlMsg m;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
    nl_put_str(&m, IFLA_IFNAME, name);
    if (mac)
        nl_put(&m, IFLA_ADDRESS, mac, 6);
    if (mtu)
        nl_put_u32(&m, IFLA_MTU, mtu);
    linkinfo = nl_nest_start(&m, IFLA_LINKINFO);
    nl_put_str(&m, IFLA_INFO_KIND, "bridge");
    data = nl_nest_start(&m, IFLA_INFO_DATA);
    /* The kernel counts the forward delay in centiseconds (clock_t). */
    nl_put_u32(&m, IFLA_BR_FORWARD_DELAY, delay_ms / 10);
    nl_put_u32(&m, IFLA_BR_STP_STATE, stp ? 1 : 0);
    nl_nest_end(&m, data);
    nl_nest_end(&m, linkinfo);

    r = nl_transact(&m, NULL);
    if (r < 0)
        return nl_set_error(error, r, "create bridge", name);
    log_debug("created bridge '%s' (stp %s, delay %u ms)", name, stp ? "on" : "off", delay_ms);
    return 0;
}

static int
link_request(const char *name, uint16_t type, const char *what, NlMsg *m, Error *error)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    nl_init(m, type, 0, &ifi, sizeof(ifi));
    nl_put_str(m, IFLA_IFNAME, name);
    (void) what;
    return 0;
}

int
netlink_link_delete(const char *name, Error *error)
{
    NlMsg m;
    int r;

    r = link_request(name, RTM_DELLINK, "delete", &m, error);
    if (r < 0)
        return r;
    r = nl_transact(&m, NULL);
    if (r < 0)
        return nl_set_error(error, r, "delete interface", name);
    return 0;
}

int
netlink_link_set_up(const char *name, bool up, Error *error)
{
    struct ifinfomsg ifi = {
        .ifi_family = AF_UNSPEC,
        .ifi_change = IFF_UP,
        .ifi_flags = up ? IFF_UP : 0,
    };
    NlMsg m;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    nl_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
    nl_put_str(&m, IFLA_IFNAME, name);
    r = nl_transact(&m, NULL);
    if (r < 0)
        return nl_set_error(error, r, up ? "set up interface" : "set down interface", name);
    return 0;
}

int
netlink_link_set_mtu(const char *name, unsigned mtu, Error *error)
{
    NlMsg m;
    int r;

    r = link_request(name, RTM_NEWLINK, "set mtu", &m, error);
    if (r < 0)
        return r;
    nl_put_u32(&m, IFLA_MTU, mtu);
    r = nl_transact(&m, NULL);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "cannot set mtu %u on interface '%s'", mtu, name);
    return 0;
}

int
netlink_link_set_mac(const char *name, const uint8_t *mac, Error *error)
{
    NlMsg m;
    int r;

    r = link_request(name, RTM_NEWLINK, "set mac", &m, error);
    if (r < 0)
        return r;
    nl_put(&m, IFLA_ADDRESS, mac, 6);
    r = nl_transact(&m, NULL);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "cannot set mac address "
                               "'%02x:%02x:%02x:%02x:%02x:%02x' on interface '%s'",
                               mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], name);
    return 0;
}

int
netlink_link_set_master(const char *name, const char *master, Error *error)
{
    NlMsg m;
    int r, idx = 0;

    if (master) {
        idx = netlink_link_index(master, error);
        if (idx == -ENODEV)
            return error_set(error, -ENODEV, VIR_ERR_SYSTEM_ERROR,
                             "cannot attach interface '%s' to bridge '%s': "
                             "No such device", name, master);
        if (idx < 0)
            return idx;
    }
    r = link_request(name, RTM_NEWLINK, "set master", &m, error);
    if (r < 0)
        return r;
    nl_put_u32(&m, IFLA_MASTER, (uint32_t) idx);
    r = nl_transact(&m, NULL);
    if (r < 0) {
        if (master)
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot attach interface '%s' to bridge '%s'", name, master);
        return nl_set_error(error, r, "detach interface", name);
    }
    return 0;
}

int
netlink_addr_add(const char *name, int family, const void *addr, unsigned prefix,
                 Error *error)
{
    struct ifaddrmsg ifa = { 0 };
    size_t alen = family == AF_INET ? 4 : 16;
    NlMsg m;
    int idx, r;

    if ((family != AF_INET && family != AF_INET6) || prefix > alen * 8)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid address family or prefix '%u' for interface '%s'",
                         prefix, name);
    idx = netlink_link_index(name, error);
    if (idx == -ENODEV)
        return error_set(error, -ENODEV, VIR_ERR_SYSTEM_ERROR,
                         "cannot add address to interface '%s': No such device", name);
    if (idx < 0)
        return idx;

    ifa.ifa_family = family;
    ifa.ifa_prefixlen = prefix;
    ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    ifa.ifa_index = idx;
    nl_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
    nl_put(&m, IFA_LOCAL, addr, alen);
    nl_put(&m, IFA_ADDRESS, addr, alen);
    if (family == AF_INET && prefix < 31) {
        uint32_t a, mask, bcast;
        memcpy(&a, addr, 4);
        mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
        bcast = a | ~mask;
        nl_put(&m, IFA_BROADCAST, &bcast, 4);
    }
    /* Without NODAD the bridge's IPv6 address stays "tentative" for a while
     * and dnsmasq cannot bind it yet. */
    if (family == AF_INET6)
        nl_put_u32(&m, IFA_FLAGS, IFA_F_NODAD);
    r = nl_transact(&m, NULL);
    if (r < 0) {
        char text[INET6_ADDRSTRLEN] = "?";

        inet_ntop(family, addr, text, sizeof(text));
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "cannot add address '%s/%u' to interface '%s'",
                               text, prefix, name);
    }
    return 0;
}

/* RTM_GETLINK by name; the reply message goes to @reply. */
static int
link_get(const char *name, NlMsg *reply)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    NlMsg m;

    if (!netlink_ifname_valid(name))
        return -EINVAL;
    nl_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
    nl_put_str(&m, IFLA_IFNAME, name);
    /* A GET with ACK answers the message, then the ACK. */
    return nl_transact(&m, reply);
}

int
netlink_link_index(const char *name, Error *error)
{
    NlMsg reply;
    int r;

    r = link_get(name, &reply);
    if (r == -ENODEV)
        return -ENODEV;
    if (r < 0)
        return nl_set_error(error, r, "look up interface", name);
    if (reply.hdr.nlmsg_type != RTM_NEWLINK)
        return -ENODEV;
    return ((struct ifinfomsg *) NLMSG_DATA(&reply.hdr))->ifi_index;
}

bool
netlink_link_exists(const char *name)
{
    return netlink_link_index(name, NULL) > 0;
}

static struct rtattr *
link_attr(NlMsg *reply, uint16_t type)
{
    struct ifinfomsg *ifi = NLMSG_DATA(&reply->hdr);
    int len = reply->hdr.nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));

    for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if ((a->rta_type & NLA_TYPE_MASK) == type)
            return a;
    return NULL;
}

int
netlink_link_get(const char *name, unsigned *ret_mtu, uint8_t *ret_mac, Error *error)
{
    struct rtattr *a;
    NlMsg reply;
    int r;

    r = link_get(name, &reply);
    if (r < 0)
        return nl_set_error(error, r, "look up interface", name);
    a = link_attr(&reply, IFLA_MTU);
    if (ret_mtu)
        *ret_mtu = a ? *(uint32_t *) RTA_DATA(a) : 0;
    a = link_attr(&reply, IFLA_ADDRESS);
    if (ret_mac) {
        memset(ret_mac, 0, 6);
        if (a && RTA_PAYLOAD(a) >= 6)
            memcpy(ret_mac, RTA_DATA(a), 6);
    }
    return 0;
}

int
netlink_link_get_master(const char *name, char **ret_master, Error *error)
{
    struct rtattr *a;
    NlMsg reply;
    char buf[IF_NAMESIZE];
    int r;

    r = link_get(name, &reply);
    if (r < 0)
        return nl_set_error(error, r, "look up interface", name);
    a = link_attr(&reply, IFLA_MASTER);
    if (!a || *(uint32_t *) RTA_DATA(a) == 0) {
        *ret_master = NULL;
        return 0;
    }
    if (!if_indextoname(*(uint32_t *) RTA_DATA(a), buf))
        return nl_set_error(error, -errno, "look up the master of interface", name);
    *ret_master = xstrdup(buf);
    return 0;
}
