/* tools/ca-tool.c: placeholder, being written */
