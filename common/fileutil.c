/* fileutil: being written. */
