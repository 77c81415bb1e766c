/* Storage volume XML (libvirt's <volume>): parse, validate, format.
 *
 *   <volume type='file'>
 *     <name>a.qcow2</name>
 *     <key>/pool/a.qcow2</key>                  output only: the daemon sets it
 *     <capacity unit='G'>10</capacity>
 *     <allocation unit='bytes'>0</allocation>
 *     <physical unit='bytes'>196624</physical>  output only
 *     <target>
 *       <path>/pool/a.qcow2</path>               output only
 *       <format type='qcow2'/>                   raw (default) or qcow2
 *       <permissions><mode>0600</mode><owner>0</owner><group>0</group></permissions>
 *     </target>
 *     <backingStore>
 *       <path>/pool/base.qcow2</path>
 *       <format type='qcow2'/>
 *     </backingStore>
 *   </volume>
 *
 * Sizes take libvirt's units (b, KiB, K, KB, MiB, ... EiB), default bytes.
 */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "macros.h"
#include "storage_pool_def.h"

typedef enum {
    STORAGE_VOL_FORMAT_RAW,
    STORAGE_VOL_FORMAT_QCOW2,
    _STORAGE_VOL_FORMAT_MAX,
} StorageVolFormat;

/* Largest size a volume can have: a file's off_t. */
#define STORAGE_VOL_SIZE_MAX 0x7fffffffffffffffULL

typedef struct StorageVolDef {
    char *name;
    char *key;                    /* NULL until the daemon sets it */
    unsigned long long capacity;  /* bytes */
    bool has_capacity;
    unsigned long long allocation;
    bool has_allocation;          /* false: libvirt's default, allocation = capacity */
    unsigned long long physical;  /* bytes on disk (file size), live */
    char *target_path;            /* NULL until the daemon sets it */
    StorageVolFormat format;
    bool has_format;              /* <format> given (a clone otherwise keeps its source's) */
    StoragePerms perms;
    char *backing_path;           /* NULL: no backing store */
    StorageVolFormat backing_format;
    bool has_backing_format;
} StorageVolDef;

typedef enum {
    /* <capacity> may be missing (create-from: the source's is used). */
    STORAGE_VOL_DEF_PARSE_NO_CAPACITY = 1 << 0,
} StorageVolDefParseFlags;

/* "raw", "qcow2"; NULL when out of range. */
const char *storage_vol_format_to_string(StorageVolFormat f);
/* -1 when unknown. */
int storage_vol_format_from_string(const char *s);

/* Parses and validates @xml (at most 1 MiB). Errors (negative errno):
 *   malformed XML, a bad size number, allocation over capacity, unknown
 *   format, a relative backing path: VIR_ERR_XML_ERROR;
 *   no <name>: VIR_ERR_NO_NAME; no <capacity> (unless the flag):
 *   VIR_ERR_XML_ERROR "missing capacity element";
 *   a size over STORAGE_VOL_SIZE_MAX: VIR_ERR_OVERFLOW;
 *   an unknown unit: VIR_ERR_INVALID_ARG;
 *   a volume type other than file: VIR_ERR_CONFIG_UNSUPPORTED.
 * The name is not checked for '/' here (the pool does that, with libvirt's
 * message: storage_vol_name_check()). */
int storage_vol_def_parse(const char *xml, unsigned flags, StorageVolDef **ret_def,
                          Error *error);
/* The XML text (a new string). */
char *storage_vol_def_format(const StorageVolDef *def);
void storage_vol_def_free(StorageVolDef *def);
DEFINE_FREEP(StorageVolDef, storage_vol_def_free)

/* Refuses a name that would leave the pool's folder or hide: empty, with
 * '/', "." or "..", or starting with '.'. VIR_ERR_OPERATION_INVALID "volume
 * name 'a/b' cannot contain '/'" as libvirt, or VIR_ERR_INVALID_ARG. */
int storage_vol_name_check(const char *name, Error *error);
