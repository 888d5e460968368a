/* tools/cli.c: placeholder, being written */
