// XXH64 (xxHash, 64-bit, seed 0): the checksum of every tensor and of the index of a .hearth
// file. A compact transcription of the published algorithm (Yann Collet, xxhash.h
// XXH64_round / XXH64_mergeRound / XXH64_avalanche), so the file format needs no library and
// files can be checked with any xxhsum -H64 implementation.
// Not here: cryptographic integrity (XXH64 detects corruption, not tampering).
#pragma once

#include <cstddef>
#include <cstdint>

namespace hearth {

uint64_t xxh64(const void* data, size_t n, uint64_t seed = 0);

}  // namespace hearth
