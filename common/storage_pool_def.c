/* storage_pool_def: being written. */
