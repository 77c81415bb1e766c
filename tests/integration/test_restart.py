"""Guests outlive their daemon: three running guests (one paused), virtqemud
killed with SIGKILL and started again; every guest is still there with the
same id, state and QEMU process, and suspend, resume, shutdown and destroy
work through the new daemon, with events flowing again."""

import os
import signal
import xml.etree.ElementTree as ET

import harness
from harness import (check, check_eq, qemu_pids, EV_STARTED, EV_STOPPED, EV_SUSPENDED,
                     EV_RESUMED, EV_SHUTDOWN, ST_RUNNING, ST_PAUSED, ST_SHUTOFF, LIST_ACTIVE,
                     LIST_PAUSED, LIST_RUNNING)

NAMES = ["keep-a", "keep-b", "keep-c"]


def snapshot(fx, paths):
    c = fx.client
    return {n: {"id": c.dom_prop(p, "Id"), "state": c.state(p)[0],
                "active": c.dom_prop(p, "Active"),
                "xml_id": ET.fromstring(fx.domain(p, "GetXMLDesc", "u", 0)).get("id")}
            for n, p in paths.items()}


def test_guests_survive_sigkill(fx):
    events = fx.client.domain_events()
    paths, logs = {}, {}
    for n in NAMES:
        paths[n] = fx.define(n)
        logs[n] = fx.serial_log(n)
        fx.domain(paths[n], "Create", "u", 0)
    for n in NAMES:
        events.wait_event(paths[n], EV_STARTED)
        logs[n].wait_for("GUEST-READY")
    fx.domain(paths["keep-b"], "Suspend")
    events.wait_event(paths["keep-b"], EV_SUSPENDED)
    before = snapshot(fx, paths)
    pids = qemu_pids(fx.root)
    check_eq(len(pids), 3, "qemu processes before the kill")

    old_pid = fx.qemud.pid
    fx.qemud.kill(signal.SIGKILL)
    check(not harness.pid_alive(old_pid), "virtqemud survived SIGKILL")
    check_eq(qemu_pids(fx.root), pids, "qemu processes after killing the daemon")
    fx.qemud.start()
    check(fx.qemud.pid != old_pid, "a new daemon process")

    # The client's old match rules still hold: the bus keeps them.
    after = snapshot(fx, paths)
    check_eq(after, before, "ids and states across the restart")
    check_eq(sorted(fx.connect("ListDomains", "u", LIST_ACTIVE)), sorted(paths.values()),
             "active domains after the restart")
    check_eq(fx.connect("ListDomains", "u", LIST_PAUSED), [paths["keep-b"]],
             "paused domains after the restart")
    check_eq(sorted(fx.connect("ListDomains", "u", LIST_RUNNING)),
             sorted([paths["keep-a"], paths["keep-c"]]), "running domains after the restart")
    for n in NAMES:
        check_eq(fx.connect("DomainLookupByID", "i", before[n]["id"]), paths[n],
                 "lookup by id of %s" % n)
    objs = fx.client.managed_objects()
    check_eq(sorted(objs), sorted(paths.values()), "GetManagedObjects after the restart")

    # Operations and events through the new daemon.
    n0 = len(events.events())
    fx.domain(paths["keep-b"], "Resume")
    events.wait_event(paths["keep-b"], EV_RESUMED)
    check_eq(fx.client.state(paths["keep-b"])[0], ST_RUNNING, "keep-b resumed")
    fx.domain(paths["keep-a"], "Suspend")
    events.wait_event(paths["keep-a"], EV_SUSPENDED)
    check_eq(fx.client.state(paths["keep-a"])[0], ST_PAUSED, "keep-a suspended")
    fx.domain(paths["keep-a"], "Resume")
    events.wait_event(paths["keep-a"], EV_RESUMED)
    check_eq(qemu_pids(fx.root), pids, "qemu processes after suspend/resume")

    fx.domain(paths["keep-c"], "Shutdown", "u", 0)
    events.wait_event(paths["keep-c"], EV_STOPPED, harness.EV_STOPPED_SHUTDOWN)
    logs["keep-c"].wait_for("GUEST-POWEROFF", timeout=30)
    check_eq(fx.client.state(paths["keep-c"]), (ST_SHUTOFF, 1), "keep-c shut down")

    for n in ("keep-a", "keep-b"):
        fx.domain(paths[n], "Destroy", "u", 0)
        events.wait_event(paths[n], EV_STOPPED, harness.EV_STOPPED_DESTROYED)
    harness.wait_qemu_gone(fx.root, 30)
    check_eq(events.events()[n0:], [
        (paths["keep-b"], EV_RESUMED, harness.EV_RESUMED_UNPAUSED),
        (paths["keep-a"], EV_SUSPENDED, harness.EV_SUSPENDED_PAUSED),
        (paths["keep-a"], EV_RESUMED, harness.EV_RESUMED_UNPAUSED),
        (paths["keep-c"], EV_SHUTDOWN, harness.EV_SHUTDOWN_GUEST),
        (paths["keep-c"], EV_STOPPED, harness.EV_STOPPED_SHUTDOWN),
        (paths["keep-a"], EV_STOPPED, harness.EV_STOPPED_DESTROYED),
        (paths["keep-b"], EV_STOPPED, harness.EV_STOPPED_DESTROYED),
    ], "events after the restart")


def test_guest_exit_while_daemon_down(fx):
    """A guest that powers off while no daemon watches is found shut off
    when the daemon comes back, and its runtime files are cleaned up."""
    events = fx.client.domain_events()
    path = fx.define("orphan")
    log = fx.serial_log("orphan")
    fx.domain(path, "Create", "u", 0)
    events.wait_event(path, EV_STARTED)
    log.wait_for("GUEST-READY")
    pid = qemu_pids(fx.root)[0]
    fx.qemud.kill(signal.SIGKILL)
    harness.kill_and_wait(pid, signal.SIGKILL)
    fx.qemud.start()
    check_eq(fx.client.state(path)[0], ST_SHUTOFF, "state of a guest that died meanwhile")
    check_eq(fx.client.dom_prop(path, "Active"), False, "Active of a guest that died meanwhile")
    check_eq(fx.connect("ListDomains", "u", LIST_ACTIVE), [], "active domains")
    # And it starts again.
    fx.domain(path, "Create", "u", 0)
    events.wait_event(path, EV_STARTED)
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, EV_STOPPED)
    fx.check_alive()


def test_definitions_survive_sigkill(fx):
    """Definitions acknowledged just before a SIGKILL, and removals, are
    what the next daemon finds: the journal (replayed if the daemon died
    before its checkpoint) and the files agree with what was answered."""
    paths = {"j-%02d" % i: fx.define("j-%02d" % i) for i in range(20)}
    for i in range(0, 20, 2):
        fx.domain(paths["j-%02d" % i], "Undefine", "u", 0)
    kept = sorted("j-%02d" % i for i in range(1, 20, 2))
    xml = {n: fx.domain(paths[n], "GetXMLDesc", "u", 0) for n in kept}
    check(os.path.exists(fx.etc(".journal")), "the definitions' journal")
    fx.qemud.kill(signal.SIGKILL)
    fx.qemud.start()
    names = sorted(n for n in (fx.client.dom_prop(p, "Name")
                               for p in fx.connect("ListDomains", "u", 0)) if n.startswith("j-"))
    check_eq(names, kept, "domains after the restart")
    for n in kept:
        check_eq(fx.domain(paths[n], "GetXMLDesc", "u", 0), xml[n], "definition of " + n)
    check_eq(sorted(f for f in os.listdir(fx.etc()) if f.startswith("j-")),
             [n + ".xml" for n in kept], "files in the folder")
    fx.check_alive()


harness.main(globals())
