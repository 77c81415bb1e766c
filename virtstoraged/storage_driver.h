/* The storage driver: directory pools and the volumes (files) in them.
 *
 * Everything here runs on the daemon's loop thread. Quick work (a mkdir, a
 * readdir, an unlink, reading a qcow2 header) is done in place. Long work (a
 * volume create, clone, wipe or resize, which may run qemu-img or write
 * gigabytes) goes to libuv's worker pool, and a stream (upload, download) to
 * a thread of its own; those take a completion callback that runs exactly
 * once, on the loop, and return at once. While such a job runs, its volume is
 * busy and its pool cannot be stopped, refreshed, deleted or undefined.
 *
 * Pool definitions live in <root>/etc/libvirt/storage/NAME.xml with
 * autostart/ links; active pools are recorded in <root>/run/libvirt/storage
 * so that a restarted daemon finds them active again. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "error.h"
#include "storage_pool_def.h"
#include "storage_vol_def.h"
#include "obj_list.h"
#include "virt_constants.h"

typedef struct StorageDriver StorageDriver;
typedef struct StoragePool StoragePool;
typedef struct StorageVol StorageVol;
typedef struct StateStore StateStore;
typedef struct StorageStream StorageStream;


struct StorageVol {
    StoragePool *pool;       /* borrowed: the pool owns its volumes */
    StorageVolDef *def;      /* name, key (= path), target path, format, sizes */
    char *bus_path;          /* /org/libvirt/QEMU/storagevol/<escaped key> */
    bool building;           /* being created: invisible until its job ends */
    const char *busy;        /* NULL, or what runs on it ("being wiped"): a literal */
    unsigned readers;        /* clones reading it as their source */
    StorageStream *stream;   /* the upload or download it is busy with */
};

struct StoragePool {
    StorageDriver *drv;      /* borrowed */
    StoragePoolDef *def;     /* the live definition */
    StoragePoolDef *next_def;/* redefined while active: applied when it stops */
    char *bus_path;          /* /org/libvirt/QEMU/storagepool/_<uuid> */
    bool active;
    bool persistent;
    bool autostart;
    ObjList vols;            /* its volumes, by name (and object path), in scan order */
    unsigned jobs;           /* volume jobs and streams running */
};

struct StorageDriver {
    uv_loop_t *loop;         /* borrowed */
    char *root;
    StateStore *config;      /* <root>/etc/libvirt/storage */
    StateStore *state;       /* <root>/run/libvirt/storage: the active pools */
    ObjList pools;           /* in definition order */
    ObjList vols;            /* every pool's volumes, by key (as the list's name) and path */
    const struct StorageHooks *hooks;
    void *hooks_userdata;
    bool announce;           /* false while loading */
    unsigned jobs;           /* in all pools */
};

/* What the bus layer hears, on the loop, before the call that caused it
 * replies. Each may be NULL. */
typedef struct StorageHooks {
    void (*pool_added)(StoragePool *pool, void *userdata);
    void (*pool_removed)(StoragePool *pool, void *userdata);  /* pool freed right after */
    void (*pool_event)(StoragePool *pool, StoragePoolEvent event, void *userdata);
    void (*pool_changed)(StoragePool *pool, void *userdata);  /* Active/Autostart/Persistent */
    void (*pool_refreshed)(StoragePool *pool, void *userdata);
    void (*vol_added)(StorageVol *vol, void *userdata);
    void (*vol_removed)(StorageVol *vol, void *userdata);     /* vol freed right after */
} StorageHooks;

typedef struct StorageDriverConfig {
    const char *root;        /* "/" or a test's temporary folder */
    uv_loop_t *loop;
    const StorageHooks *hooks;
    void *hooks_userdata;
} StorageDriverConfig;

/* Loads the definitions and the active pools (refreshing them); a pool whose
 * folder vanished meanwhile comes back inactive. No hook runs while loading. */
int storage_driver_new(const StorageDriverConfig *cfg, StorageDriver **ret, Error *error);
/* Starts the inactive autostart pools (failures are logged). */
void storage_driver_autostart(StorageDriver *drv);
/* True while a job or stream runs. */
bool storage_driver_busy(StorageDriver *drv);
/* Frees everything; running worker jobs must have ended (the daemon only
 * calls it when the loop has stopped: pending completions are dropped). */
void storage_driver_free(StorageDriver *drv);

/* ---- pools (storage_pool.c) ---------------------------------------------- */

size_t storage_driver_count(StorageDriver *drv);
StoragePool *storage_driver_nth(StorageDriver *drv, size_t i);
/* Borrowed results. Errors: VIR_ERR_NO_STORAGE_POOL with libvirt's messages. */
int storage_pool_lookup_name(StorageDriver *drv, const char *name, StoragePool **ret,
                             Error *error);
int storage_pool_lookup_uuid(StorageDriver *drv, const char *uuid, StoragePool **ret,
                             Error *error);
StoragePool *storage_pool_find_by_path(StorageDriver *drv, const char *bus_path);
/* A new array of borrowed pointers matching libvirt's list flags. */
int storage_pool_list(StorageDriver *drv, unsigned flags, StoragePool ***ret, size_t *ret_n,
                      Error *error);

int storage_pool_define(StorageDriver *drv, const char *xml, unsigned flags, StoragePool **ret,
                        Error *error);
/* Transient: defines, optionally builds, starts; on failure nothing is left. */
int storage_pool_create_xml(StorageDriver *drv, const char *xml, unsigned flags,
                            StoragePool **ret, Error *error);
int storage_pool_build(StoragePool *pool, unsigned flags, Error *error);
int storage_pool_start(StoragePool *pool, unsigned flags, Error *error);
/* A transient pool is gone (freed) after it stops. */
int storage_pool_destroy(StoragePool *pool, Error *error);
int storage_pool_delete(StoragePool *pool, unsigned flags, Error *error);
/* An inactive pool is gone (freed) after it; an active one becomes transient. */
int storage_pool_undefine(StoragePool *pool, Error *error);
int storage_pool_refresh(StoragePool *pool, unsigned flags, Error *error);
int storage_pool_set_autostart(StoragePool *pool, bool on, Error *error);
/* state: STORAGE_POOL_STATE_*; sizes from statvfs when active. */
int storage_pool_get_info(StoragePool *pool, int *ret_state, uint64_t *ret_capacity,
                          uint64_t *ret_allocation, uint64_t *ret_available, Error *error);
int storage_pool_get_xml(StoragePool *pool, unsigned flags, char **ret_xml, Error *error);
/* Errors with VIR_ERR_OPERATION_INVALID "storage pool 'x' is not active". */
int storage_pool_check_active(StoragePool *pool, Error *error);

/* ---- volumes (storage_vol.c) --------------------------------------------- */

/* Re-reads the pool's folder: new files appear, vanished ones go. Quiet
 * (no hook) when @announce is false. */
int storage_pool_scan(StoragePool *pool, bool announce, Error *error);
/* Drops every volume (pool stopping); announces their removal. */
void storage_pool_drop_vols(StoragePool *pool, bool announce);
void storage_vol_free(StorageVol *vol);

/* Borrowed results; only volumes of active pools and not being built.
 * Errors: VIR_ERR_NO_STORAGE_VOL with libvirt's messages. */
int storage_vol_lookup_name(StoragePool *pool, const char *name, StorageVol **ret,
                            Error *error);
int storage_vol_lookup_key(StorageDriver *drv, const char *key, StorageVol **ret,
                           Error *error);
int storage_vol_lookup_path(StorageDriver *drv, const char *path, StorageVol **ret,
                            Error *error);
StorageVol *storage_vol_find_by_path(StorageDriver *drv, const char *bus_path);
/* For virtqemud: the path and format of pool/volume (borrowed strings). */
int storage_vol_resolve(StorageDriver *drv, const char *pool_name, const char *vol_name,
                        const char **ret_path, const char **ret_format, Error *error);
/* A new array of borrowed pointers (visible volumes, by name). */
int storage_vol_list(StoragePool *pool, unsigned flags, StorageVol ***ret, size_t *ret_n,
                     Error *error);

/* Completion of a volume job, on the loop: @vol is the new or changed volume
 * (NULL on failure of a create), @error NULL on success. */
typedef void (*StorageVolDoneCb)(StorageVol *vol, const Error *error, void *userdata);

/* Create, create-from (@src non-NULL), wipe, resize: checked at once (an
 * error returns negative and the callback never runs), then run off the
 * loop. */
int storage_vol_create(StoragePool *pool, const char *xml, StorageVol *src, unsigned flags,
                       StorageVolDoneCb cb, void *userdata, Error *error);
int storage_vol_wipe(StorageVol *vol, unsigned algorithm, unsigned flags, StorageVolDoneCb cb,
                     void *userdata, Error *error);
int storage_vol_resize(StorageVol *vol, uint64_t capacity, unsigned flags, StorageVolDoneCb cb,
                       void *userdata, Error *error);
/* Removes the file; the volume is freed. */
int storage_vol_delete(StorageVol *vol, unsigned flags, Error *error);
/* type is VIR_STORAGE_VOL_FILE (0). */
int storage_vol_get_info(StorageVol *vol, unsigned flags, int *ret_type, uint64_t *ret_capacity,
                         uint64_t *ret_allocation, Error *error);
int storage_vol_get_xml(StorageVol *vol, unsigned flags, char **ret_xml, Error *error);
/* Re-reads the file's size, allocation, format and backing store. */
int storage_vol_probe(StorageVol *vol, Error *error);

/* Ends at once the stream @vol is busy with when its peer has closed its end
 * (an aborted transfer), so that the caller finds the volume free; the peer
 * closes before it confirms the abort to its client (storage_stream.c). */
void storage_stream_settle(StorageVol *vol);
/* A pool's volumes, in order. */
static inline size_t
storage_pool_vol_count(const StoragePool *pool)
{
    return obj_list_count(&pool->vols);
}

static inline StorageVol *
storage_pool_vol_nth(const StoragePool *pool, size_t i)
{
    return obj_list_nth(&pool->vols, i);
}

/* Marks @vol busy for a stream (storage_stream.c) and releases it. */
int storage_vol_begin_busy(StorageVol *vol, const char *what, Error *error);
void storage_vol_end_busy(StorageVol *vol);

/* ---- streams (storage_stream.c) ------------------------------------------ */

/* Checks, opens the file, makes the socketpair and starts the transfer
 * thread; *ret_fd is the client's end (the caller owns it). The protocol is
 * in api/org.virtstack.Storage.xml. */
int storage_vol_upload(StorageVol *vol, uint64_t offset, uint64_t length, unsigned flags,
                       int *ret_fd, Error *error);
int storage_vol_download(StorageVol *vol, uint64_t offset, uint64_t length, unsigned flags,
                         int *ret_fd, Error *error);

/* ---- helpers shared by the files of the driver --------------------------- */

/* Calls a hook when announcing (not while loading). */
#define STORAGE_HOOK(drv, name, ...) do { \
        if ((drv)->announce && (drv)->hooks && (drv)->hooks->name) \
            (drv)->hooks->name(__VA_ARGS__, (drv)->hooks_userdata); \
    } while (0)

/* storage_caps.c: virConnectGetStoragePoolCapabilities' XML, and
 * virConnectFindStoragePoolSources (which no pool type here supports:
 * libvirt's errors). */
int storage_pool_capabilities(unsigned flags, char **ret, Error *error);
int storage_find_pool_sources(const char *type, unsigned flags, char **ret, Error *error);
