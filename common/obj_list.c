#include <string.h>

#include "macros.h"
#include "obj_list.h"

struct ObjIndexEntry {
    ObjIndexEntry *next;
    size_t hash;
    void *obj;          /* borrowed */
    size_t len;
    unsigned char key[];
};

static size_t
hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    size_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static void
index_clear(ObjIndex *ix)
{
    for (size_t i = 0; i < ix->n_buckets; i++)
        for (ObjIndexEntry *e = ix->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(ix->buckets);
    *ix = (ObjIndex) { 0 };
}

static void
index_grow(ObjIndex *ix)
{
    size_t n = ix->n_buckets ? ix->n_buckets * 2 + 1 : 61;
    ObjIndexEntry **b = xcalloc(n, sizeof(*b));

    for (size_t i = 0; i < ix->n_buckets; i++)
        for (ObjIndexEntry *e = ix->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash % n];
            b[e->hash % n] = e;
        }
    free(ix->buckets);
    ix->buckets = b;
    ix->n_buckets = n;
}

static void
index_add(ObjIndex *ix, const void *key, size_t len, void *obj)
{
    ObjIndexEntry *e = xmalloc(sizeof(*e) + len);

    if (ix->n + 1 > ix->n_buckets)
        index_grow(ix);
    e->hash = hash_bytes(key, len);
    e->obj = obj;
    e->len = len;
    memcpy(e->key, key, len);
    e->next = ix->buckets[e->hash % ix->n_buckets];
    ix->buckets[e->hash % ix->n_buckets] = e;
    ix->n++;
}

static ObjIndexEntry **
index_slot(const ObjIndex *ix, const void *key, size_t len)
{
    size_t h;

    if (!ix->n_buckets)
        return NULL;
    h = hash_bytes(key, len);
    for (ObjIndexEntry **pp = &ix->buckets[h % ix->n_buckets]; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && (*pp)->len == len && memcmp((*pp)->key, key, len) == 0)
            return pp;
    return NULL;
}

static void *
index_find(const ObjIndex *ix, const void *key, size_t len)
{
    ObjIndexEntry **pp = index_slot(ix, key, len);

    return pp ? (*pp)->obj : NULL;
}

/* Removes the entry of @key if it names @obj. */
static void
index_remove(ObjIndex *ix, const void *key, size_t len, const void *obj)
{
    ObjIndexEntry **pp = index_slot(ix, key, len);
    ObjIndexEntry *e;

    if (!pp || (*pp)->obj != obj)
        return;
    e = *pp;
    *pp = e->next;
    free(e);
    ix->n--;
}

void
obj_list_init(ObjList *l, const ObjListKind *kind)
{
    *l = (ObjList) { .kind = kind };
}

void
obj_list_clear(ObjList *l)
{
    free(l->objs);
    index_clear(&l->by_name);
    index_clear(&l->by_uuid);
    index_clear(&l->by_path);
    index_clear(&l->by_id);
    obj_list_init(l, l->kind);
}

void
obj_list_add(ObjList *l, void *obj)
{
    const ObjListKind *k = l->kind;
    const char *name = k->name(obj), *path = k->path(obj);

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->objs = xrealloc(l->objs, l->cap * sizeof(*l->objs));
    }
    l->objs[l->n++] = obj;
    index_add(&l->by_name, name, strlen(name), obj);
    index_add(&l->by_path, path, strlen(path), obj);
    if (k->uuid)
        index_add(&l->by_uuid, k->uuid(obj)->bytes, 16, obj);
    if (k->id && k->id(obj) >= 0) {
        int id = k->id(obj);
        index_add(&l->by_id, &id, sizeof(id), obj);
    }
}

void
obj_list_remove(ObjList *l, void *obj)
{
    const ObjListKind *k = l->kind;
    const char *name = k->name(obj), *path = k->path(obj);
    size_t i;

    for (i = 0; i < l->n && l->objs[i] != obj; i++)
        ;
    if (i == l->n)
        return;
    memmove(&l->objs[i], &l->objs[i + 1], (l->n - i - 1) * sizeof(*l->objs));
    l->n--;
    index_remove(&l->by_name, name, strlen(name), obj);
    index_remove(&l->by_path, path, strlen(path), obj);
    if (k->uuid)
        index_remove(&l->by_uuid, k->uuid(obj)->bytes, 16, obj);
    if (k->id && k->id(obj) >= 0) {
        int id = k->id(obj);
        index_remove(&l->by_id, &id, sizeof(id), obj);
    }
}

void
obj_list_set_id(ObjList *l, void *obj, int old_id)
{
    int id = l->kind->id(obj);

    if (old_id >= 0)
        index_remove(&l->by_id, &old_id, sizeof(old_id), obj);
    if (id >= 0)
        index_add(&l->by_id, &id, sizeof(id), obj);
}

void *
obj_list_find_name(const ObjList *l, const char *name)
{
    return name ? index_find(&l->by_name, name, strlen(name)) : NULL;
}

void *
obj_list_find_uuid(const ObjList *l, const Uuid *uuid)
{
    return uuid ? index_find(&l->by_uuid, uuid->bytes, 16) : NULL;
}

void *
obj_list_find_path(const ObjList *l, const char *path)
{
    return path ? index_find(&l->by_path, path, strlen(path)) : NULL;
}

void *
obj_list_find_id(const ObjList *l, int id)
{
    return id >= 0 ? index_find(&l->by_id, &id, sizeof(id)) : NULL;
}
