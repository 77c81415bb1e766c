/* The skeleton every daemon's main() uses: flags, logging, bus, pid file,
 * readiness, idle timeout, signals.
 *
 * Flags, as libvirt's daemons have them:
 *   -d/--daemon          fork to the background; the parent exits 0 once the
 *                        child owns its bus name, or 1 with the child's error
 *                        on stderr
 *   -f/--config FILE     config file (default <root>/etc/libvirt/<conf_name>
 *                        when it exists)
 *   -p/--pid-file FILE   written atomically once the name is acquired,
 *                        removed at exit
 *   -t/--timeout SECS    exit when idle (no method call for SECS and
 *                        spec->busy() false)
 *   -v/--verbose         debug logging
 *   -l/--listen          only when spec->has_listen
 *   --system | --session | --bus ADDRESS
 *   --root DIR           absolute; default "/"; created if missing
 *   --version, -h/--help */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>
#include <uv.h>

#include "bus_loop.h"
#include "error.h"

#include "conf.h"

typedef struct Daemon Daemon;

typedef struct DaemonSpec {
    const char *name;      /* "virtqemud" */
    const char *bus_name;  /* "org.libvirt.qemu" */
    const char *conf_name; /* "virtqemud.conf": read from <root>/etc/libvirt/<conf_name>
                            * when -f is not given and it exists */
    bool has_listen;       /* accepts -l/--listen */
    /* Register objects and load state. Called with the bus attached to the
     * loop, BEFORE the name is requested, so a client that sees the name sees
     * every object. Negative return: the daemon logs error->message and
     * exits 1. */
    int (*init)(Daemon *d, Error *error);
    /* Called after the name is acquired (e.g. to autostart guests). May be NULL. */
    void (*ready)(Daemon *d);
    /* The idle timeout does not fire while this returns true (guests
     * running). May be NULL. */
    bool (*busy)(Daemon *d);
    /* On SIGTERM/SIGINT, idle exit or bus loss, before the loop stops; must
     * not stop guests. Then the daemon closes every handle and returns. May
     * be NULL. */
    void (*stop)(Daemon *d);
} DaemonSpec;

struct Daemon {
    const DaemonSpec *spec;
    uv_loop_t *loop;  /* borrowed: the default loop */
    sd_bus *bus;
    char *root;       /* absolute, no trailing slash unless it is "/" */
    Conf *conf;       /* never NULL (empty when no file) */
    bool listen;      /* -l given */
    unsigned timeout; /* -t, 0 = none */
    bool verbose;
    void *userdata;   /* the daemon's own state, set by init() */

    /* private */
    BusLoop *bus_loop;
    uv_timer_t idle_timer;
    uv_signal_t sig_term;
    uv_signal_t sig_int;
    uv_signal_t sig_hup;
    uint64_t last_activity; /* uv_now() of the last method call */
    int exit_code;
    bool quitting;
    int ready_fd;           /* -d: write end of the readiness pipe, or -1 */
    char *pid_file;         /* owned; the file is ours to remove once written */
    bool pid_file_written;
};

/* What the flags say, before anything is opened. */
typedef enum {
    DAEMON_ACTION_RUN,
    DAEMON_ACTION_HELP,    /* -h: usage printed on stdout, exit 0 */
    DAEMON_ACTION_VERSION, /* --version: "NAME (virtstack) VERSION", exit 0 */
} DaemonAction;

typedef struct DaemonOptions {
    DaemonAction action;
    bool daemonize;      /* -d */
    char *config_file;   /* -f, owned; NULL when not given */
    char *pid_file;      /* -p, owned; NULL when not given */
    unsigned timeout;    /* -t, 0 = none */
    bool verbose;        /* -v */
    bool listen;         /* -l */
    BusKind bus_kind;    /* --system (default), --session, --bus */
    char *bus_address;   /* --bus ADDRESS, owned */
    char *root;          /* --root, owned, normalized: absolute, no trailing slash unless "/" */
} DaemonOptions;

/* Parses @argv into @ret (cleared first). An unknown flag or a bad value
 * returns -EINVAL with VIR_ERR_INVALID_ARG and a message naming it. Does
 * not print or exit. */
int daemon_parse_args(const DaemonSpec *spec, int argc, char **argv, DaemonOptions *ret,
                      Error *error);
void daemon_options_clear(DaemonOptions *opts);
/* The usage text for @spec, written to @f. */
void daemon_print_usage(const DaemonSpec *spec, FILE *f);

/* Parses flags, sets up logging, becomes a child subreaper
 * (process_set_subreaper), opens and attaches the bus, calls init, requests
 * the name (failure: "name org.libvirt.qemu is already owned", exit 1),
 * signals readiness, runs the loop until SIGTERM/SIGINT, the idle timeout, or
 * the bus disconnecting; returns the exit code for main(). SIGPIPE ignored.
 * SIGHUP: reserved (logged and ignored). */
int daemon_main(const DaemonSpec *spec, int argc, char **argv);

/* <root> + @path ("/etc/libvirt/qemu" -> "/tmp/r/etc/libvirt/qemu"). @path is
 * absolute. New string. */
char *daemon_path(const Daemon *d, const char *path);
/* The same, from a root string (as in Daemon.root). New string. */
char *daemon_path_join(const char *root, const char *path);

/* Restarts the idle countdown (method calls already do this through a bus
 * filter). */
void daemon_note_activity(Daemon *d);
/* Asks the loop to stop, as on SIGTERM. Safe to call more than once. */
void daemon_quit(Daemon *d);
