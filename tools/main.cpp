// Entry point of the `hearth` command: builds the subcommands from the registry.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "tools/command.h"

namespace hearth::tools {

std::vector<Command>& command_registry() {
  static std::vector<Command> commands;
  return commands;
}

int fail(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "hearth %s: %s\n", command.c_str(), message.c_str());
  return 1;
}

}  // namespace hearth::tools

int main(int argc, char** argv) {
  using namespace hearth::tools;
  // A forward pass allocates and frees activation buffers of a few MB per layer. By default
  // glibc serves each from a fresh mmap: page faults and kernel page zeroing every time (10% of
  // prefill). Keep buffers below 256 MiB on the heap, and the heap from shrinking, so they are reused.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{"hearth: a CPU-first runtime for quantized dense and Mixture-of-Experts LLMs.\n"
               "Run 'hearth <command> --help' for the options of one command."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hearth 0.1.0");
  auto& commands = command_registry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  std::function<int()> run;
  for (auto& c : commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    auto runner = std::make_shared<std::function<int()>>(c.setup(*sub));
    sub->callback([runner, &run] { run = *runner; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return run ? run() : 0;
}
