/* state_store: NAME.xml definitions and autostart links in a temporary folder. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "fileutil.h"
#include "state_store.h"
#include "test_util.h"

static char tmpdir[] = "/tmp/test_state_store.XXXXXX";

static void
test_save_load_list(StateStore *s)
{
    auto_cleanup(strv_freep) char **names = NULL;
    auto_cleanup(free_ptr) char *xml = NULL;
    auto_cleanup(free_ptr) char *path = NULL;
    auto_cleanup(free_ptr) char *other = NULL;
    auto_cleanup(free_ptr) char *sub = NULL;
    auto_cleanup(free_ptr) char *tmp = NULL;
    Error error = ERROR_INIT;
    struct stat st;

    CHECK_INT_EQ(state_store_list(s, &names, &error), 0);
    CHECK_INT_EQ(strv_length(names), 0);
    strv_free(steal_ptr(names));

    CHECK_INT_EQ(state_store_save(s, "web", "<domain><name>web</name></domain>\n", &error), 0);
    CHECK_INT_EQ(state_store_save(s, "db", "<domain/>", &error), 0);
    CHECK_INT_EQ(state_store_save(s, "a b-c.d", "<x/>", &error), 0);

    path = state_store_path(s, "web");
    other = xasprintf("%s/qemu/web.xml", tmpdir);
    CHECK_STR_EQ(path, other);
    free(steal_ptr(other));
    CHECK_INT_EQ(stat(path, &st), 0);
    CHECK_INT_EQ(st.st_mode & 07777, 0600);

    CHECK_INT_EQ(state_store_load(s, "web", &xml, &error), 0);
    CHECK_STR_EQ(xml, "<domain><name>web</name></domain>\n");
    free(steal_ptr(xml));

    /* Overwrite replaces. */
    CHECK_INT_EQ(state_store_save(s, "web", "<domain>v2</domain>", &error), 0);
    CHECK_INT_EQ(state_store_load(s, "web", &xml, &error), 0);
    CHECK_STR_EQ(xml, "<domain>v2</domain>");
    free(steal_ptr(xml));

    /* Things that are not definitions are not listed: a leftover
     * temporary, another suffix, a hidden file, a folder named *.xml. */
    tmp = xasprintf("%s/qemu/db.xml.Ab12Cd", tmpdir);
    CHECK_INT_EQ(file_write_atomic(tmp, "junk", 4, 0600, &error), 0);
    other = xasprintf("%s/qemu/notes.txt", tmpdir);
    CHECK_INT_EQ(file_write_atomic(other, "junk", 4, 0600, &error), 0);
    free(steal_ptr(other));
    other = xasprintf("%s/qemu/.hidden.xml", tmpdir);
    CHECK_INT_EQ(file_write_atomic(other, "junk", 4, 0600, &error), 0);
    sub = xasprintf("%s/qemu/folder.xml", tmpdir);
    CHECK_INT_EQ(mkdir_p(sub, 0755, &error), 0);

    CHECK_INT_EQ(state_store_list(s, &names, &error), 0);
    CHECK_INT_EQ(strv_length(names), 3);
    if (strv_length(names) == 3) {
        CHECK_STR_EQ(names[0], "a b-c.d");
        CHECK_STR_EQ(names[1], "db");
        CHECK_STR_EQ(names[2], "web");
    }
    CHECK(!error_is_set(&error));

    CHECK_INT_EQ(file_remove(tmp, NULL), 0);
    CHECK_INT_EQ(file_remove(other, NULL), 0);
    CHECK_INT_EQ(rmdir_if_empty(sub), 0);
    free(steal_ptr(other));
    other = xasprintf("%s/qemu/notes.txt", tmpdir);
    CHECK_INT_EQ(file_remove(other, NULL), 0);

    /* Missing definition. */
    CHECK_INT_EQ(state_store_load(s, "nope", &xml, &error), -ENOENT);
    CHECK(xml == NULL);
    CHECK_INT_EQ(error.code, VIR_ERR_OPEN_FAILED);
    error_clear(&error);
}

static void
test_autostart(StateStore *s)
{
    auto_cleanup(free_ptr) char *link = xasprintf("%s/qemu/autostart/web.xml", tmpdir);
    auto_cleanup(free_ptr) char *def = xasprintf("%s/qemu/web.xml", tmpdir);
    auto_cleanup(strv_freep) char **names = NULL;
    auto_cleanup(free_ptr) char *p = NULL;
    Error error = ERROR_INIT;
    char buf[PATH_MAX];
    ssize_t n;

    CHECK(!state_store_get_autostart(s, "web"));
    CHECK_INT_EQ(state_store_set_autostart(s, "web", false, &error), 0);
    CHECK_INT_EQ(state_store_set_autostart(s, "web", true, &error), 0);
    CHECK(state_store_get_autostart(s, "web"));
    CHECK(!state_store_get_autostart(s, "db"));

    /* An absolute link to the definition, as libvirt makes. */
    n = readlink(link, buf, sizeof(buf) - 1);
    CHECK(n > 0);
    buf[n > 0 ? n : 0] = '\0';
    CHECK_STR_EQ(buf, def);
    p = state_store_autostart_path(s, "web");
    CHECK_STR_EQ(p, link);

    /* Setting it twice is fine; the autostart folder is not a definition. */
    CHECK_INT_EQ(state_store_set_autostart(s, "web", true, &error), 0);
    CHECK_INT_EQ(state_store_list(s, &names, &error), 0);
    CHECK_INT_EQ(strv_length(names), 3);

    CHECK_INT_EQ(state_store_set_autostart(s, "web", false, &error), 0);
    CHECK(!state_store_get_autostart(s, "web"));
    CHECK(!file_exists(link));

    /* Removing a definition also removes its link. */
    CHECK_INT_EQ(state_store_set_autostart(s, "db", true, &error), 0);
    CHECK(state_store_get_autostart(s, "db"));
    CHECK_INT_EQ(state_store_remove(s, "db", &error), 0);
    CHECK(!state_store_get_autostart(s, "db"));
    CHECK_INT_EQ(state_store_remove(s, "db", &error), 0);
    strv_free(steal_ptr(names));
    CHECK_INT_EQ(state_store_list(s, &names, &error), 0);
    CHECK_INT_EQ(strv_length(names), 2);
    CHECK(!strv_contains(names, "db"));
    CHECK(!error_is_set(&error));
}

static void
test_bad_names(StateStore *s)
{
    const char *bad[] = { "", ".", "..", "a/b", "../etc/passwd", "/abs" };
    char *xml = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        Error error = ERROR_INIT;

        CHECK(!state_store_name_valid(bad[i]));
        CHECK_INT_EQ(state_store_save(s, bad[i], "<x/>", &error), -EINVAL);
        CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
        error_clear(&error);
        CHECK_INT_EQ(state_store_load(s, bad[i], &xml, &error), -EINVAL);
        CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
        error_clear(&error);
        CHECK_INT_EQ(state_store_remove(s, bad[i], &error), -EINVAL);
        error_clear(&error);
        CHECK_INT_EQ(state_store_set_autostart(s, bad[i], true, &error), -EINVAL);
        error_clear(&error);
        CHECK(!state_store_get_autostart(s, bad[i]));
    }
    CHECK(state_store_name_valid("..."));
    CHECK(state_store_name_valid(".x"));
    CHECK(xml == NULL);

    /* A name whose file (and temporary) would not fit: refused, limit named;
     * the longest that fits is saved. */
    {
        char name[STATE_STORE_MAX_NAME + 2];
        Error error = ERROR_INIT;

        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        CHECK_INT_EQ(state_store_save(s, name, "<x/>", &error), -ENAMETOOLONG);
        CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
        CHECK(error.message && strstr(error.message, "at most 244 bytes long, this one has 245"));
        error_clear(&error);
        name[STATE_STORE_MAX_NAME] = '\0';
        CHECK_INT_EQ(state_store_save(s, name, "<x/>", &error), 0);
        CHECK_INT_EQ(state_store_remove(s, name, &error), 0);
        CHECK(!error_is_set(&error));
    }
    /* Nothing was written outside the store. */
    CHECK(!file_exists("/etc/passwd.xml"));
}

static void
test_relative_and_cleanup(void)
{
    auto_cleanup(state_store_freep) StateStore *s = NULL;
    auto_cleanup(free_ptr) char *cwd = getcwd(NULL, 0);
    auto_cleanup(free_ptr) char *want = xasprintf("%s/rel/store", tmpdir);
    Error error = ERROR_INIT;

    CHECK_INT_EQ(chdir(tmpdir), 0);
    CHECK_INT_EQ(state_store_open("rel/store/", &s, &error), 0);
    CHECK_INT_EQ(chdir(cwd), 0);
    if (!s)
        return;
    CHECK_STR_EQ(state_store_dir(s), want);
    CHECK_INT_EQ(state_store_save(s, "n", "<n/>", &error), 0);
    CHECK_INT_EQ(state_store_set_autostart(s, "n", true, &error), 0);
    CHECK(state_store_get_autostart(s, "n"));
    CHECK_INT_EQ(state_store_remove(s, "n", &error), 0);
    CHECK(!error_is_set(&error));
}

static bool
exists_in(const char *dir, const char *name)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/%s", dir, name);

    return access(path, F_OK) == 0;
}

static size_t
count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    while (d && (de = readdir(d)))
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

/* What a daemon killed while writing or removing leaves is swept at the next
 * open and never listed; a removal with a loop renames at once and unlinks
 * on the worker pool. */
static void
test_leftovers_and_trash(void)
{
    auto_cleanup(free_ptr) char *dir = xasprintf("%s/sweep", tmpdir);
    auto_cleanup(strv_freep) char **names = NULL;
    StateStore *s = NULL;
    Error error = ERROR_INIT;
    uv_loop_t loop;
    static const char *const leftovers[] = {
        "vm.xml.a1B2c3", "other.xml.ZZZZZZ", ".trash.0123456789ab", ".spare.0123456789ab",
    };
    static const char *const kept[] = {
        "keep.xml", "notes.txt", "vm.xml.toolong7", "vm.xml.ab-def", "x.xmlabcdef",
    };

    CHECK_INT_EQ(mkdir_p(dir, 0755, &error), 0);
    for (size_t i = 0; i < ARRAY_SIZE(leftovers); i++) {
        auto_cleanup(free_ptr) char *p = xasprintf("%s/%s", dir, leftovers[i]);
        CHECK_INT_EQ(file_write_atomic(p, "<domain>half", 12, 0600, &error), 0);
    }
    for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
        auto_cleanup(free_ptr) char *p = xasprintf("%s/%s", dir, kept[i]);
        CHECK_INT_EQ(file_write_atomic(p, "<keep/>", 7, 0600, &error), 0);
    }
    CHECK_INT_EQ(state_store_open(dir, &s, &error), 0);
    for (size_t i = 0; i < ARRAY_SIZE(leftovers); i++)
        CHECK(!exists_in(dir, leftovers[i]));
    for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
        CHECK(exists_in(dir, kept[i]));
    CHECK_INT_EQ(state_store_list(s, &names, &error), 0);
    CHECK(names && names[0] && STREQ(names[0], "keep") && !names[1]);

    /* Removal through the worker pool: the name goes at once, the trash by
     * the time the loop has run the work. */
    CHECK_INT_EQ(uv_loop_init(&loop), 0);
    state_store_set_loop(s, &loop);
    CHECK_INT_EQ(state_store_save(s, "gone", "<gone/>", &error), 0);
    CHECK_INT_EQ(state_store_remove(s, "gone", &error), 0);
    CHECK(!exists_in(dir, "gone.xml"));
    CHECK_INT_EQ(state_store_remove(s, "never", &error), 0);
    CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_INT_EQ(count_entries(dir, ".trash."), 0);
    /* The store lets go of the loop (its timer closes) as it is freed. */
    state_store_free(s);
    CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_INT_EQ(uv_loop_close(&loop), 0);
    CHECK_INT_EQ(count_entries(dir, ".spare."), 0);
    CHECK(!error_is_set(&error));
}

static char *
read_text(const char *dir, const char *name)
{
    auto_cleanup(free_ptr) char *p = xasprintf("%s/%s", dir, name);
    Error error = ERROR_INIT;
    char *data = NULL;

    if (file_read_all(p, 1 << 20, &data, NULL, &error) < 0) {
        error_clear(&error);
        return NULL;
    }
    return data;
}

static void
put_text(const char *dir, const char *name, const char *text)
{
    auto_cleanup(free_ptr) char *p = xasprintf("%s/%s", dir, name);
    Error error = ERROR_INIT;

    CHECK_INT_EQ(file_write_atomic(p, text, strlen(text), 0600, &error), 0);
    error_clear(&error);
}

/* Reopens @dir (replaying its journal) and closes it again. */
static void
reopen(const char *dir)
{
    auto_cleanup(state_store_freep) StateStore *s = NULL;
    Error error = ERROR_INIT;

    CHECK_INT_EQ(state_store_open(dir, &s, &error), 0);
    CHECK(!error_is_set(&error));
    error_clear(&error);
}

/* With a loop, a save is durable by its journal record; the files follow
 * without waiting for the disk. What the files lost (a power cut between
 * the record and the checkpoint) comes back from the journal at the next
 * open, in the order acknowledged; a record cut short is not replayed; a
 * finished checkpoint empties the journal. */
static void
test_journal(void)
{
    auto_cleanup(free_ptr) char *dir = xasprintf("%s/journal", tmpdir);
    auto_cleanup(free_ptr) char *journal = xasprintf("%s/.journal", dir);
    auto_cleanup(free_ptr) char *copy = xasprintf("%s/journal.copy", tmpdir);
    auto_cleanup(free_ptr) char *data = NULL;
    auto_cleanup(free_ptr) char *text = NULL;
    auto_cleanup(free_ptr) char *cmd = NULL;
    StateStore *s = NULL;
    Error error = ERROR_INIT;
    uv_loop_t loop;
    size_t len = 0;

    CHECK_INT_EQ(state_store_open(dir, &s, &error), 0);
    if (!s)
        return;
    CHECK_INT_EQ(uv_loop_init(&loop), 0);
    state_store_set_loop(s, &loop);
    CHECK_INT_EQ(state_store_save(s, "a", "<a v='1'/>", &error), 0);
    CHECK_INT_EQ(state_store_save(s, "b", "<b/>", &error), 0);
    CHECK_INT_EQ(state_store_remove(s, "b", &error), 0);
    CHECK_INT_EQ(state_store_save(s, "a", "<a v='3'/>", &error), 0);
    /* The files are there at once. */
    text = read_text(dir, "a.xml");
    CHECK_STR_EQ(text, "<a v='3'/>");
    CHECK(!exists_in(dir, "b.xml"));
    CHECK(!exists_in(dir, "journal"));
    CHECK(exists_in(dir, ".journal"));
    /* The journal as a power cut would find it: copied before the loop
     * runs the checkpoint's end. */
    CHECK_INT_EQ(file_read_all(journal, 64 << 20, &data, &len, &error), 0);
    CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    state_store_free(s);
    CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_INT_EQ(uv_loop_close(&loop), 0);

    /* After the checkpoint: nothing to replay, the files are the truth. */
    put_text(dir, "a.xml", "<edited/>");
    reopen(dir);
    free(text);
    text = read_text(dir, "a.xml");
    CHECK_STR_EQ(text, "<edited/>");

    /* Before it: the files lost their last writes; the journal restores
     * them, in order (b saved, then removed). */
    CHECK_INT_EQ(file_write_atomic(copy, data, len, 0600, &error), 0);
    CHECK_INT_EQ(file_write_atomic(journal, data, len, 0600, &error), 0);
    put_text(dir, "a.xml", "<torn");
    put_text(dir, "b.xml", "<b/>");
    reopen(dir);
    free(text);
    text = read_text(dir, "a.xml");
    CHECK_STR_EQ(text, "<a v='3'/>");
    CHECK(!exists_in(dir, "b.xml"));
    /* ... once: the replay emptied it. */
    put_text(dir, "a.xml", "<edited/>");
    reopen(dir);
    free(text);
    text = read_text(dir, "a.xml");
    CHECK_STR_EQ(text, "<edited/>");

    /* A last record cut short (its final byte changed) is not replayed:
     * the first three are. */
    {
        const char *last = memmem(data, len, "<a v='3'/>", 10);

        CHECK(last != NULL);
        if (last)
            data[last - data + 9] = 'X';
    }
    CHECK_INT_EQ(file_write_atomic(journal, data, len, 0600, &error), 0);
    put_text(dir, "b.xml", "<b/>");
    reopen(dir);
    free(text);
    text = read_text(dir, "a.xml");
    CHECK_STR_EQ(text, "<a v='1'/>");
    CHECK(!exists_in(dir, "b.xml"));

    /* A journal that is not one (a header never written whole) is left. */
    CHECK_INT_EQ(file_write_atomic(journal, "junk", 4, 0600, &error), 0);
    reopen(dir);
    free(text);
    text = read_text(dir, "a.xml");
    CHECK_STR_EQ(text, "<a v='1'/>");
    CHECK(!error_is_set(&error));
    error_clear(&error);
}

static void
cleanup(void)
{
    auto_cleanup(free_ptr) char *cmd = xasprintf("rm -rf '%s'", tmpdir);

    if (system(cmd) != 0)
        TEST_FAIL("cannot remove %s", tmpdir);
}

int
main(void)
{
    auto_cleanup(free_ptr) char *dir = NULL;
    StateStore *s = NULL;
    Error error = ERROR_INIT;
    struct stat st;

    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    dir = xasprintf("%s/qemu", tmpdir);
    CHECK_INT_EQ(state_store_open(dir, &s, &error), 0);
    if (!s) {
        cleanup();
        return test_result();
    }
    CHECK_STR_EQ(state_store_dir(s), dir);
    CHECK_INT_EQ(stat(dir, &st), 0);
    CHECK(S_ISDIR(st.st_mode));

    test_save_load_list(s);
    test_autostart(s);
    test_bad_names(s);
    test_leftovers_and_trash();
    test_journal();
    state_store_free(s);
    test_relative_and_cleanup();
    cleanup();
    return test_result();
}
