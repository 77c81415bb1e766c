"""Nothing waits behind a guest's start: while a Create is in flight on one
connection, calls from another connection are answered first. Measured by
the order in which replies arrive, not by the clock."""

import harness
from harness import check, check_eq, qemu_pids, EV_STARTED, EV_STOPPED, DOMAIN_IFACE

READS = 5


def test_list_answers_while_start_in_flight(fx):
    events = fx.client.domain_events()
    path = fx.define("slowstart")
    other = fx.define("bystander")
    starter = fx.new_client()
    reader = fx.new_client()

    start = starter.call_async(path, DOMAIN_IFACE, "Create", "u", 0)
    starter.conn.flush()
    # Read calls one after the other, each sent when the previous answered:
    # if the daemon served nothing during the start, at most the first could
    # overtake it.
    reads = []
    for i in range(READS):
        if i % 2 == 0:
            p = reader.call_async(harness.QEMU_PATH, harness.CONNECT_IFACE, "ListDomains", "u", 0)
        else:
            p = reader.call_async(other, DOMAIN_IFACE, "GetState", "u", 0)
        reads.append(p)
        harness.pump(lambda: p.done, 30, "read %d" % i)
        check(p.error is None, "read %d failed: %s" % (i, p.error))
    start.wait(harness.BOOT_TIMEOUT)
    check_eq(sorted(reads[0].result), sorted([path, other]), "ListDomains during the start")
    late = [i for i, p in enumerate(reads) if p.order > start.order]
    check_eq(late, [], "reads answered after the start's reply (order: start %d, reads %r)"
             % (start.order, [p.order for p in reads]))
    events.wait_event(path, EV_STARTED)
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, EV_STOPPED)


def test_two_starts_at_once(fx):
    events = fx.client.domain_events()
    a = fx.define("twin-a")
    b = fx.define("twin-b")
    ca, cb = fx.new_client(), fx.new_client()
    pa = ca.call_async(a, DOMAIN_IFACE, "Create", "u", 0)
    pb = cb.call_async(b, DOMAIN_IFACE, "Create", "u", 0)
    pa.wait(harness.BOOT_TIMEOUT)
    pb.wait(harness.BOOT_TIMEOUT)
    events.wait_event(a, EV_STARTED)
    events.wait_event(b, EV_STARTED)
    ids = {fx.client.dom_prop(a, "Id"), fx.client.dom_prop(b, "Id")}
    check_eq(len(ids), 2, "distinct ids")
    check_eq(len(qemu_pids(fx.root)), 2, "qemu processes")
    # Both destroyed at once too.
    da = ca.call_async(a, DOMAIN_IFACE, "Destroy", "u", 0)
    db = cb.call_async(b, DOMAIN_IFACE, "Destroy", "u", 0)
    da.wait()
    db.wait()
    events.wait_event(a, EV_STOPPED)
    events.wait_event(b, EV_STOPPED)
    harness.wait_qemu_gone(fx.root, 30)
    fx.check_alive()


harness.main(globals())
