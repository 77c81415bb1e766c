/* state_store: being written. */
