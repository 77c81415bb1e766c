/* The write-ahead journal of a definition folder (see state_journal.h). */
#include "state_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"

#define JOURNAL_FILE ".journal"
#define JOURNAL_MAGIC 0x4a53565au   /* "ZVSJ" */
#define RECORD_MAGIC 0x52535652u    /* "RVSR" */
#define JOURNAL_VERSION 1u
#define JOURNAL_RECORDS 4096        /* the first record's offset */
#define JOURNAL_CHUNK (1u << 20)    /* the file grows by this much */
#define RECORD_MAX (64u << 20)      /* no definition is this large (state_store: 16 MiB) */

typedef struct {
    uint32_t magic;
    uint32_t version;
    uint64_t gen;
    uint8_t pad[48];
} JournalHeader;

typedef struct {
    uint32_t magic;
    uint32_t op;
    uint64_t gen;
    uint64_t seq;
    uint32_t name_len;
    uint32_t data_len;
    uint64_t hash;           /* FNV-1a of gen, seq, op, the lengths, name and data */
} RecordHeader;

_Static_assert(sizeof(JournalHeader) == 64, "journal header");
_Static_assert(sizeof(RecordHeader) == 40, "record header");

struct StateJournal {
    int fd;                  /* -1 until the first append */
    int dirfd;               /* borrowed */
    char *dir;
    uint64_t gen;
    uint64_t seq;            /* of the last record */
    off_t off;               /* where the next record goes */
    off_t size;              /* of the file: zeros past @off */
};

static uint64_t
fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t
record_hash(const RecordHeader *r, const char *name, const char *data)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    h = fnv1a(h, &r->gen, sizeof(r->gen));
    h = fnv1a(h, &r->seq, sizeof(r->seq));
    h = fnv1a(h, &r->op, sizeof(r->op));
    h = fnv1a(h, &r->name_len, sizeof(r->name_len));
    h = fnv1a(h, &r->data_len, sizeof(r->data_len));
    h = fnv1a(h, name, r->name_len);
    return fnv1a(h, data, r->data_len);
}

static size_t
record_size(size_t name_len, size_t data_len)
{
    return (sizeof(RecordHeader) + name_len + data_len + 7) & ~(size_t) 7;
}

static int
pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t) n;
        off += n;
    }
    return 0;
}

static int
pread_all(int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = pread(fd, p, len, off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;     /* short: the file ends */
        p += n;
        len -= (size_t) n;
        off += n;
    }
    return 0;
}

/* Writes the header of generation @gen; with @sync, waits for the disk. */
static int
write_header(int fd, uint64_t gen, bool sync)
{
    JournalHeader h = { .magic = JOURNAL_MAGIC, .version = JOURNAL_VERSION, .gen = gen };
    int r = pwrite_all(fd, &h, sizeof(h), 0);

    if (r == 0 && sync && fdatasync(fd) < 0)
        r = -errno;
    return r;
}

int
state_journal_replay(int dirfd, const char *dir, JournalApplyFn apply, void *userdata,
                     Error *error)
{
    auto_cleanup(close_fdp) int fd = openat(dirfd, JOURNAL_FILE, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    JournalHeader h;
    struct stat st;
    off_t off = JOURNAL_RECORDS;
    uint64_t seq = 0;
    int n = 0, r;

    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return error_set_errno(error, -errno, VIR_ERR_OPEN_FAILED,
                               "cannot open the journal of '%s'", dir);
    }
    if (fstat(fd, &st) < 0)
        return error_set_errno(error, -errno, VIR_ERR_READ_FAILED,
                               "cannot read the journal of '%s'", dir);
    if (pread_all(fd, &h, sizeof(h), 0) < 0 || h.magic != JOURNAL_MAGIC ||
        h.version != JOURNAL_VERSION)
        /* Never written whole: it held no acknowledged record. */
        return 0;
    for (;;) {
        RecordHeader rec;
        auto_cleanup(free_ptr) char *buf = NULL;
        size_t size;

        if (off + (off_t) sizeof(rec) > st.st_size ||
            pread_all(fd, &rec, sizeof(rec), off) < 0 || rec.magic != RECORD_MAGIC ||
            rec.gen != h.gen || rec.seq != seq + 1 || rec.name_len == 0 ||
            rec.name_len > 4096 || rec.data_len > RECORD_MAX ||
            (rec.op != JOURNAL_SAVE && rec.op != JOURNAL_REMOVE))
            break;
        size = record_size(rec.name_len, rec.data_len);
        if (off + (off_t) size > st.st_size)
            break;
        buf = xmalloc(rec.name_len + 1 + rec.data_len + 1);
        if (pread_all(fd, buf, rec.name_len, off + (off_t) sizeof(rec)) < 0 ||
            pread_all(fd, buf + rec.name_len + 1, rec.data_len,
                      off + (off_t) sizeof(rec) + rec.name_len) < 0)
            break;
        buf[rec.name_len] = '\0';
        buf[rec.name_len + 1 + rec.data_len] = '\0';
        if (record_hash(&rec, buf, buf + rec.name_len + 1) != rec.hash)
            break;          /* cut short by a crash: never acknowledged */
        r = apply(rec.op, buf, buf + rec.name_len + 1, rec.data_len, userdata, error);
        if (r < 0)
            return r;
        n++;
        seq = rec.seq;
        off += (off_t) size;
    }
    if (fsync(dirfd) < 0)
        return error_set_errno(error, -errno, VIR_ERR_WRITE_FAILED, "cannot sync folder '%s'",
                               dir);
    /* Everything is in the files now: the next generation starts empty. */
    r = write_header(fd, h.gen + 1, true);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_WRITE_FAILED,
                               "cannot reset the journal of '%s'", dir);
    if (n > 0)
        log_info("replayed %d journal record(s) in '%s'", n, dir);
    return n;
}

StateJournal *
state_journal_new(int dirfd, const char *dir)
{
    StateJournal *j = xcalloc(1, sizeof(*j));

    j->fd = -1;
    j->dirfd = dirfd;
    j->dir = xstrdup(dir);
    return j;
}

void
state_journal_free(StateJournal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    free(j->dir);
    free(j);
}

/* Opens the journal at its first use: a replayed one continues with its
 * header's generation, a new one is made whole (header and a first chunk)
 * and put on disk with its folder entry. */
static int
journal_open(StateJournal *j)
{
    JournalHeader h;
    struct stat st;
    int fd, r;

    fd = openat(j->dirfd, JOURNAL_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    if (st.st_size >= JOURNAL_RECORDS && pread_all(fd, &h, sizeof(h), 0) == 0 &&
        h.magic == JOURNAL_MAGIC && h.version == JOURNAL_VERSION) {
        j->gen = h.gen;
        j->size = st.st_size;
    } else {
        auto_cleanup(free_ptr) char *zeros = xcalloc(1, JOURNAL_RECORDS + JOURNAL_CHUNK);
        JournalHeader nh = { .magic = JOURNAL_MAGIC, .version = JOURNAL_VERSION, .gen = 1 };

        memcpy(zeros, &nh, sizeof(nh));
        r = pwrite_all(fd, zeros, JOURNAL_RECORDS + JOURNAL_CHUNK, 0);
        if (r == 0 && fsync(fd) < 0)
            r = -errno;
        if (r == 0 && fsync(j->dirfd) < 0)
            r = -errno;
        if (r < 0) {
            close(fd);
            return r;
        }
        j->gen = 1;
        j->size = JOURNAL_RECORDS + JOURNAL_CHUNK;
    }
    j->fd = fd;
    j->seq = 0;
    j->off = JOURNAL_RECORDS;
    return 0;
}

/* Room for @need more bytes: the file grows by chunks of zeros, fsynced
 * (its size changes) so that a record's fdatasync has only data to write. */
static int
journal_reserve(StateJournal *j, size_t need)
{
    while (j->off + (off_t) need > j->size) {
        auto_cleanup(free_ptr) char *zeros = xcalloc(1, JOURNAL_CHUNK);
        int r = pwrite_all(j->fd, zeros, JOURNAL_CHUNK, j->size);

        if (r < 0)
            return r;
        if (fsync(j->fd) < 0)
            return -errno;
        j->size += JOURNAL_CHUNK;
    }
    return 0;
}

int
state_journal_append(StateJournal *j, JournalOp op, const char *name, const char *data,
                     size_t len, bool sync, Error *error)
{
    size_t name_len = strlen(name), size = record_size(name_len, len);
    auto_cleanup(free_ptr) char *buf = NULL;
    RecordHeader rec = {
        .magic = RECORD_MAGIC,
        .op = op,
        .name_len = (uint32_t) name_len,
        .data_len = (uint32_t) len,
    };
    int r = 0;

    if (len > RECORD_MAX)
        return error_set(error, -EFBIG, VIR_ERR_WRITE_FAILED,
                         "cannot journal '%s' in '%s': too large", name, j->dir);
    if (j->fd < 0)
        r = journal_open(j);
    if (r == 0)
        r = journal_reserve(j, size);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_WRITE_FAILED,
                               "cannot write the journal of '%s'", j->dir);
    rec.gen = j->gen;
    rec.seq = j->seq + 1;
    rec.hash = record_hash(&rec, name, data ? data : "");
    buf = xcalloc(1, size);
    memcpy(buf, &rec, sizeof(rec));
    memcpy(buf + sizeof(rec), name, name_len);
    if (len)
        memcpy(buf + sizeof(rec) + name_len, data, len);
    r = pwrite_all(j->fd, buf, size, j->off);
    if (r == 0 && sync && fdatasync(j->fd) < 0)
        r = -errno;
    if (r < 0) {
        /* Unmade: the next record takes its place, and a replay stops here. */
        static const uint32_t zero;
        (void) pwrite_all(j->fd, &zero, sizeof(zero), j->off);
        return error_set_errno(error, r, VIR_ERR_WRITE_FAILED,
                               "cannot write the journal of '%s'", j->dir);
    }
    j->seq = rec.seq;
    j->off += (off_t) size;
    return 0;
}

uint64_t
state_journal_bytes(const StateJournal *j)
{
    return j->fd < 0 ? 0 : (uint64_t) (j->off - JOURNAL_RECORDS);
}

uint64_t
state_journal_seq(const StateJournal *j)
{
    return j->seq;
}

bool
state_journal_reset_if(StateJournal *j, uint64_t seq)
{
    int r;

    if (j->fd < 0 || j->seq != seq || j->off == JOURNAL_RECORDS)
        return false;
    /* Not waited for: the next record's fdatasync carries the header to the
     * disk before that record is acknowledged, and until then the old
     * generation replays only what the files already hold. */
    r = write_header(j->fd, j->gen + 1, false);
    if (r < 0) {
        log_warn("cannot reset the journal of '%s': %s (it is replayed at the next start)",
                    j->dir, strerror(-r));
        return false;
    }
    j->gen++;
    j->seq = 0;
    j->off = JOURNAL_RECORDS;
    return true;
}
