// libFuzzer target: the safetensors header parser must reject any input cleanly (no crash,
// no out-of-bounds read) and every accepted tensor must lie inside the input.
#include <cstddef>
#include <cstdint>

#include "src/base/status.h"
#include "src/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto index = hearth::SafetensorsIndex::parse({data, size}, "fuzz");
  if (index) {
    for (const auto& [name, e] : index->tensors()) {
      HEARTH_CHECK(e.view.data >= data && e.view.data + e.view.nbytes <= data + size, "tensor outside input");
      volatile uint8_t sink = 0;
      for (size_t i = 0; i < e.view.nbytes; i += 4096) sink = sink + e.view.data[i];
    }
  }
  return 0;
}
