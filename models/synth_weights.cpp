// The synth weights generator (see synth_weights.h).
#include "models/synth_weights.h"

#include <algorithm>

#include "src/base/half.h"
#include "src/base/size.h"
#include "src/io/safetensors_writer.h"

namespace hearth::models {
namespace {

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t extent : shape) n *= extent;
  return n;
}

// Values [begin, begin + n) of one tensor into out; blocks of 2^16 values in parallel, each
// seeded from its position in the tensor, so the bytes do not depend on the thread count.
void fill_bf16(uint64_t seed, const SynthTensor& spec, int64_t begin, int64_t n, uint16_t* out) {
  constexpr int64_t kBlock = 1 << 16;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < (n + kBlock - 1) / kBlock; ++b) {
    uint64_t x = seed ^ (static_cast<uint64_t>(begin + b * kBlock) * 0x9E3779B97F4A7C15ull);
    for (int64_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
      float sum = 0;
      for (int k = 0; k < 2; ++k) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t z = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        sum += static_cast<float>(z & 0xffffffffu) * 2.3283064e-10f + static_cast<float>(z >> 32) * 2.3283064e-10f;
      }
      out[i] = f32_to_bf16(spec.offset + spec.gain * (sum - 2.0f) * 1.7320508f);
    }
  }
}

}  // namespace

Status write_synth_weights(const std::string& path, const std::vector<SynthTensor>& tensors,
                           const SynthProgress& progress) {
  std::vector<SafetensorsTensorInfo> infos;
  infos.reserve(tensors.size());
  for (const SynthTensor& t : tensors) infos.push_back({t.name, "BF16", t.shape});
  auto w = SafetensorsWriter::create(path, infos, {{"format", "pt"}});
  if (!w) return w.status();
  std::vector<uint16_t> buf(static_cast<size_t>(1) << 24);  // 32 MiB of bf16 values per chunk
  uint64_t seed = 0x5EED;
  for (const SynthTensor& t : tensors) {
    const int64_t n = numel(t.shape);
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    for (int64_t i = 0; i < n; i += static_cast<int64_t>(buf.size())) {
      const int64_t m = std::min<int64_t>(n - i, static_cast<int64_t>(buf.size()));
      fill_bf16(seed, t, i, m, buf.data());
      HEARTH_TRY((*w)->append(buf.data(), to_size(m) * 2));
      if (progress) progress((*w)->data_written(), (*w)->data_bytes());
    }
  }
  return (*w)->finish();
}

}  // namespace hearth::models
