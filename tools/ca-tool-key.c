/* tools/ca-tool-key.c: ca-tool's key commands (none yet) */
#include "config.h"

#include "ca-tool.h"

const command ca_tool_key_commands[] = {
	{ NULL, NULL, NULL, NULL, 0 }
};
