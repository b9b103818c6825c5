// The sub-command table of the `cgdmer` binary. Each cmd_<name>.cpp registers one command:
// it declares its flags on the CLI11 sub-app and returns the function that runs it. Flags
// are turned into a config struct here; the work is a library call (nothing in src/ reads
// argv). Registration is by a static object so that adding a command touches one file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace cgdmer::cli {

using Runner = std::function<int()>;

struct Command {
  std::string name;
  std::string summary;  // one line for `cgdmer --help`
  int order;            // position in the help listing (pipeline order)
  std::function<Runner(CLI::App&)> setup;
};

std::vector<Command>& command_table();

struct RegisterCommand {
  explicit RegisterCommand(Command c) { command_table().push_back(std::move(c)); }
};

}  // namespace cgdmer::cli
