/* The write-ahead journal of a definition folder (state_store.c).
 *
 * A definition is durable once its record in DIR/.journal is: one
 * fdatasync of a block the file already owns, instead of an fsync of a new
 * file and another of the folder. The NAME.xml file is then written
 * without waiting for the disk, so it is there at once for anyone who
 * reads it, and a checkpoint on the worker pool fsyncs the files written
 * since the last one and the folder; when no record came in meanwhile the
 * journal starts again from empty (a new generation in its header).
 *
 * A store opened on a folder replays whatever the journal holds before
 * anything reads the folder: each saved definition is written again (with
 * fsync), each removal done again, in the order the daemon acknowledged
 * them. A record cut short by a crash ends the replay; it was never
 * acknowledged.
 *
 * On disk: a 64-byte header at offset 0 (magic, version, generation), and
 * from JOURNAL_RECORDS on, records of the header's generation with
 * consecutive sequence numbers, each with a 64-bit FNV-1a hash of its
 * contents. The file grows by whole chunks of zeros, fsynced once each, so
 * that a record's own write changes no metadata. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct StateJournal StateJournal;

typedef enum {
    JOURNAL_SAVE = 1,    /* name, the file's whole contents */
    JOURNAL_REMOVE = 2,  /* name */
} JournalOp;

/* Called for each record by state_journal_replay(). */
typedef int (*JournalApplyFn)(JournalOp op, const char *name, const char *data, size_t len,
                              void *userdata, Error *error);

/* Replays DIR/.journal (@dirfd) through @apply, if there is one, and
 * empties it. Returns the number of records applied, or a negative errno
 * with @error (the journal is then kept for the next try). */
int state_journal_replay(int dirfd, const char *dir, JournalApplyFn apply, void *userdata,
                         Error *error);

/* Opens (creating on first use) DIR/.journal for appending. */
StateJournal *state_journal_new(int dirfd, const char *dir);
void state_journal_free(StateJournal *j);

/* Appends one record; with @sync it is on the disk when this returns
 * (fdatasync). On failure nothing was appended. */
int state_journal_append(StateJournal *j, JournalOp op, const char *name, const char *data,
                         size_t len, bool sync, Error *error);
/* How many bytes the records take. */
uint64_t state_journal_bytes(const StateJournal *j);
/* The sequence number of the last record appended. */
uint64_t state_journal_seq(const StateJournal *j);
/* Starts again from empty, if the last record is still @seq (nothing was
 * appended since the checkpoint that covers it began). Returns true when
 * it did. */
bool state_journal_reset_if(StateJournal *j, uint64_t seq);
