/* What /proc says about a running guest: CPU time, vCPU threads, RSS. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_monitor.h"
#include "state_store.h"
#include "xml_util.h"

/* ---- /proc readings ---------------------------------------------------- */

static int
read_proc_stat_times(const char *path, uint64_t *ret_user, uint64_t *ret_sys)
{
    char buf[1024], *p;
    unsigned long long utime, stime;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2)
        return -EIO;
    long hz = sysconf(_SC_CLK_TCK);
    *ret_user = utime * (1000000000ull / (uint64_t) hz);
    *ret_sys = stime * (1000000000ull / (uint64_t) hz);
    return 0;
}

uint64_t
qemu_domain_cpu_time(const Domain *dom, uint64_t *ret_user, uint64_t *ret_system)
{
    char path[64];
    uint64_t u = 0, s = 0;

    if (dom->pid > 0) {
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) dom->pid);
        read_proc_stat_times(path, &u, &s);
    }
    if (ret_user)
        *ret_user = u;
    if (ret_system)
        *ret_system = s;
    return u + s;
}

uint64_t
qemu_domain_vcpu_time(const Domain *dom, size_t i)
{
    char path[96];
    uint64_t u = 0, s = 0;

    if (dom->pid <= 0 || i >= dom->n_vcpu_tids || dom->vcpu_tids[i] <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/task/%" PRId64 "/stat", (int) dom->pid,
             dom->vcpu_tids[i]);
    if (read_proc_stat_times(path, &u, &s) < 0)
        return 0;
    return u + s;
}

uint64_t
qemu_domain_rss_kib(const Domain *dom)
{
    char path[64], line[256];
    unsigned long long kib = 0;
    FILE *f;

    if (dom->pid <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int) dom->pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

