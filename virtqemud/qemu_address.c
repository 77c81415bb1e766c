/* qemu_address: being written. */
