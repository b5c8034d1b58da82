// The `hearth` command's subcommand registry. Each tools/cmd_*.cpp registers one subcommand
// with a static CommandRegistration; main() builds the CLI11 app from the registry.
// Subcommands stay thin: parse options, call the library, map Status to an exit code.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace hearth::tools {

struct Command {
  std::string name;
  std::string summary;
  // Adds options to `app` and returns the function that runs after parsing (returns exit code).
  std::function<std::function<int()>(CLI::App& app)> setup;
};

std::vector<Command>& command_registry();

struct CommandRegistration {
  explicit CommandRegistration(Command c) { command_registry().push_back(std::move(c)); }
};

// Prints "hearth <command>: <message>" to stderr and returns the exit code for user errors.
int fail(const std::string& command, const std::string& message);

}  // namespace hearth::tools
