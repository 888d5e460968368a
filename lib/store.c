/* lib/store.c: placeholder, being written */
