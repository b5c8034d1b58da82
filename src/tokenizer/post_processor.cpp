// Post-processor parsing, following huggingface/tokenizers src/processors/*.rs.
// A Sequence of processors composes their templates (ByteLevel contributes nothing).
#include "src/tokenizer/post_processor.h"

namespace hearth::tok {

using json = nlohmann::json;

Result<PostProcessor> PostProcessor::from_json(const json& j) {
  PostProcessor p;
  if (j.is_null()) return p;
  HEARTH_TRY(p.append(j));
  return p;
}

PostProcessor PostProcessor::bos_eos(std::vector<int32_t> bos, std::vector<int32_t> eos) {
  PostProcessor p;
  p.has_template_ = true;
  if (!bos.empty()) p.items_.push_back({false, std::move(bos)});
  p.items_.push_back({true, {}});
  if (!eos.empty()) p.items_.push_back({false, std::move(eos)});
  return p;
}

Status PostProcessor::append(const json& j) {
  const std::string type = j.value("type", "");
  if (type == "ByteLevel") return Status::ok();
  if (type == "Sequence") {
    for (const auto& sub : j.value("processors", json::array())) HEARTH_TRY(append(sub));
    return Status::ok();
  }
  if (has_template_) {
    return Status::errorf("post-processor: a Sequence with two templates ({}) is not supported", type);
  }
  if (type == "TemplateProcessing") {
    const json& special = j.value("special_tokens", json::object());
    for (const auto& item : j.at("single")) {
      if (item.contains("Sequence")) {
        items_.push_back({true, {}});
      } else if (item.contains("SpecialToken")) {
        const std::string name = item["SpecialToken"].at("id").get<std::string>();
        if (!special.contains(name)) {
          return Status::errorf("TemplateProcessing: special token '{}' is used in \"single\" but "
                                "missing from \"special_tokens\"", name);
        }
        items_.push_back({false, special[name].at("ids").get<std::vector<int32_t>>()});
      } else {
        return Status::errorf("TemplateProcessing: expected a Sequence or SpecialToken item, found {}",
                              item.dump());
      }
    }
    has_template_ = true;
    return Status::ok();
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    // {"cls": ["[CLS]", 101], "sep": ["[SEP]", 102]}
    items_.push_back({false, {j.at("cls").at(1).get<int32_t>()}});
    items_.push_back({true, {}});
    items_.push_back({false, {j.at("sep").at(1).get<int32_t>()}});
    has_template_ = true;
    return Status::ok();
  }
  return Status::errorf("unsupported post-processor type '{}' (supported: TemplateProcessing, "
                        "BertProcessing, RobertaProcessing, ByteLevel, Sequence)",
                        type.empty() ? j.dump() : type);
}

std::vector<int32_t> PostProcessor::apply(std::vector<int32_t> ids) const {
  if (items_.empty()) return ids;
  std::vector<int32_t> out;
  out.reserve(ids.size() + 4);
  for (const auto& item : items_) {
    if (item.is_sequence) out.insert(out.end(), ids.begin(), ids.end());
    else out.insert(out.end(), item.ids.begin(), item.ids.end());
  }
  return out;
}

}  // namespace hearth::tok
