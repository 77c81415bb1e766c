/* qemu_driver: being written. */
