/* A folder of NAME.xml definitions with autostart links, as libvirt lays out
 * /etc/libvirt/qemu: NAME.xml, and autostart/NAME.xml -> DIR/NAME.xml (an
 * absolute link, as libvirt makes). Live status (/run/libvirt/qemu/NAME.xml)
 * is a second store. Not thread-safe: one loop uses a store. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "macros.h"

typedef struct StateStore StateStore;
typedef struct uv_loop_s uv_loop_t;

/* mkdir -p @dir (0755), removes what an interrupted write or remove of an
 * earlier run left there (NAME.xml.XXXXXX temporaries, .trash.* files),
 * which are never read as definitions, and replays the folder's journal
 * (state_journal.h) if a daemon stopped before its last checkpoint. */
int state_store_open(const char *dir, StateStore **ret, Error *error);
/* From now on saves and removals are journaled: a save is durable once its
 * record is (one fdatasync), its file is written at once without waiting
 * for the disk, and a checkpoint on @loop's worker pool syncs the folder
 * and empties the journal; removed files are unlinked on the worker pool
 * too (see state_store_remove()). Not for a volatile store. */
void state_store_set_loop(StateStore *s, uv_loop_t *loop);
void state_store_free(StateStore *s);
DEFINE_FREEP(StateStore, state_store_free)
/* Borrowed, valid while the store lives. */
const char *state_store_dir(const StateStore *s);

/* The longest name a store takes: NAME.xml and the temporary
 * NAME.xml.XXXXXX it is written through must fit 255 bytes. */
#define STATE_STORE_MAX_NAME (255 - 11)

/* @name must be a valid object name (no '/', not "." or "..", not empty,
 * no NUL, at most STATE_STORE_MAX_NAME bytes): otherwise -EINVAL or
 * -ENAMETOOLONG with VIR_ERR_INVALID_ARG. */
bool state_store_name_valid(const char *name);
/* Atomic, mode 0600. */
/* A store of live state (under /run, gone at reboot): saves stay atomic for a
 * process that dies, without the cost of fsync. */
void state_store_set_volatile(StateStore *s, bool on);
int state_store_save(StateStore *s, const char *name, const char *xml, Error *error);
/* -ENOENT if absent (VIR_ERR_OPEN_FAILED); size limit 16 MiB. */
int state_store_load(StateStore *s, const char *name, char **ret_xml, Error *error);
/* Also removes its autostart link; absent is fine. The name is gone when it
 * returns; with a loop set, the file's blocks are freed later, off the
 * loop. */
int state_store_remove(StateStore *s, const char *name, Error *error);
/* NAME of every NAME.xml (a new strv, sorted); skips temporaries, hidden
 * files, folders and other files. */
int state_store_list(StateStore *s, char ***ret_names, Error *error);
/* Creates or removes autostart/NAME.xml -> DIR/NAME.xml. Turning it off when
 * already off is fine. */
int state_store_set_autostart(StateStore *s, const char *name, bool on, Error *error);
/* True when autostart/NAME.xml exists as a link (even a dangling one). */
bool state_store_get_autostart(StateStore *s, const char *name);
/* New string: DIR/NAME.xml. */
char *state_store_path(const StateStore *s, const char *name);
/* New string: DIR/autostart/NAME.xml. */
char *state_store_autostart_path(const StateStore *s, const char *name);
