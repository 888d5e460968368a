/* lib/store_sqlite.c: placeholder, being written */
