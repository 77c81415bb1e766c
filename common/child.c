/* child: being written. */
