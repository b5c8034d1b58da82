// libFuzzer target for the .hearth header and tensor-table parser (src/io/hearth_file_format.h):
// any byte string must either parse into an index whose every tensor lies inside the input
// without overlaps, or be refused with a message; never crash, hang or read out of bounds.
// The index checksum is skipped on one pass so mutations reach the table parser.
// Built with clang by tests/convert.cmake; seeds in tests/fuzz/corpus/hearth_file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "src/io/hearth_file_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  for (bool check : {true, false}) {
    auto idx = hearth::parse_index(bytes, size, "fuzz", check);
    if (!idx) continue;
    for (const auto& e : idx->tensors)
      if (e.offset > size || e.nbytes > size - e.offset || e.offset < idx->data_offset) std::abort();
  }
  return 0;
}
