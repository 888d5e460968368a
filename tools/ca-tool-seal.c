/* tools/ca-tool-seal.c: ca-tool's seal commands (none yet) */
#include "config.h"

#include "ca-tool.h"

const command ca_tool_seal_commands[] = {
	{ NULL, NULL, NULL, NULL, 0 }
};
