/* lib/key.c: placeholder, being written */
