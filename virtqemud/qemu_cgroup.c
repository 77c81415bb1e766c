/* The cgroups of a domain: where each controller is, and the domain's own
 * group in it, machine.slice/virtstack-<uuid>-<id>.scope below the
 * daemon's own group (cgroup v1: one per controller; v2: one for all).
 * The cpu controller's group has a layout of its own (qemu_cputune.c);
 * the memory, blkio and cpuset groups hold the whole QEMU process and are
 * made the first time a tuning call needs them. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "log.h"
#include "qemu_driver_priv.h"

/* The controllers a domain's group may be made in (besides cpu). */
static const char *const process_controllers[] = { "memory", "blkio", "cpuset", "cpuacct" };

static int find_base(const char *controller, char **ret_base, bool *ret_v2);

int
qemu_cgroup_base(const char *controller, char **ret_base, bool *ret_v2)
{
    static struct {
        char *controller;
        char *base; /* NULL: the host has none */
        bool v2;
    } known[8];
    static size_t n_known;
    size_t i;

    for (i = 0; i < n_known && strcmp(known[i].controller, controller) != 0; i++)
        ;
    if (i == n_known) {
        if (n_known == ARRAY_SIZE(known))
            return find_base(controller, ret_base, ret_v2);
        known[i].controller = xstrdup(controller);
        if (find_base(controller, &known[i].base, &known[i].v2) < 0)
            known[i].base = NULL;
        n_known++;
    }
    if (!known[i].base)
        return -ENOENT;
    *ret_base = xstrdup(known[i].base);
    *ret_v2 = known[i].v2;
    return 0;
}

/* Where @controller is: read from /proc once per controller (the daemon
 * does not move between groups), as every start, stop and tuning call asks. */
static int
find_base(const char *controller, char **ret_base, bool *ret_v2)
{
    char line[1024];
    auto_cleanup(free_ptr) char *v1_mount = NULL, *v2_mount = NULL;
    auto_cleanup(free_ptr) char *v1_path = NULL, *v2_path = NULL;
    FILE *f = fopen("/proc/self/mountinfo", "re");

    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        char mnt[512], fstype[64], opts[512];
        char *sep = strstr(line, " - ");
        if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
            sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
            continue;
        if (strcmp(fstype, "cgroup") == 0 && !v1_mount) {
            for (char *o = strtok(opts, ","); o; o = strtok(NULL, ","))
                if (strcmp(o, controller) == 0)
                    v1_mount = xstrdup(mnt);
        } else if (strcmp(fstype, "cgroup2") == 0 && !v2_mount) {
            v2_mount = xstrdup(mnt);
        }
    }
    fclose(f);
    f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        c2[strcspn(c2, "\n")] = '\0';
        *c2 = '\0';
        if (strcmp(c1 + 1, "") == 0 && line[0] == '0')
            v2_path = xstrdup(c2 + 1);
        for (char *o = strtok(c1 + 1, ","); o; o = strtok(NULL, ","))
            if (strcmp(o, controller) == 0)
                v1_path = xstrdup(c2 + 1);
    }
    fclose(f);
    if (v1_mount && v1_path) {
        *ret_base = xasprintf("%s%s", v1_mount, strcmp(v1_path, "/") == 0 ? "" : v1_path);
        *ret_v2 = false;
        return 0;
    }
    if (v2_mount && v2_path) {
        auto_cleanup(free_ptr) char *ctl = xasprintf("%s/cgroup.controllers", v2_mount);
        auto_cleanup(free_ptr) char *text = NULL;
        if (file_read_all(ctl, 4096, &text, NULL, NULL) >= 0 && strstr(text, controller)) {
            *ret_base = xasprintf("%s%s", v2_mount, strcmp(v2_path, "/") == 0 ? "" : v2_path);
            *ret_v2 = true;
            return 0;
        }
    }
    return -ENOENT;
}

int
qemu_cgroup_write(const char *dir, const char *file, const char *value, Error *error)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/%s", dir, file);
    FILE *f = fopen(path, "we");
    int r = 0;

    if (!f)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot open '%s'", path);
    if (fputs(value, f) < 0)
        r = -errno;
    if (fclose(f) != 0 && r == 0)
        r = -errno;
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "Unable to write to '%s'", path);
    return 0;
}

int
qemu_cgroup_read(const char *dir, const char *file, char **ret, Error *error)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/%s", dir, file);
    char *text = NULL;
    int r = file_read_all(path, 1 << 16, &text, NULL, NULL);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR, "Unable to read from '%s'",
                               path);
    for (size_t n = strlen(text); n > 0 && text[n - 1] == '\n'; n--)
        text[n - 1] = '\0';
    *ret = text;
    return 0;
}

int
qemu_cgroup_mkdir(const char *dir, Error *error)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot create cgroup '%s'", dir);
    return 0;
}

int
qemu_cgroup_move(const char *dir, const char *file, pid_t pid, Error *error)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%d", (int) pid);
    return qemu_cgroup_write(dir, file, buf, error);
}

/* @file of @child, when empty, gets @parent's value. */
static int
inherit(const char *parent, const char *child, const char *file, Error *error)
{
    auto_cleanup(free_ptr) char *mine = NULL, *theirs = NULL;
    int r;

    if ((r = qemu_cgroup_read(child, file, &mine, error)) < 0)
        return r;
    if (*mine)
        return 0;
    if ((r = qemu_cgroup_read(parent, file, &theirs, error)) < 0)
        return r;
    return qemu_cgroup_write(child, file, theirs, error);
}

char *
qemu_cgroup_scope(const Domain *dom, const char *base)
{
    char uuid[UUID_STRING_LEN];

    return xasprintf("%s/machine.slice/virtstack-%s-%d.scope", base,
                     uuid_format(&dom->def->uuid, uuid), dom->id);
}

int
qemu_cgroup_domain(Domain *dom, const char *controller, bool create, char **ret_dir,
                   bool *ret_v2, Error *error)
{
    auto_cleanup(free_ptr) char *base = NULL, *slice = NULL, *dir = NULL;
    bool v2 = false;
    int r;

    if (qemu_cgroup_base(controller, &base, &v2) < 0)
        return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: cgroup %s controller is not "
                         "mounted", controller);
    dir = qemu_cgroup_scope(dom, base);
    if (access(dir, F_OK) < 0) {
        if (!create)
            return -ENOENT;
        slice = xasprintf("%s/machine.slice", base);
        if ((r = qemu_cgroup_mkdir(slice, error)) < 0 || (r = qemu_cgroup_mkdir(dir, error)) < 0)
            return r;
        /* v1 cpuset: a new group has no CPUs and no memory nodes, and takes
         * no task until it has both: its parent's. */
        if (!v2 && strcmp(controller, "cpuset") == 0 &&
            ((r = inherit(base, slice, "cpuset.cpus", error)) < 0 ||
             (r = inherit(base, slice, "cpuset.mems", error)) < 0 ||
             (r = inherit(slice, dir, "cpuset.cpus", error)) < 0 ||
             (r = inherit(slice, dir, "cpuset.mems", error)) < 0)) {
            rmdir(dir);
            return r;
        }
        if (v2 && strcmp(controller, "cpu") != 0) {
            /* v2: the controller must be enabled for the children. */
            auto_cleanup(free_ptr) char *plus = xasprintf("+%s", controller);
            qemu_cgroup_write(base, "cgroup.subtree_control", plus, NULL);
            qemu_cgroup_write(slice, "cgroup.subtree_control", plus, NULL);
        }
        /* v1 cpu has per-thread children (qemu_cputune.c); the other groups
         * take the whole process. */
        if ((v2 || strcmp(controller, "cpu") != 0) &&
            (r = qemu_cgroup_move(dir, "cgroup.procs", dom->proc.pid, error)) < 0) {
            rmdir(dir);
            return r;
        }
    }
    *ret_dir = steal_ptr(dir);
    *ret_v2 = v2;
    return 0;
}

/* The per-thread children of @dir (vcpuN, emulator): empty by now. */
static void
remove_children(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    while (d && (de = readdir(d))) {
        auto_cleanup(free_ptr) char *child = NULL;

        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        child = xasprintf("%s/%s", dir, de->d_name);
        if (rmdir(child) < 0 && errno != ENOENT)
            log_warn("cannot remove cgroup '%s': %s", child, strerror(errno));
    }
    if (d)
        closedir(d);
}

/* Removes the domain's groups once QEMU is gone (they are empty then). */
void
qemu_cgroup_remove_all(Domain *dom)
{
    for (size_t i = 0; i < ARRAY_SIZE(process_controllers); i++) {
        auto_cleanup(free_ptr) char *base = NULL, *dir = NULL;
        bool v2;

        if (qemu_cgroup_base(process_controllers[i], &base, &v2) < 0)
            continue;
        dir = qemu_cgroup_scope(dom, base);
        remove_children(dir);
        if (rmdir(dir) < 0 && errno != ENOENT && errno != EBUSY)
            log_warn("cannot remove cgroup '%s': %s", dir, strerror(errno));
    }
}
