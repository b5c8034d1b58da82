#include "src/engine/generation_defaults.h"

#include <algorithm>

namespace hearth {

std::vector<int32_t> end_of_generation_ids(const Model& model, const Tokenizer& tok) {
  std::vector<int32_t> ids = model.info().eos_ids;
  if (auto eos = tok.eos_id(); eos && std::find(ids.begin(), ids.end(), *eos) == ids.end()) ids.push_back(*eos);
  return ids;
}

}  // namespace hearth
