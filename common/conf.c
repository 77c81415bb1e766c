/* conf: being written. */
