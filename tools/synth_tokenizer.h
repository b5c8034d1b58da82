// A valid byte-level BPE tokenizer of any vocabulary size (>= 259) for synthetic checkpoints:
// the 256 byte tokens (GPT-2 byte-to-unicode), then merges of byte pairs, then of pair + byte,
// until the size is reached; the last three ids are <|endoftext|>, <|im_start|>, <|im_end|>.
// The pre-tokenizer and decoder are Qwen2's. Not a trained tokenizer: texts tokenize into
// 1-3 byte pieces.
#pragma once

#include <cstdint>
#include <string>

namespace hearth::tools {

std::string synth_tokenizer_json(int64_t vocab_size);
std::string synth_tokenizer_config_json(int64_t vocab_size);

}  // namespace hearth::tools
