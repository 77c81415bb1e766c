/* fileutil: atomic writes, bounded reads, folders, links, string vectors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "test_util.h"

static char tmpdir[] = "/tmp/test_fileutil.XXXXXX";

/* Number of entries in @dir other than . and .. */
static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)))
        if (!STREQ(de->d_name, ".") && !STREQ(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void
test_write_read(void)
{
    auto_cleanup(free_ptr) char *path = path_join(tmpdir, "a.conf");
    auto_cleanup(free_ptr) char *data = NULL;
    Error error = ERROR_INIT;
    struct stat st;
    size_t len = 0;
    mode_t old_umask;

    /* The mode is exact, not masked by the umask. */
    old_umask = umask(0077);
    CHECK_INT_EQ(file_write_atomic(path, "first\n", 6, 0644, &error), 0);
    umask(old_umask);
    CHECK_INT_EQ(stat(path, &st), 0);
    CHECK_INT_EQ(st.st_mode & 07777, 0644);
    CHECK_INT_EQ(file_read_all(path, 100, &data, &len, &error), 0);
    CHECK_STR_EQ(data, "first\n");
    CHECK_INT_EQ(len, 6);
    free(steal_ptr(data));

    /* Replacing: new content, new mode, same single file in the folder. */
    CHECK_INT_EQ(file_write_atomic(path, "second, longer\n", 15, 0600, &error), 0);
    CHECK_INT_EQ(stat(path, &st), 0);
    CHECK_INT_EQ(st.st_mode & 07777, 0600);
    CHECK_INT_EQ(file_read_all(path, 100, &data, NULL, &error), 0);
    CHECK_STR_EQ(data, "second, longer\n");
    CHECK_INT_EQ(count_entries(tmpdir), 1);
    free(steal_ptr(data));

    /* Without fsync (live state under /run): still an atomic replace, and
     * no temporary left beside it. */
    CHECK_INT_EQ(file_write_atomic_flags(path, "volatile\n", 9, 0600, FILE_WRITE_NO_SYNC,
                                         &error), 0);
    CHECK_INT_EQ(file_read_all(path, 100, &data, NULL, &error), 0);
    CHECK_STR_EQ(data, "volatile\n");
    CHECK_INT_EQ(count_entries(tmpdir), 1);
    free(steal_ptr(data));

    /* Binary data with NULs round-trips; the length says how much. */
    CHECK_INT_EQ(file_write_atomic(path, "a\0b", 3, 0600, &error), 0);
    CHECK_INT_EQ(file_read_all(path, 100, &data, &len, &error), 0);
    CHECK_INT_EQ(len, 3);
    CHECK(data && memcmp(data, "a\0b", 4) == 0);
    free(steal_ptr(data));

    /* Empty file. */
    CHECK_INT_EQ(file_write_atomic(path, "", 0, 0600, &error), 0);
    CHECK_INT_EQ(file_read_all(path, 100, &data, &len, &error), 0);
    CHECK_STR_EQ(data, "");
    CHECK_INT_EQ(len, 0);
    free(steal_ptr(data));

    CHECK(!error_is_set(&error));

    CHECK_INT_EQ(file_remove(path, &error), 0);
    CHECK(!file_exists(path));
    CHECK_INT_EQ(file_remove(path, &error), 0);
    CHECK(!error_is_set(&error));
    CHECK_INT_EQ(count_entries(tmpdir), 0);
}

static void
test_read_limits(void)
{
    auto_cleanup(free_ptr) char *path = path_join(tmpdir, "big");
    auto_cleanup(free_ptr) char *missing = path_join(tmpdir, "missing");
    char *data = NULL;
    Error error = ERROR_INIT;
    char buf[1000];

    memset(buf, 'x', sizeof(buf));
    CHECK_INT_EQ(file_write_atomic(path, buf, sizeof(buf), 0600, &error), 0);
    CHECK_INT_EQ(file_read_all(path, 999, &data, NULL, &error), -EFBIG);
    CHECK(data == NULL);
    CHECK_INT_EQ(error.code, VIR_ERR_READ_FAILED);
    error_clear(&error);
    CHECK_INT_EQ(file_read_all(path, 1000, &data, NULL, &error), 0);
    CHECK(data && strlen(data) == 1000);
    free(data);
    data = NULL;

    /* A file whose size stat() does not tell is still bounded. */
    CHECK_INT_EQ(file_read_all("/proc/self/status", 10, &data, NULL, &error), -EFBIG);
    error_clear(&error);
    CHECK_INT_EQ(file_read_all("/proc/self/status", 1 << 20, &data, NULL, &error), 0);
    CHECK(data && strstr(data, "Pid:"));
    free(data);
    data = NULL;

    CHECK_INT_EQ(file_read_all(missing, 100, &data, NULL, &error), -ENOENT);
    CHECK_INT_EQ(error.code, VIR_ERR_OPEN_FAILED);
    CHECK(error.message && strstr(error.message, missing));
    error_clear(&error);

    CHECK_INT_EQ(file_read_all(tmpdir, 100, &data, NULL, &error), -EISDIR);
    error_clear(&error);

    CHECK_INT_EQ(file_remove(path, NULL), 0);
}

static void
test_write_failure(void)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/no/such/dir/file", tmpdir);
    Error error = ERROR_INIT;

    CHECK_INT_EQ(file_write_atomic(path, "x", 1, 0600, &error), -ENOENT);
    CHECK_INT_EQ(error.code, VIR_ERR_WRITE_FAILED);
    CHECK(error.message && strstr(error.message, path));
    error_clear(&error);
    CHECK_INT_EQ(count_entries(tmpdir), 0);
}

static void
test_dirs(void)
{
    auto_cleanup(free_ptr) char *deep = xasprintf("%s/x/y//z/", tmpdir);
    auto_cleanup(free_ptr) char *z = xasprintf("%s/x/y/z", tmpdir);
    auto_cleanup(free_ptr) char *y = xasprintf("%s/x/y", tmpdir);
    auto_cleanup(free_ptr) char *x = xasprintf("%s/x", tmpdir);
    auto_cleanup(free_ptr) char *file = xasprintf("%s/x/file", tmpdir);
    auto_cleanup(free_ptr) char *under_file = xasprintf("%s/x/file/sub", tmpdir);
    Error error = ERROR_INIT;
    struct stat st;

    CHECK_INT_EQ(mkdir_p(deep, 0750, &error), 0);
    CHECK_INT_EQ(stat(z, &st), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_INT_EQ(mkdir_p(deep, 0750, &error), 0);
    CHECK(!error_is_set(&error));

    CHECK_INT_EQ(file_write_atomic(file, "", 0, 0600, &error), 0);
    CHECK(mkdir_p(under_file, 0755, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_SYSTEM_ERROR);
    error_clear(&error);
    CHECK(mkdir_p(file, 0755, &error) < 0);
    error_clear(&error);

    CHECK_INT_EQ(rmdir_if_empty(x), -ENOTEMPTY);
    CHECK_INT_EQ(rmdir_if_empty(z), 0);
    CHECK(!file_exists(z));
    CHECK_INT_EQ(rmdir_if_empty(z), 0);
    CHECK_INT_EQ(rmdir_if_empty(y), 0);
    CHECK_INT_EQ(file_remove(file, &error), 0);
    CHECK_INT_EQ(rmdir_if_empty(x), 0);
    CHECK_INT_EQ(count_entries(tmpdir), 0);
}

static void
test_path_join(void)
{
    struct { const char *a, *b, *want; } cases[] = {
        { "a", "b", "a/b" },
        { "a/", "b", "a/b" },
        { "a//", "/b", "a/b" },
        { "/", "etc", "/etc" },
        { "/root", "/etc/libvirt", "/root/etc/libvirt" },
        { "", "b", "b" },
        { "a", "", "a" },
        { "/x/y", "z/", "/x/y/z/" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        auto_cleanup(free_ptr) char *p = path_join(cases[i].a, cases[i].b);

        CHECK_STR_EQ(p, cases[i].want);
    }
}

static void
test_symlink(void)
{
    auto_cleanup(free_ptr) char *link = path_join(tmpdir, "link");
    auto_cleanup(free_ptr) char *target = path_join(tmpdir, "target");
    Error error = ERROR_INIT;
    char buf[PATH_MAX];
    ssize_t n;

    CHECK_INT_EQ(symlink_atomic("/nowhere/1", link, &error), 0);
    n = readlink(link, buf, sizeof(buf) - 1);
    CHECK(n > 0);
    buf[n > 0 ? n : 0] = '\0';
    CHECK_STR_EQ(buf, "/nowhere/1");
    /* A dangling link does not count as an existing file. */
    CHECK(!file_exists(link));

    CHECK_INT_EQ(file_write_atomic(target, "t", 1, 0600, &error), 0);
    CHECK_INT_EQ(symlink_atomic(target, link, &error), 0);
    n = readlink(link, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK_STR_EQ(buf, target);
    CHECK(file_exists(link));
    CHECK_INT_EQ(count_entries(tmpdir), 2);
    CHECK(!error_is_set(&error));

    CHECK_INT_EQ(file_remove(link, NULL), 0);
    CHECK_INT_EQ(file_remove(target, NULL), 0);
}

static void
test_strv(void)
{
    auto_cleanup(strv_freep) char **v = NULL;
    auto_cleanup(strv_freep) char **c = NULL;

    CHECK_INT_EQ(strv_length(v), 0);
    CHECK(strv_copy(v) == NULL);
    strv_push(&v, xstrdup("b"));
    strv_push(&v, xstrdup("c"));
    strv_push(&v, xstrdup("a"));
    CHECK_INT_EQ(strv_length(v), 3);
    CHECK(v[3] == NULL);
    CHECK(strv_contains(v, "c"));
    CHECK(!strv_contains(v, "d"));

    c = strv_copy(v);
    CHECK_INT_EQ(strv_length(c), 3);
    CHECK(c[0] != v[0]);
    strv_sort(c);
    CHECK_STR_EQ(c[0], "a");
    CHECK_STR_EQ(c[1], "b");
    CHECK_STR_EQ(c[2], "c");
    CHECK_STR_EQ(v[0], "b");
    strv_free(NULL);
}

int
main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_write_read();
    test_read_limits();
    test_write_failure();
    test_dirs();
    test_path_join();
    test_symlink();
    test_strv();
    CHECK_INT_EQ(rmdir(tmpdir), 0);
    return test_result();
}
