/* A folder of NAME.xml definitions with autostart links. */
#include "state_store.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/random.h>
#include <uv.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "log.h"
#include "state_journal.h"

#define STATE_STORE_MAX_XML (16 * 1024 * 1024)
#define XML_SUFFIX ".xml"

struct StateStore {
    char *dir;
    int dirfd;       /* @dir, open for the life of the store: writes go through it */
    char *autostart_dir;
    bool volatile_;  /* live state under /run: no fsync (see fileutil.h) */
    uv_loop_t *loop; /* borrowed: where removed files are unlinked off the loop */
    /* With a loop, saves and removals are journaled (state_journal.h): */
    StateJournal *journal;
    bool unsynced;       /* a save or removal since the running checkpoint began */
    uv_timer_t idle;     /* starts the checkpoint once writes pause */
    bool idle_open;      /* @idle initialised and not yet closed */
    bool checkpointing;  /* a checkpoint is on the worker pool */
    bool freed;          /* state_store_free() came while it was */
    char **spares;       /* empty hidden files made ahead, for saves (a strv) */
    size_t n_spares;
    bool refilling;      /* more are being made on the worker pool */
};

typedef struct SpareWork {
    uv_work_t work;
    StateStore *store;
    int dirfd;           /* our own duplicate */
    char **names;        /* made */
} SpareWork;

typedef struct Checkpoint {
    uv_work_t work;
    StateStore *store;
    int dirfd;           /* our own duplicate */
    uint64_t seq;        /* the journal's last record when it began */
    int result;          /* 0 or a negative errno */
} Checkpoint;

#define TRASH_PREFIX ".trash."
#define SPARE_PREFIX ".spare."
/* Saves take new files from a stock made ahead on the worker pool: making
 * a file (its inode) is the dearest part of a write here. */
#define SPARES_LOW 16
#define SPARES_BATCH 64
/* A checkpoint waits for this long without writes: its flush of the disk
 * would otherwise compete with every save's journal record. */
#define CHECKPOINT_IDLE_MS 100
/* ... unless the journal holds this much. */
#define CHECKPOINT_JOURNAL_MAX (16u << 20)

/* Whether @name is a temporary of file_write_atomic_at() (NAME.xml.XXXXXX,
 * six letters or digits) or a removed file not yet unlinked (.trash.*):
 * what a crash of ours may leave behind. */
static bool
is_leftover(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (strncmp(name, TRASH_PREFIX, strlen(TRASH_PREFIX)) == 0 ||
        strncmp(name, SPARE_PREFIX, strlen(SPARE_PREFIX)) == 0)
        return true;
    if (!dot || strlen(dot + 1) != 6 || dot - name < (ptrdiff_t) strlen(XML_SUFFIX) ||
        strncmp(dot - strlen(XML_SUFFIX), XML_SUFFIX, strlen(XML_SUFFIX)) != 0)
        return false;
    for (const char *p = dot + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

/* A name for a removed or spare file: @prefix and 12 random hex digits. */
static void
hidden_name(const char *prefix, char *buf, size_t size)
{
    unsigned char rnd[6];

    if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t) sizeof(rnd))
        for (size_t i = 0; i < sizeof(rnd); i++)
            rnd[i] = (unsigned char) (rand() & 0xff);
    snprintf(buf, size, "%s%02x%02x%02x%02x%02x%02x", prefix, rnd[0], rnd[1], rnd[2], rnd[3],
             rnd[4], rnd[5]);
}

/* Removes what a daemon killed while writing left in the folder. */
static void
sweep_leftovers(StateStore *s)
{
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)))
        if (is_leftover(de->d_name) && unlinkat(s->dirfd, de->d_name, 0) == 0)
            log_debug("removed '%s/%s', left by an interrupted write", s->dir, de->d_name);
    closedir(d);
}

/* A journal record done again, with the disk waited for. */
static int
replay_record(JournalOp op, const char *name, const char *data, size_t len, void *userdata,
              Error *error)
{
    StateStore *s = userdata;
    auto_cleanup(free_ptr) char *file = xasprintf("%s" XML_SUFFIX, name);

    if (op == JOURNAL_SAVE)
        return file_write_atomic_at(s->dirfd, s->dir, file, data, len, 0600, 0, error);
    /* Not the autostart link: state_store_remove() took it before the
     * record, and a link made since belongs to a later definition. */
    if (unlinkat(s->dirfd, file, 0) < 0 && errno != ENOENT)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot remove file '%s/%s'", s->dir, file);
    return 0;
}

int
state_store_open(const char *dir, StateStore **ret, Error *error)
{
    StateStore *s;
    size_t len;
    int r;

    r = mkdir_p(dir, 0755, error);
    if (r < 0)
        return r;

    s = xcalloc(1, sizeof(*s));
    s->dirfd = -1;
    /* Keep the folder without trailing slashes so the links we make read
     * like libvirt's (/etc/libvirt/qemu/NAME.xml). */
    len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (dir[0] == '/') {
        s->dir = xstrndup(dir, len);
    } else {
        /* Links hold absolute paths, so a relative folder is made absolute. */
        auto_cleanup(free_ptr) char *cwd = getcwd(NULL, 0);
        auto_cleanup(free_ptr) char *rel = xstrndup(dir, len);

        if (!cwd) {
            r = -errno;
            free(s);
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot resolve folder '%s'", dir);
        }
        s->dir = path_join(cwd, rel);
    }
    s->autostart_dir = path_join(s->dir, "autostart");
    s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        r = error_set_errno(error, -errno, VIR_ERR_OPEN_FAILED, "cannot open folder '%s'",
                            s->dir);
        state_store_free(s);
        return r;
    }
    sweep_leftovers(s);
    r = state_journal_replay(s->dirfd, s->dir, replay_record, s, error);
    if (r < 0) {
        state_store_free(s);
        return r;
    }
    *ret = s;
    return 0;
}

/* Frees the store once nothing of the loop holds it any more: its idle
 * timer closed, no checkpoint or spare-making on the worker pool. */
static void
store_release(StateStore *s)
{
    if (s->checkpointing || s->refilling || s->idle_open)
        return;
    for (size_t i = 0; i < s->n_spares; i++)
        (void) unlinkat(s->dirfd, s->spares[i], 0);
    strv_free(s->spares);
    state_journal_free(s->journal);
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->dir);
    free(s->autostart_dir);
    free(s);
}

static void
idle_closed(uv_handle_t *h)
{
    StateStore *s = h->data;

    s->idle_open = false;
    store_release(s);
}

void
state_store_free(StateStore *s)
{
    if (!s)
        return;
    s->freed = true;
    /* A daemon that stops leaves nothing to replay if it can help it. */
    if (s->journal && s->unsynced && !s->checkpointing && syncfs(s->dirfd) == 0)
        state_journal_reset_if(s->journal, state_journal_seq(s->journal));
    if (s->idle_open && !uv_is_closing((uv_handle_t *) &s->idle)) {
        uv_close((uv_handle_t *) &s->idle, idle_closed);
        return;
    }
    /* Closed by someone else (a daemon closing every handle at exit): the
     * loop has run its close by the time stores are freed. */
    s->idle_open = false;
    store_release(s);
}

const char *
state_store_dir(const StateStore *s)
{
    return s->dir;
}

bool
state_store_name_valid(const char *name)
{
    return name && *name && !strchr(name, '/') && !STREQ(name, ".") && !STREQ(name, "..");
}

static int
check_name(const char *name, Error *error)
{
    if (!state_store_name_valid(name))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid object name '%s'", name ? name : "");
    /* NAME.xml and its temporary NAME.xml.XXXXXX must fit a file name. */
    if (strlen(name) > STATE_STORE_MAX_NAME)
        return error_set(error, -ENAMETOOLONG, VIR_ERR_INVALID_ARG,
                         "invalid name '%.32s...': a name is at most %d bytes long, "
                         "this one has %zu", name, STATE_STORE_MAX_NAME, strlen(name));
    return 0;
}

char *
state_store_path(const StateStore *s, const char *name)
{
    return xasprintf("%s/%s" XML_SUFFIX, s->dir, name);
}

char *
state_store_autostart_path(const StateStore *s, const char *name)
{
    return xasprintf("%s/%s" XML_SUFFIX, s->autostart_dir, name);
}

static void checkpoint_soon(StateStore *s);
static void checkpoint_start(StateStore *s);

static void
spares_make(uv_work_t *w)
{
    SpareWork *sw = w->data;
    char name[32];

    for (int i = 0; i < SPARES_BATCH; i++) {
        int fd;

        hidden_name(SPARE_PREFIX, name, sizeof(name));
        fd = openat(sw->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            continue;
        close(fd);
        strv_push(&sw->names, xstrdup(name));
    }
}

static void
spares_made(uv_work_t *w, int status)
{
    SpareWork *sw = w->data;
    StateStore *s = sw->store;

    s->refilling = false;
    for (size_t i = 0; sw->names && sw->names[i]; i++) {
        s->spares = xrealloc(s->spares, (s->n_spares + 2) * sizeof(char *));
        s->spares[s->n_spares++] = steal_ptr(sw->names[i]);
        s->spares[s->n_spares] = NULL;
    }
    close(sw->dirfd);
    strv_free(sw->names);
    free(sw);
    if (s->freed)
        store_release(s);
}

/* Keeps the stock of spare files above SPARES_LOW. */
static void
spares_refill(StateStore *s)
{
    SpareWork *sw;

    if (s->refilling || s->freed || s->n_spares >= SPARES_LOW)
        return;
    sw = xcalloc(1, sizeof(*sw));
    sw->store = s;
    sw->dirfd = dup(s->dirfd);
    sw->work.data = sw;
    if (sw->dirfd < 0 || uv_queue_work(s->loop, &sw->work, spares_make, spares_made) < 0) {
        if (sw->dirfd >= 0)
            close(sw->dirfd);
        free(sw);
        return;
    }
    s->refilling = true;
}

/* Writes @file through a spare (no fsync: the journal holds the record),
 * or returns -EAGAIN when there is none to take. */
static int
write_through_spare(StateStore *s, const char *file, const char *data, size_t len)
{
    auto_cleanup(free_ptr) char *spare = NULL;
    auto_cleanup(close_fdp) int fd = -1;
    int r;

    spares_refill(s);
    if (s->n_spares == 0)
        return -EAGAIN;
    spare = steal_ptr(s->spares[--s->n_spares]);
    fd = openat(s->dirfd, spare, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    r = fd_write_all(fd, data, len);
    if (r == 0 && close(steal_fd(fd)) < 0)
        r = -errno;
    if (r == 0 && renameat(s->dirfd, spare, s->dirfd, file) < 0)
        r = -errno;
    if (r < 0)
        (void) unlinkat(s->dirfd, spare, 0);
    return r;
}

/* The journal's answer to a save whose file could not be written after its
 * record was: a record of what the file held before, so that a replay
 * leaves the definition as the caller was told it stayed. */
static void
journal_undo_save(StateStore *s, const char *name, const char *file)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *path = path_join(s->dir, file);
    auto_cleanup(free_ptr) char *old = NULL;
    size_t len = 0;

    if (file_read_all(path, STATE_STORE_MAX_XML, &old, &len, &error) == 0)
        (void) state_journal_append(s->journal, JOURNAL_SAVE, name, old, len, true, &error);
    else
        (void) state_journal_append(s->journal, JOURNAL_REMOVE, name, NULL, 0, true, &error);
}

int
state_store_save(StateStore *s, const char *name, const char *xml, Error *error)
{
    auto_cleanup(free_ptr) char *file = NULL;
    size_t len = strlen(xml);
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    file = xasprintf("%s" XML_SUFFIX, name);
    if (s->volatile_ || !s->journal)
        return file_write_atomic_at(s->dirfd, s->dir, file, xml, len, 0600,
                                    s->volatile_ ? FILE_WRITE_NO_SYNC : 0, error);
    /* Durable once journaled; the file follows at once, its fsync later. */
    r = state_journal_append(s->journal, JOURNAL_SAVE, name, xml, len, true, error);
    if (r < 0)
        return r;
    r = write_through_spare(s, file, xml, len);
    if (r < 0)
        r = file_write_atomic_at(s->dirfd, s->dir, file, xml, len, 0600, FILE_WRITE_NO_SYNC,
                                 error);
    if (r < 0) {
        journal_undo_save(s, name, file);
        return r;
    }
    s->unsynced = true;
    checkpoint_soon(s);
    return 0;
}

void
state_store_set_volatile(StateStore *s, bool on)
{
    s->volatile_ = on;
}

int
state_store_load(StateStore *s, const char *name, char **ret_xml, Error *error)
{
    auto_cleanup(free_ptr) char *path = NULL;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    path = state_store_path(s, name);
    return file_read_all(path, STATE_STORE_MAX_XML, ret_xml, NULL, error);
}

static void
idle_fired(uv_timer_t *t)
{
    checkpoint_start(t->data);
}

/* The checkpoint, once writes pause for CHECKPOINT_IDLE_MS. */
static void
checkpoint_soon(StateStore *s)
{
    if (!s->idle_open || s->freed)
        return;
    if (state_journal_bytes(s->journal) > CHECKPOINT_JOURNAL_MAX)
        checkpoint_start(s);
    else
        uv_timer_start(&s->idle, idle_fired, CHECKPOINT_IDLE_MS, 0);
}

void
state_store_set_loop(StateStore *s, uv_loop_t *loop)
{
    s->loop = loop;
    if (!loop || s->journal || s->volatile_)
        return;
    s->journal = state_journal_new(s->dirfd, s->dir);
    uv_timer_init(loop, &s->idle);
    s->idle.data = s;
    s->idle_open = true;
}

/* ---- checkpoints: the files and the folder on disk, the journal emptied ---- */

/* One syncfs for the whole batch: every file written since the checkpoint
 * began and the folder's renames reach the disk with a single flush, where
 * an fsync of each would wait for the disk once a file. */
static void
checkpoint_sync(uv_work_t *w)
{
    Checkpoint *c = w->data;

    if (syncfs(c->dirfd) < 0)
        c->result = -errno;
}

static void
checkpoint_done(uv_work_t *w, int status)
{
    Checkpoint *c = w->data;
    StateStore *s = c->store;

    s->checkpointing = false;
    if (status == 0 && c->result == 0)
        state_journal_reset_if(s->journal, c->seq);
    else
        log_warn("cannot sync '%s': %s (its journal is kept)", s->dir,
                    strerror(c->result ? -c->result : EIO));
    close(c->dirfd);
    free(c);
    if (s->freed) {
        store_release(s);
        return;
    }
    checkpoint_soon(s);
}

/* Starts a checkpoint of what was written since the last one, unless one
 * runs (its end starts the next). */
static void
checkpoint_start(StateStore *s)
{
    Checkpoint *c;

    if (s->checkpointing || !s->journal || !s->unsynced)
        return;
    c = xcalloc(1, sizeof(*c));
    c->store = s;
    c->seq = state_journal_seq(s->journal);
    c->dirfd = dup(s->dirfd);
    c->work.data = c;
    s->unsynced = false;
    if (c->dirfd < 0 || uv_queue_work(s->loop, &c->work, checkpoint_sync, checkpoint_done) < 0) {
        /* The journal stays, and the next start replays it. */
        if (c->dirfd >= 0)
            close(c->dirfd);
        free(c);
        return;
    }
    s->checkpointing = true;
}

typedef struct TrashWork {
    uv_work_t work;
    int dirfd;         /* our own duplicate */
    char name[32];
} TrashWork;

static void
trash_unlink(uv_work_t *w)
{
    TrashWork *t = w->data;

    (void) unlinkat(t->dirfd, t->name, 0);
}

static void
trash_done(uv_work_t *w, int status)
{
    TrashWork *t = w->data;

    close(t->dirfd);
    free(t);
}

/* Unlinks @file: at once without a loop; else renamed out of the way (a
 * rename in one folder costs no block freeing, which with online discard
 * waits for the disk) and unlinked on the worker pool. Either way the name
 * is gone when this returns. */
static int
remove_file(StateStore *s, const char *file, Error *error)
{
    TrashWork *t;

    if (!s->loop) {
        if (unlinkat(s->dirfd, file, 0) < 0 && errno != ENOENT)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot remove file '%s/%s'", s->dir, file);
        return 0;
    }
    t = xcalloc(1, sizeof(*t));
    hidden_name(TRASH_PREFIX, t->name, sizeof(t->name));
    if (renameat(s->dirfd, file, s->dirfd, t->name) < 0) {
        int e = errno;

        free(t);
        if (e == ENOENT)
            return 0;
        return error_set_errno(error, -e, VIR_ERR_SYSTEM_ERROR, "cannot remove file '%s/%s'",
                               s->dir, file);
    }
    t->dirfd = dup(s->dirfd);
    t->work.data = t;
    if (t->dirfd < 0 || uv_queue_work(s->loop, &t->work, trash_unlink, trash_done) < 0) {
        /* The sweep at the next start removes it. */
        if (t->dirfd >= 0)
            close(t->dirfd);
        free(t);
    }
    return 0;
}

int
state_store_remove(StateStore *s, const char *name, Error *error)
{
    auto_cleanup(free_ptr) char *path = NULL;
    auto_cleanup(free_ptr) char *link = NULL;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    /* The link first: a crash in between leaves a definition without
     * autostart rather than a dangling link. */
    link = state_store_autostart_path(s, name);
    r = file_remove(link, error);
    if (r < 0)
        return r;
    path = xasprintf("%s" XML_SUFFIX, name);
    if (s->journal && !s->volatile_) {
        /* In order behind the saves; like libvirt's, a removal is not
         * waited for on the disk. */
        r = state_journal_append(s->journal, JOURNAL_REMOVE, name, NULL, 0, false, error);
        if (r < 0)
            return r;
        s->unsynced = true;
    }
    r = remove_file(s, path, error);
    if (r == 0)
        checkpoint_soon(s);
    return r;
}

int
state_store_list(StateStore *s, char ***ret_names, Error *error)
{
    auto_cleanup(strv_freep) char **names = NULL;
    DIR *d;
    struct dirent *de;

    d = opendir(s->dir);
    if (!d)
        return error_set_errno(error, -errno, VIR_ERR_OPEN_FAILED,
                               "cannot open folder '%s'", s->dir);
    names = xcalloc(1, sizeof(char *));
    errno = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);

        /* Hidden files and temporaries (NAME.xml.XXXXXX) are skipped, and
         * so is anything but a regular file. */
        if (de->d_name[0] == '.')
            continue;
        if (len <= strlen(XML_SUFFIX) ||
            !STREQ(de->d_name + len - strlen(XML_SUFFIX), XML_SUFFIX))
            continue;
        if (de->d_type != DT_REG) {
            struct stat st;

            if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
                continue;
            if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                continue;
        }
        strv_push(&names, xstrndup(de->d_name, len - strlen(XML_SUFFIX)));
    }
    if (errno != 0) {
        int r = -errno;

        closedir(d);
        return error_set_errno(error, r, VIR_ERR_READ_FAILED,
                               "cannot read folder '%s'", s->dir);
    }
    closedir(d);

    strv_sort(names);
    *ret_names = steal_ptr(names);
    return 0;
}

int
state_store_set_autostart(StateStore *s, const char *name, bool on, Error *error)
{
    auto_cleanup(free_ptr) char *link = NULL;
    auto_cleanup(free_ptr) char *path = NULL;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    link = state_store_autostart_path(s, name);
    if (!on)
        return file_remove(link, error);

    r = mkdir_p(s->autostart_dir, 0755, error);
    if (r < 0)
        return r;
    /* libvirt links to the definition by its absolute path. */
    path = state_store_path(s, name);
    return symlink_atomic(path, link, error);
}

bool
state_store_get_autostart(StateStore *s, const char *name)
{
    auto_cleanup(free_ptr) char *link = NULL;
    struct stat st;

    if (!state_store_name_valid(name))
        return false;
    link = state_store_autostart_path(s, name);
    return lstat(link, &st) == 0 && S_ISLNK(st.st_mode);
}
