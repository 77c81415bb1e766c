/* qemu_process: being written. */
