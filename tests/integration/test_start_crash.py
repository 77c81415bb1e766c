"""virtqemud killed in the middle of a guest's start, at each moment from
the fork of QEMU to the reply to Create (VIRTQEMUD_TEST_CRASH_AT makes the
daemon SIGKILL itself there), then started again: the QEMU that the start
left behind is found and the start finished (the guest runs, STARTED is
announced), or, when QEMU never ran, what the start had taken is given back
(the guest is shut off, STOPPED/FAILED is announced). Either way the guest
is usable at once: destroy, start and destroy again work, and nothing of it
is left on the host."""

import os

import harness
from harness import (check, check_eq, qemu_pids, EV_STARTED, EV_STOPPED, EV_SUSPENDED,
                     EV_STARTED_BOOTED, EV_STOPPED_DESTROYED, EV_STOPPED_FAILED, ST_RUNNING,
                     ST_PAUSED, ST_SHUTOFF)

SHUTOFF_FAILED = 6
START_PAUSED = 1

# (moment, what the restart makes of it, whether the outcome was announced
# before the crash). In the order a start passes them.
MOMENTS = [
    ("fork", "lost", False),       # forked, the child not yet recorded: it never runs QEMU
    ("status", "lost", False),     # recorded, not yet let go: the child exits unstarted
    ("exec", "finished", False),   # QEMU runs, not yet watched
    ("monitor", "finished", False),  # its monitor connecting
    ("qmp", "finished", False),    # QMP negotiated
    ("cpus", "finished", False),   # vCPU threads known
    ("cont", "finished", False),   # about to run the vCPUs
    ("resumed", "finished", False),  # vCPUs running, not yet recorded
    ("started", "finished", True),  # announced, status not yet written
    ("saved", "finished", True),   # status written, no reply yet
    ("replied", "finished", True),  # the reply sent
]


def _crash_during_start(fx, name, moment, flags=0):
    """Defines @name, starts it with virtqemud set to die at @moment, and
    starts virtqemud again; returns (path, events)."""
    d = fx.qemud
    if d.alive():
        d.kill()
    d.env = {"VIRTQEMUD_TEST_CRASH_AT": moment}
    d.start()
    d.env = {}
    path = fx.define(name)
    events = fx.client.domain_events()
    fx.client.call_async(path, harness.DOMAIN_IFACE, "Create", "u", flags)
    harness.wait_pid_exit(d.pid)
    harness.wait_pid_reaped(d.pid)
    check(not harness.pid_alive(d.pid), "virtqemud died at %s" % moment)
    d.start()
    return path, events


def _outcome(fx, path, events, outcome, before, paused):
    if outcome == "lost":
        events.wait_event(path, EV_STOPPED, EV_STOPPED_FAILED)
        check_eq(tuple(fx.client.state(path)), (ST_SHUTOFF, SHUTOFF_FAILED), "state")
        check_eq(qemu_pids(fx.root), [], "QEMU processes")
        check_eq(fx.client.dom_prop(path, "Active"), False, "Active")
        return
    events.wait_event(path, EV_STARTED, EV_STARTED_BOOTED)
    if paused:
        events.wait_event(path, EV_SUSPENDED)
    state = ST_PAUSED if paused else ST_RUNNING
    harness.pump(lambda: fx.client.state(path)[0] == state, harness.DEFAULT_TIMEOUT,
                 "state %d" % state)
    check_eq(len(qemu_pids(fx.root)), 1, "QEMU processes")
    check_eq(fx.client.dom_prop(path, "Active"), True, "Active")
    started = [e for e in events.events(path) if e[1] == EV_STARTED]
    # Announced before the crash and again by the restart only when the crash
    # fell between the event and the status that ends the start.
    check(len(started) == (2 if before == "twice" else 1),
          "STARTED events %r" % events.events(path))


def _usable(fx, path, name, was_active):
    if was_active:
        fx.domain(path, "Destroy", "u", 0)
        harness.wait_qemu_gone(fx.root)
    fx.domain(path, "Create", "u", 0)
    check_eq(fx.client.state(path)[0], ST_RUNNING, "state after a new start")
    check_eq(len(qemu_pids(fx.root)), 1, "QEMU processes after a new start")
    fx.domain(path, "Destroy", "u", 0)
    harness.wait_qemu_gone(fx.root)
    check_eq(fx.client.state(path)[0], ST_SHUTOFF, "state after destroy")
    run = fx.run_dir()
    left = [f for f in os.listdir(run) if f.startswith(name + ".") or f.startswith("domain-")]
    check_eq(left, [], "files left in %s" % run)
    fx.domain(path, "Undefine", "u", 0)


def test_each_moment(fx):
    for moment, outcome, announced in MOMENTS:
        name = "crash-" + moment
        path, events = _crash_during_start(fx, name, moment)
        before = "twice" if moment == "started" else "once"
        _outcome(fx, path, events, outcome, before, paused=False)
        if announced:
            check(events.events(path)[0][1] == EV_STARTED, "STARTED came before the crash")
        _usable(fx, path, name, outcome == "finished")
        events.close()
        harness.log("ok   %s: %s" % (moment, outcome))
        fx.qemud.kill()


def test_paused_start(fx):
    path, events = _crash_during_start(fx, "crash-paused", "cpus", START_PAUSED)
    _outcome(fx, path, events, "finished", "once", paused=True)
    fx.domain(path, "Resume")
    check_eq(fx.client.state(path)[0], ST_RUNNING, "state after resume")
    _usable(fx, path, "crash-paused", True)
    events.close()


def test_destroyed_while_recovering(fx):
    """A destroy of a guest whose start is being finished ends it."""
    path, events = _crash_during_start(fx, "crash-destroy", "qmp")
    fx.domain(path, "Destroy", "u", 0)
    harness.wait_qemu_gone(fx.root)
    check_eq(fx.client.state(path)[0], ST_SHUTOFF, "state after destroy")
    check_eq(events.events(path)[-1], (path, EV_STOPPED, EV_STOPPED_DESTROYED), "last event")
    _usable(fx, path, "crash-destroy", False)
    events.close()


if __name__ == "__main__":
    harness.main(globals(), start_daemon=False)
