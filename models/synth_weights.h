// Random bf16 weights for a synth tensor list (synth_shapes.h), streamed into a safetensors
// file chunk by chunk, so a multi-GB benchmark checkpoint needs only a small buffer. Values are
// approximately normal (sum of four uniforms, variance matched) from splitmix64, seeded per
// tensor in file order: fast and plenty for benchmark weights, the same bytes on every run, and
// not numpy's bit stream (models/synth.py).
// Not here: which tensors and scales (synth_shapes.h), the file format (src/io/safetensors_writer.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/synth_shapes.h"
#include "src/base/status.h"

namespace hearth::models {

// Called after each chunk with the bytes of tensor data written so far and in all.
using SynthProgress = std::function<void(uint64_t written, uint64_t total)>;

// Writes path (atomically: nothing is left on failure). Errors: those of SafetensorsWriter.
Status write_synth_weights(const std::string& path, const std::vector<SynthTensor>& tensors,
                           const SynthProgress& progress = {});

}  // namespace hearth::models
