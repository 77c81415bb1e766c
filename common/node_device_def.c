/* node_device_def: being written. */
