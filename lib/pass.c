/* lib/pass.c: placeholder, being written */
