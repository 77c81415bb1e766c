/* The objects of one kind a daemon serves (domains, networks, pools, node
 * devices), in the order they were added, with hashed lookups by name,
 * UUID, object path and id: no lookup scans the list.
 *
 * The list does not own the objects; it keeps copies of their keys, read
 * through the kind's accessors when an object is added. A key that changes
 * while the object is listed (a domain's id at start and stop) is told with
 * obj_list_set_id(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "uuid.h"

typedef struct ObjListKind {
    const char *(*name)(const void *obj);
    const Uuid *(*uuid)(const void *obj);   /* NULL: the kind has no UUID */
    const char *(*path)(const void *obj);
    int (*id)(const void *obj);             /* NULL: no ids; a negative id is none */
} ObjListKind;

/* Accessors for an ObjListKind: OBJ_LIST_KEY_STR(fn, Type, o->path) defines
 * `static const char *fn(const void *obj)` returning the expression, with
 * `o` the object as a const Type *; likewise a UUID and an int. */
#define OBJ_LIST_KEY_STR(fn, Type, expr) \
    static const char *fn(const void *obj_) { const Type *o = obj_; return (expr); }
#define OBJ_LIST_KEY_UUID(fn, Type, expr) \
    static const Uuid *fn(const void *obj_) { const Type *o = obj_; return (expr); }
#define OBJ_LIST_KEY_INT(fn, Type, expr) \
    static int fn(const void *obj_) { const Type *o = obj_; return (expr); }

typedef struct ObjIndexEntry ObjIndexEntry;

/* A hash from a key (bytes) to one object. */
typedef struct ObjIndex {
    ObjIndexEntry **buckets;
    size_t n_buckets, n;
} ObjIndex;

typedef struct ObjList {
    const ObjListKind *kind;   /* borrowed: a static description */
    void **objs;
    size_t n, cap;
    ObjIndex by_name, by_uuid, by_path, by_id;
} ObjList;

void obj_list_init(ObjList *l, const ObjListKind *kind);
/* Forgets every object (which the caller frees) and the indexes. */
void obj_list_clear(ObjList *l);

/* Appends @obj. Its name, UUID and path must be unique in the list (the
 * driver checks for duplicates first, with libvirt's messages). */
void obj_list_add(ObjList *l, void *obj);
/* Removes @obj (a no-op when it is not listed), keeping the others' order. */
void obj_list_remove(ObjList *l, void *obj);
/* @obj's id changes from @old_id to what the kind's id() says now. */
void obj_list_set_id(ObjList *l, void *obj, int old_id);

void *obj_list_find_name(const ObjList *l, const char *name);
void *obj_list_find_uuid(const ObjList *l, const Uuid *uuid);
void *obj_list_find_path(const ObjList *l, const char *path);
void *obj_list_find_id(const ObjList *l, int id);

static inline size_t
obj_list_count(const ObjList *l)
{
    return l->n;
}

static inline void *
obj_list_nth(const ObjList *l, size_t i)
{
    return i < l->n ? l->objs[i] : NULL;
}
