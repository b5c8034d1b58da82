#include "src/model/kv_page_pool.h"

#include <cstring>
#include <new>

#include "src/base/size.h"

namespace hearth {

Result<std::unique_ptr<KvPagePool>> KvPagePool::create(int64_t page_bytes, int64_t budget_bytes) {
  if (page_bytes <= 0) return Status::errorf("KV page size must be positive, got {} bytes", page_bytes);
  const int64_t pages = budget_bytes > 0 ? budget_bytes / page_bytes : 0;
  if (pages <= 0)
    return Status::errorf("a KV cache budget of {} bytes holds no page of {} bytes; give a larger budget",
                          budget_bytes, page_bytes);
  if (pages > INT32_MAX) return Status::errorf("a KV cache budget of {} bytes is too many pages", budget_bytes);
  try {
    return std::unique_ptr<KvPagePool>(new KvPagePool(page_bytes, pages));
  } catch (const std::bad_alloc&) {
    return Status::errorf("cannot reserve {} bytes for the KV cache; give a smaller budget", pages * page_bytes);
  }
}

KvPagePool::KvPagePool(int64_t page_bytes, int64_t pages)
    : page_bytes_(page_bytes),
      memory_(new uint8_t[to_size(page_bytes * pages)]),  // default-initialised: not zeroed
      refs_(to_size(pages), 0) {
  free_.reserve(to_size(pages));
  for (int64_t p = pages - 1; p >= 0; --p) free_.push_back(static_cast<int32_t>(p));  // page 0 first
}

void KvPagePool::check_page(int32_t page) const {
  HEARTH_CHECK(page >= 0 && page < page_count(), "KV page {} of {}", page, page_count());
}

Result<int32_t> KvPagePool::allocate() {
  if (free_.empty())
    return Status::errorf("the KV cache is full: all {} pages of {} bytes are in use", page_count(), page_bytes_);
  const int32_t page = free_.back();
  free_.pop_back();
  refs_[to_size(page)] = 1;
  return page;
}

void KvPagePool::retain(int32_t page) {
  check_page(page);
  HEARTH_CHECK(refs_[to_size(page)] > 0, "retain of free KV page {}", page);
  ++refs_[to_size(page)];
}

void KvPagePool::release(int32_t page) {
  check_page(page);
  int32_t& refs = refs_[to_size(page)];
  HEARTH_CHECK(refs > 0, "release of free KV page {}", page);
  if (--refs == 0) free_.push_back(page);
}

Result<int32_t> KvPagePool::make_writable(int32_t page) {
  check_page(page);
  HEARTH_CHECK(refs_[to_size(page)] > 0, "write to free KV page {}", page);
  if (refs_[to_size(page)] == 1) return page;
  auto copy = allocate();
  if (!copy) return copy.status();
  std::memcpy(data(*copy), data(page), to_size(page_bytes_));
  release(page);
  return *copy;
}

int32_t KvPagePool::refcount(int32_t page) const {
  check_page(page);
  return refs_[to_size(page)];
}

uint8_t* KvPagePool::data(int32_t page) {
  check_page(page);
  return memory_.get() + static_cast<int64_t>(page) * page_bytes_;
}

const uint8_t* KvPagePool::data(int32_t page) const {
  check_page(page);
  return memory_.get() + static_cast<int64_t>(page) * page_bytes_;
}

}  // namespace hearth
