#include "src/model/kv_page_pool.h"

#include <algorithm>
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
  return std::unique_ptr<KvPagePool>(new KvPagePool(page_bytes, pages));
}

std::unique_ptr<KvPagePool> KvPagePool::unbounded(int64_t page_bytes) {
  HEARTH_CHECK(page_bytes > 0, "KV page size {}", page_bytes);
  return std::unique_ptr<KvPagePool>(new KvPagePool(page_bytes, INT32_MAX));
}

KvPagePool::KvPagePool(int64_t page_bytes, int64_t max_pages) : page_bytes_(page_bytes), max_pages_(max_pages) {}

void KvPagePool::check_page(int32_t page) const {
  HEARTH_CHECK(page >= 0 && to_size(page) < refs_.size(), "KV page {} of {}", page, refs_.size());
}

Result<int32_t> KvPagePool::allocate() {
  if (used_ >= max_pages_)
    return Status::errorf("the KV cache is full: all {} pages of {} bytes are in use", max_pages_, page_bytes_);
  int32_t page;
  if (!free_.empty()) {
    page = free_.back();
    free_.pop_back();
  } else {
    auto made = make_page();
    if (!made) return Status::errorf("out of memory for a KV cache page of {} bytes ({} pages held)", page_bytes_, used_);
    page = *made;
  }
  refs_[to_size(page)] = 1;
  ++used_;
  return page;
}

std::optional<int32_t> KvPagePool::make_page() {
  try {
    std::unique_ptr<uint8_t[]> bytes(new uint8_t[to_size(page_bytes_)]);  // default-initialised: not zeroed
    refs_.reserve(refs_.size() + 1);  // the one allocation that may still throw, before anything changes
    memory_.push_back(std::move(bytes));
    refs_.push_back(0);
  } catch (const std::bad_alloc&) {
    return std::nullopt;
  }
  return static_cast<int32_t>(refs_.size() - 1);
}

Status KvPagePool::prefault(int64_t pages) {
  constexpr size_t kOsPage = 4096;
  pages = std::min(pages, max_pages_);
  while (static_cast<int64_t>(memory_.size()) < pages) {
    auto made = make_page();
    if (!made) return Status::errorf("out of memory making {} KV cache pages of {} bytes", pages, page_bytes_);
    uint8_t* bytes = data(*made);
    for (size_t at = 0; at < to_size(page_bytes_); at += kOsPage) bytes[at] = 0;
    free_.push_back(*made);
  }
  return Status::ok();
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
  if (--refs == 0) {
    free_.push_back(page);
    --used_;
  }
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
  return memory_[to_size(page)].get();
}

const uint8_t* KvPagePool::data(int32_t page) const {
  check_page(page);
  return memory_[to_size(page)].get();
}

}  // namespace hearth
