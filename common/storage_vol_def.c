/* storage_vol_def: being written. */
