// `hearth convert`: a Hugging Face checkpoint -> one .hearth file. Opens the source, builds the
// model from it (so a config that disagrees with the tensors is refused before any work),
// optionally runs it over calibration text for importance statistics, then streams the
// tensors one at a time: decode to float32, check for NaN/Inf, choose the format (policy.h),
// quantize with quant/'s scale search, measure the error against the source, escalate to a
// more precise format when --max-error is exceeded, and append to the file.
// Peak memory: about one tensor in float32 plus its packed copy.
// Not here: the file layout (src/io/hearth_file_format.h), the codecs (quant/), option parsing
// (tools/cmd_convert.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/convert/policy.h"

namespace hearth::convert {

inline constexpr const char* kConverterVersion = "hearth-convert 0.1.0";

struct ConvertOptions {
  std::string source;          // Hugging Face folder
  std::string output;          // the .hearth file to write
  std::string quant = "q8";    // preset: q8 | q4
  std::string policy;          // class=format overrides
  std::string calibrate;       // calibration text file ("" = none)
  int64_t calib_tokens = 8192; // use at most this many tokens of it
  int64_t calib_ctx = 256;     // window length of the calibration runs
  double max_error = 0;        // relative RMSE above which a tensor is escalated; 0 = off
  bool rtn = false;            // round-to-nearest (no scale search): the baseline
  bool progress = true;
};

struct TensorReport {
  std::string name;
  TensorClass cls = TensorClass::kOther;
  Format source = Format::kF32, format = Format::kF32;
  std::vector<int64_t> shape;
  uint64_t bytes = 0;
  double rel_rmse = 0, max_abs = 0;
  bool fallback = false;       // policy format's block does not divide the row: kept float
  bool escalated = false;      // --max-error moved it to a more precise format
  bool calibrated = false;     // quantized with activation importance
};

struct ConvertReport {
  std::vector<TensorReport> tensors;  // in file order
  std::string policy;                 // QuantPolicy::describe()
  std::string budget;                 // what fit_budget changed ("" = nothing)
  uint64_t file_bytes = 0;
  uint64_t tensor_bytes = 0;
  int64_t calib_tokens = 0;
  double seconds = 0;
};

Result<ConvertReport> convert_checkpoint(const ConvertOptions& opt);

// The end-of-run summary: per class formats, bits per weight, error (mean/max), fallbacks and
// escalations, file size against the sum of the tensors.
std::string summarize(const ConvertReport& report);

// Natural order ("layers.2" before "layers.10"): experts of a layer end up contiguous.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace hearth::convert
