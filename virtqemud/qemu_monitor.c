/* qemu_monitor: being written. */
