/* What the storage driver can do, as libvirt tells it: the pool
 * capabilities (virConnectGetStoragePoolCapabilities) and source discovery
 * (virConnectFindStoragePoolSources), for the one pool type served here. */
#include <errno.h>
#include <string.h>

#include "fileutil.h"
#include "macros.h"
#include "storage_driver.h"
#include "xml_util.h"

/* libvirt 9.0's virStoragePoolType names, in its order (its numbers). */
static const char *const libvirt_pool_types[] = {
    "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd",
    "sheepdog", "gluster", "zfs", "vstorage",
};

int
storage_pool_capabilities(unsigned flags, char **ret, Error *error)
{
    XmlWriter w = XML_WRITER_INIT;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function "
                         "storageConnectGetStoragePoolCapabilities", flags);
    xml_writer_start(&w, "storagepoolCapabilities");
    for (size_t i = 0; i < ARRAY_SIZE(libvirt_pool_types); i++) {
        bool dir = STREQ(libvirt_pool_types[i], "dir");
        xml_writer_start(&w, "pool");
        xml_writer_attr(&w, "type", libvirt_pool_types[i]);
        xml_writer_attr(&w, "supported", dir ? "yes" : "no");
        if (dir) {
            /* The formats a dir pool's volumes may have here. */
            xml_writer_start(&w, "volOptions");
            xml_writer_start(&w, "defaultFormat");
            xml_writer_attr(&w, "type", "raw");
            xml_writer_end(&w);
            xml_writer_start(&w, "enum");
            xml_writer_attr(&w, "name", "targetFormatType");
            for (int f = 0; storage_vol_format_to_string(f); f++) {
                xml_writer_start(&w, "value");
                xml_writer_text(&w, storage_vol_format_to_string(f));
                xml_writer_end(&w);
            }
            xml_writer_end(&w);
            xml_writer_end(&w);
        }
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    *ret = xml_writer_steal(&w);
    return 0;
}

int
storage_find_pool_sources(const char *type, unsigned flags, char **ret, Error *error)
{
    (void) ret;
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function "
                         "storageConnectFindStoragePoolSources", flags);
    for (size_t i = 0; i < ARRAY_SIZE(libvirt_pool_types); i++) {
        if (!STREQ(type, libvirt_pool_types[i]))
            continue;
        if (i == 0)
            return error_set(error, -ENOTSUP, VIR_ERR_NO_SUPPORT,
                             "this function is not supported by the connection driver: pool "
                             "type '%s' does not support source discovery", type);
        return error_set(error, -ENOTSUP, VIR_ERR_INTERNAL_ERROR,
                         "internal error: missing backend for pool type %zu (%s)", i, type);
    }
    return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                     "internal error: unknown storage pool type %s", type);
}
