// entente: the command-line tool (cli/cli.h).
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return entente::cli::Run(args, std::cout, std::cerr, isatty(STDERR_FILENO) == 1);
}
