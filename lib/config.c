/* lib/config.c: placeholder, being written */
