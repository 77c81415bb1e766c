/* The object list: lookups by each key, order kept across removals, ids
 * that change, and a few thousand objects (every lookup through the hash:
 * each finds its own object). */
#include "obj_list.h"
#include "object_path.h"
#include "test_util.h"

typedef struct Thing {
    char *name;
    Uuid uuid;
    char *path;
    int id;
} Thing;

OBJ_LIST_KEY_STR(thing_name, Thing, o->name)
OBJ_LIST_KEY_UUID(thing_uuid, Thing, &o->uuid)
OBJ_LIST_KEY_STR(thing_path, Thing, o->path)
OBJ_LIST_KEY_INT(thing_id, Thing, o->id)

static const ObjListKind thing_kind = {
    .name = thing_name, .uuid = thing_uuid, .path = thing_path, .id = thing_id,
};

#define N 5000

int
main(void)
{
    static Thing things[N];
    ObjList l;

    obj_list_init(&l, &thing_kind);
    CHECK(obj_list_find_name(&l, "x") == NULL);
    CHECK(obj_list_find_id(&l, 1) == NULL);
    for (int i = 0; i < N; i++) {
        things[i].name = xasprintf("thing-%d", i);
        uuid_generate(&things[i].uuid);
        things[i].path = object_path_from_uuid("/t", &things[i].uuid);
        things[i].id = i % 2 ? i : -1;
        obj_list_add(&l, &things[i]);
    }
    CHECK_INT_EQ(obj_list_count(&l), N);
    for (int i = 0; i < N; i++) {
        CHECK(obj_list_nth(&l, i) == &things[i]);
        CHECK(obj_list_find_name(&l, things[i].name) == &things[i]);
        CHECK(obj_list_find_uuid(&l, &things[i].uuid) == &things[i]);
        CHECK(obj_list_find_path(&l, things[i].path) == &things[i]);
        CHECK(obj_list_find_id(&l, i) == (i % 2 ? &things[i] : NULL));
    }
    CHECK(obj_list_nth(&l, N) == NULL);
    CHECK(obj_list_find_id(&l, -1) == NULL);
    CHECK(obj_list_find_name(&l, NULL) == NULL);

    /* An id given and taken back. */
    things[10].id = 100000;
    obj_list_set_id(&l, &things[10], -1);
    CHECK(obj_list_find_id(&l, 100000) == &things[10]);
    things[11].id = -1;
    obj_list_set_id(&l, &things[11], 11);
    CHECK(obj_list_find_id(&l, 11) == NULL);

    /* Removal keeps the order of the rest; removing twice is harmless. */
    obj_list_remove(&l, &things[1]);
    obj_list_remove(&l, &things[1]);
    CHECK_INT_EQ(obj_list_count(&l), N - 1);
    CHECK(obj_list_nth(&l, 0) == &things[0]);
    CHECK(obj_list_nth(&l, 1) == &things[2]);
    CHECK(obj_list_find_name(&l, things[1].name) == NULL);
    CHECK(obj_list_find_uuid(&l, &things[1].uuid) == NULL);
    CHECK(obj_list_find_path(&l, things[1].path) == NULL);
    CHECK(obj_list_find_id(&l, 1) == NULL);
    CHECK(obj_list_find_name(&l, things[2].name) == &things[2]);
    /* A name freed after removal is never read again: the list kept a copy. */
    free(steal_ptr(things[1].name));
    things[1].name = xstrdup("thing-1");
    obj_list_add(&l, &things[1]);
    CHECK(obj_list_nth(&l, N - 1) == &things[1]);
    CHECK(obj_list_find_name(&l, "thing-1") == &things[1]);

    obj_list_clear(&l);
    CHECK_INT_EQ(obj_list_count(&l), 0);
    CHECK(obj_list_find_name(&l, "thing-2") == NULL);
    for (int i = 0; i < N; i++) {
        free(things[i].name);
        free(things[i].path);
    }
    return test_result();
}
