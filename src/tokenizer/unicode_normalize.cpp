// UAX #15 normalization: full decomposition (canonical or compatibility, Hangul done
// algorithmically), canonical reordering by combining class, canonical composition.
// A quick check skips text made only of characters that no form changes (e.g. ASCII).
// Not here: the table itself (unicode_tables.inc, generated).
#include "src/tokenizer/unicode_normalize.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "src/base/utf8.h"

namespace hearth::tok {
namespace {

struct DecompEntry {
  uint32_t cp;
  uint16_t offset;  // into kDecompPool
  uint8_t length;
  uint8_t compat;   // 1: compatibility mapping (<font>, <compat>, ...)
};
struct CccRange {
  uint32_t first, last;
  uint8_t ccc;
};
struct ComposeEntry {
  uint32_t first, second, composite;
};
struct CpRange {
  uint32_t first, last;
};

#include "src/tokenizer/unicode_tables.inc"

// Hangul syllable arithmetic (Unicode chapter 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
              kSCount = kLCount * kNCount;

template <typename Range, size_t N>
bool in_ranges(const Range (&table)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(table), std::end(table), c,
                             [](char32_t v, const Range& r) { return v < r.first; });
  return it != std::begin(table) && c <= std::prev(it)->last;
}

void decompose(char32_t c, bool compat, std::u32string& out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    const int s = static_cast<int>(c - kSBase);
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  auto it = std::lower_bound(std::begin(kDecomp), std::end(kDecomp), c,
                             [](const DecompEntry& e, char32_t v) { return e.cp < v; });
  if (it == std::end(kDecomp) || it->cp != c || (it->compat && !compat)) {
    out.push_back(c);
    return;
  }
  for (int k = 0; k < it->length; ++k) decompose(kDecompPool[it->offset + k], compat, out);
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  auto it = std::lower_bound(std::begin(kCompose), std::end(kCompose), std::pair(a, b),
                             [](const ComposeEntry& e, const std::pair<char32_t, char32_t>& v) {
                               return e.first < v.first ||
                                      (e.first == v.first && e.second < v.second);
                             });
  if (it != std::end(kCompose) && it->first == a && it->second == b) return it->composite;
  return 0;
}

void reorder(std::u32string& s) {
  // Stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < s.size();) {
    if (combining_class(s[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && combining_class(s[j]) != 0) ++j;
    std::stable_sort(s.begin() + static_cast<ptrdiff_t>(i), s.begin() + static_cast<ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
}

void compose(std::u32string& s) {
  if (s.empty()) return;
  size_t starter = 0;
  bool have_starter = combining_class(s[0]) == 0;
  size_t out = 1;
  int last_ccc = have_starter ? 0 : 256;
  for (size_t i = 1; i < s.size(); ++i) {
    const char32_t c = s[i];
    const int ccc = combining_class(c);
    if (have_starter) {
      // Not blocked: no character between starter and c with ccc 0 or >= ccc(c).
      const bool blocked = out - 1 != starter && (last_ccc == 0 || last_ccc >= ccc);
      if (!blocked) {
        if (char32_t p = compose_pair(s[starter], c)) {
          s[starter] = p;
          continue;
        }
      }
    }
    if (ccc == 0) {
      starter = out;
      have_starter = true;
    }
    last_ccc = ccc;
    s[out++] = c;
  }
  s.resize(out);
}

}  // namespace

int combining_class(char32_t c) {
  if (c < 0x300) return 0;
  auto it = std::upper_bound(std::begin(kCcc), std::end(kCcc), c,
                             [](char32_t v, const CccRange& r) { return v < r.first; });
  if (it == std::begin(kCcc)) return 0;
  --it;
  return c <= it->last ? it->ccc : 0;
}

std::string unicode_normalize(std::string_view text, NormalForm form) {
  const bool compat = form == NormalForm::kNfkc || form == NormalForm::kNfkd;
  const bool comp = form == NormalForm::kNfc || form == NormalForm::kNfkc;
  // Quick check: characters below U+00A0 never change; for the composed forms, also
  // those outside the generated "unstable" ranges.
  bool stable = true;
  for (size_t i = 0; i < text.size() && stable;) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const char32_t c = utf8_next(text, i);
    if (!comp) {
      stable = false;
    } else {
      stable = compat ? !in_ranges(kNfkcUnstable, c) : !in_ranges(kNfcUnstable, c);
    }
  }
  if (stable) return std::string(text);

  std::u32string buf;
  buf.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) decompose(utf8_next(text, i), compat, buf);
  reorder(buf);
  if (comp) compose(buf);
  return u32_to_utf8(buf);
}

}  // namespace hearth::tok
