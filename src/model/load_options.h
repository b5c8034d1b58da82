// How a model is built, beyond what its files say: chosen by the caller (a command's flags, a
// test, later the server) and passed through model loading to the architecture builders.
// One struct, so a new choice (a GPU expert executor, LoRA adapters) is a field here, not a
// global or an environment variable read deep in a builder.
// Not here: generation settings (src/engine/generation_defaults.h), the KV cache precision
// (the cache's, not the model's).
#pragma once

#include <memory>

#include "src/model/mla_layout.h"
#include "src/model/moe.h"

namespace hearth {

struct LoadOptions {
  // Where routed experts run; null: a CPU executor of the model's own.
  std::shared_ptr<ExpertExecutor> experts;
  // DeepSeek's multi-head latent attention: absorbed (the default) or plain (the test reference).
  MlaForm mla = MlaForm::kAbsorbed;
  // Threads of each forward pass (its thread team); 0: OpenMP's default (all cores).
  int threads = 0;
};

}  // namespace hearth
