/* virDomainGetBlockInfo (virsh domblkinfo) and the sizes of the block
 * stats group: a disk's capacity (its image's virtual size), allocation
 * (what its host file takes, or the highest offset QEMU wrote) and
 * physical size (the host file or device), as libvirt reports them. A
 * running guest's come from QEMU (query-blockstats, query-named-block-
 * nodes); a shut-off guest's from the image itself (a qcow2 header, or
 * the raw file's size). */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu_driver_priv.h"

/* What a shut-off guest's image says of itself. */
void
qemu_disk_image_sizes(const DomainDisk *d, uint64_t *capacity, uint64_t *allocation,
                      uint64_t *physical)
{
    unsigned char head[32];
    struct stat st;
    int fd;

    *capacity = *allocation = *physical = 0;
    if (!d->source || stat(d->source, &st) < 0)
        return;
    *physical = qemu_disk_physical(d);
    *allocation = S_ISBLK(st.st_mode) ? *physical : (uint64_t) st.st_blocks * 512;
    *capacity = *physical;
    fd = open(d->source, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return;
    /* qcow2: "QFI\xfb", then the version, the backing file's offset and
     * size, the cluster bits, and the virtual size at 24, big-endian. */
    if (pread(fd, head, sizeof(head), 0) == (ssize_t) sizeof(head) &&
        memcmp(head, "QFI\xfb", 4) == 0 && !STREQ_NULL(d->driver_type, "raw")) {
        uint64_t size;
        memcpy(&size, head + 24, sizeof(size));
        *capacity = be64toh(size);
    }
    close(fd);
}

typedef struct BlockInfoCall {
    size_t disk;
    BlockInfoCb cb;
    void *userdata;
} BlockInfoCall;

static void
stats_done(Domain *dom, const QmpBlockStats *stats, const bool *found, size_t n,
           void *userdata)
{
    BlockInfoCall *call = userdata;
    Error error = ERROR_INIT;

    if (call->disk >= n || !found[call->disk]) {
        error_set(&error, -EIO, VIR_ERR_INTERNAL_ERROR,
                  "internal error: cannot find statistics for device '%s'",
                  dom->live && call->disk < dom->live->n_disks
                      ? str_or_empty(dom->live->disks[call->disk].target_dev) : "");
        call->cb(dom, 0, 0, 0, &error, call->userdata);
        error_clear(&error);
    } else {
        const DomainDisk *d = &dom->live->disks[call->disk];
        const QmpBlockStats *s = &stats[call->disk];
        uint64_t cap, alloc, phys;

        /* The image's own word for its allocation; QEMU's high-water mark
         * where the image is raw on a device. */
        qemu_disk_image_sizes(d, &cap, &alloc, &phys);
        if (d->type == DISK_TYPE_BLOCK && s->wr_highest_offset)
            alloc = s->wr_highest_offset;
        call->cb(dom, s->capacity ? s->capacity : cap, alloc, s->physical ? s->physical : phys,
                 NULL, call->userdata);
    }
    free(call);
}

int
qemu_domain_get_block_info(Domain *dom, const char *path, unsigned flags, BlockInfoCb cb,
                           void *userdata, Error *error)
{
    const DomainDef *def = qemu_domain_is_active(dom) ? dom->live : dom->def;
    BlockInfoCall *call;
    ssize_t i;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainGetBlockInfo", flags);
    if ((i = domain_def_find_disk(def, path)) < 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: invalid path %s not assigned to domain", path);
    if (!def->disks[i].source)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: disk '%s' does not currently have a source "
                         "assigned", path);
    if (!qemu_domain_is_active(dom)) {
        uint64_t cap, alloc, phys;

        qemu_disk_image_sizes(&def->disks[i], &cap, &alloc, &phys);
        cb(dom, cap, alloc, phys, NULL, userdata);
        return 0;
    }
    if ((r = qemu_job_check_active(dom, error)) < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->disk = (size_t) i;
    call->cb = cb;
    call->userdata = userdata;
    r = qemu_domain_block_stats(dom, stats_done, call, error);
    if (r < 0)
        free(call);
    return r;
}
