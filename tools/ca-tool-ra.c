/* tools/ca-tool-ra.c: ca-tool's ra commands (none yet) */
#include "config.h"

#include "ca-tool.h"

const command ca_tool_ra_commands[] = {
	{ NULL, NULL, NULL, NULL, 0 }
};
