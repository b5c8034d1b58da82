#include "src/ops/packed_weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "src/dispatch/kernel_dispatch.h"
#include "src/kernels/repack_r16.h"
#include "src/base/log.h"
#include "src/base/size.h"
#include "src/base/status.h"
#include "src/ops/parallel.h"

namespace hearth::ops {
namespace {

// Slabs of 2 MiB multiples (transparent huge pages: fewer TLB misses while decode streams them).
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kSlabBytes = size_t{256} << 20;

size_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? to_size(pages) * to_size(page) : 0;
}

std::mutex fill_mutex;  // one fill at a time; filling itself is parallel

}  // namespace

PackedWeights::PackedWeights(std::function<void(const TensorView&)> release)
    : release_(std::move(release)), budget_(physical_memory() / 2) {
  if (const char* v = std::getenv("HEARTH_REPACK"); v && std::string_view(v) == "0") enabled_ = false;
}

PackedWeights::~PackedWeights() {
  for (const Slab& s : slabs_) munmap(s.data, s.size);
}

uint8_t* PackedWeights::allocate(size_t n) {
  n = (n + 63) / 64 * 64;
  if (slabs_.empty() || slabs_.back().size - slabs_.back().used < n) {
    const size_t size = (std::max(n, kSlabBytes) + kHugePage - 1) / kHugePage * kHugePage;
    // Address space only: pages appear (zeroed by the kernel) when a copy is first filled.
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    madvise(p, size, MADV_HUGEPAGE);  // advice only: fine if the kernel declines
    slabs_.push_back(Slab{static_cast<uint8_t*>(p), size, 0});
  }
  Slab& s = slabs_.back();
  uint8_t* out = s.data + s.used;
  s.used += n;
  return out;
}

TensorView PackedWeights::pack(const TensorView& w) {
  const auto& table = kernels::kernel_table();
  if (!enabled_ || w.packed || w.shape.size() != 2 || w.rows() < kernels::kPackRows ||
      !kernels::r16_format(w.format) || table.gemm_r16[static_cast<int>(w.format)] == nullptr)
    return w;
  const size_t n = kernels::r16_bytes(w.format, w.rows(), w.cols());
  if (used_ + n > budget_) {
    if (!warned_) log::info("weights past {} MiB stay in their stored layout (half of memory)", budget_ >> 20);
    warned_ = true;
    return w;
  }
  uint8_t* at = allocate(n);
  if (at == nullptr) return w;
  State& st = states_.emplace_back();
  st.source = w.data;
  st.rows = w.rows();
  st.cols = w.cols();
  st.format = w.format;
  st.release = release_ ? &release_ : nullptr;
  used_ += n;
  ++matrices_;
  TensorView packed = w;
  packed.packed = at;
  packed.packed_state = &st;
  return packed;
}

void ensure_packed(const TensorView& w) {
  HEARTH_CHECK(w.packed_state != nullptr, "{}: packed rows without their packer", w.name);
  auto* st = static_cast<PackedWeights::State*>(const_cast<void*>(w.packed_state));
  if (st->filled.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(fill_mutex);
  if (st->filled.load(std::memory_order_acquire)) return;
  const int64_t blocks = st->rows / kernels::kPackRows;
  uint8_t* out = const_cast<uint8_t*>(w.packed);
  for_rows(blocks, blocks >= 8, [&](int64_t b) { kernels::repack_r16(st->format, st->source, st->cols, b, b + 1, out); });
  st->filled.store(1, std::memory_order_release);
  if (st->release) (*st->release)(w);
}

}  // namespace hearth::ops
