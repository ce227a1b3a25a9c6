// Private to cli/: the commands of the table in cli.cc, one function each
// returning its entry. A new command adds its function here and its entry
// to the table.
#ifndef ENTENTE_CLI_COMMANDS_H_
#define ENTENTE_CLI_COMMANDS_H_

#include "cli/cli.h"

namespace entente::cli {

Command ImportCommand();  // import_command.cc
Command StatsCommand();   // stats_command.cc

}  // namespace entente::cli

#endif  // ENTENTE_CLI_COMMANDS_H_
