#include "src/convert/convert.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "models/loader.h"
#include "models/registry.h"
#include "quant/codec.h"
#include "quant/error.h"
#include "src/base/log.h"
#include "src/base/mapped_file.h"
#include "src/base/size.h"
#include "src/convert/calibration.h"
#include "src/convert/progress.h"
#include "src/io/hearth_file_checksum.h"
#include "src/io/hearth_file_writer.h"
#include "src/ops/ops.h"
#include "src/tokenizer/tokenizer.h"

namespace hearth::convert {
namespace {

// The source checkpoint's identity: every regular file of the folder, its size and XXH64.
nlohmann::json source_identity(const std::string& dir) {
  nlohmann::json files = nlohmann::json::array();
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    struct stat st {};
    const std::string path = dir + "/" + n;
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    auto f = MappedFile::open(path);
    if (!f) continue;
    files.push_back({{"name", n}, {"bytes", f->size()},
                     {"xxh64", fmt::format("{:016x}", xxh64(f->data(), f->size()))}});
  }
  return {{"path", dir}, {"files", files}};
}

struct Quantized {
  Format format;
  std::vector<uint8_t> bytes;
  double rel_rmse = 0, max_abs = 0;
};

// Quantizes w[rows][cols] into f and measures the error of the decoded values against w.
Result<Quantized> quantize_tensor(Format f, const std::vector<float>& w, int64_t rows, int64_t cols,
                                  const float* importance, const QuantOptions& qopt) {
  Quantized q;
  q.format = f;
  q.bytes.resize(format_bytes(f, to_size(rows * cols)));
  HEARTH_TRY(quantize_matrix(f, w.data(), rows, cols, q.bytes.data(), importance, qopt));
  const size_t row_bytes = format_bytes(f, to_size(cols));
  double err2 = 0, ref2 = 0, max_abs = 0;
#pragma omp parallel reduction(+ : err2, ref2) reduction(max : max_abs)
  {
    std::vector<float> dq(to_size(cols));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      dequantize_row(f, q.bytes.data() + r * row_bytes, cols, dq.data());
      const float* ref = w.data() + r * cols;
      for (int64_t i = 0; i < cols; ++i) {
        const double e = double(ref[i]) - dq[to_size(i)];
        err2 += e * e;
        ref2 += double(ref[i]) * ref[i];
        max_abs = std::max(max_abs, std::fabs(e));
      }
    }
  }
  q.rel_rmse = ref2 > 0 ? std::sqrt(err2 / ref2) : (err2 > 0 ? 1.0 : 0.0);
  q.max_abs = max_abs;
  return q;
}

Result<std::vector<int32_t>> calibration_tokens(const WeightSource& src, const ConvertOptions& opt) {
  auto text = read_text_file(opt.calibrate);
  if (!text) return text.status().with_context("--calibrate");
  if (src.tokenizer_json().empty())
    return Status::errorf("--calibrate needs the source's tokenizer.json, which {} lacks", src.description());
  auto tok = Tokenizer::from_files({src.tokenizer_json(), src.tokenizer_config_json()});
  if (!tok) return tok.status().with_context(src.description() + "/tokenizer.json");
  std::vector<int32_t> ids = tok->encode(*text, /*add_special_tokens=*/false);
  if (static_cast<int64_t>(ids.size()) > opt.calib_tokens) ids.resize(to_size(opt.calib_tokens));
  if (ids.size() < 2)
    return Status::errorf("--calibrate {}: the text gives {} tokens (expected at least 2; "
                          "use a longer text)", opt.calibrate, ids.size());
  return ids;
}

}  // namespace

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      const std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

Result<ConvertReport> convert_checkpoint(const ConvertOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  auto policy = make_policy(opt.quant, opt.policy);
  if (!policy) return policy.status();
  policy->search = !opt.rtn;
  if (opt.max_error < 0) return Status::errorf("--max-error {} must be >= 0", opt.max_error);

  auto source = models::open_weights(opt.source);
  if (!source) return source.status();
  const WeightSource& src = **source;
  // The architecture must accept the checkpoint before anything is written.
  auto model = models::build_model(*source);
  if (!model) return model.status().with_context("the source does not load as a model, so it is not converted");

  std::vector<std::string> names;
  for (const std::string& n : src.tensor_names()) {
    auto t = src.tensor(n);
    if (!t) return t.status();
    if (format_traits(t->format).quantized)
      return Status::errorf("{}: tensor '{}' is already quantized ({}); convert from the original "
                            "float checkpoint", src.description(), n, format_traits(t->format).name);
    names.push_back(n);
  }
  std::sort(names.begin(), names.end(), natural_less);
  const bool tied_embeddings = !src.has_tensor("lm_head.weight");
  std::vector<TensorPlan> plans;
  for (const std::string& n : names) {
    const TensorView t = src.tensor(n).value();
    plans.push_back({classify_tensor(n, tied_embeddings), t.format, t.shape.empty() ? std::vector<int64_t>{1} : t.shape});
  }
  const std::string budget = fit_budget(*policy, plans);

  ActivationStats stats;
  if (!opt.calibrate.empty()) {
    auto ids = calibration_tokens(src, opt);
    if (!ids) return ids.status();
    Progress bar("calibrate", "tok", 1.0, opt.progress);
    auto s = collect_activation_stats(**model, src, *ids, opt.calib_ctx,
                                      [&bar](int64_t d, int64_t n) { bar.update(double(d), double(n)); });
    bar.finish();
    if (!s) return s.status();
    stats = std::move(s.value());
  }
  model->reset();

  nlohmann::json meta = nlohmann::json::object();
  meta["architecture"] = src.config().value("architectures", nlohmann::json::array());
  meta["config"] = src.config();
  meta["tokenizer_json"] = src.tokenizer_json();
  meta["tokenizer_config_json"] = src.tokenizer_config_json();
  meta["generation_config"] = src.generation_config();
  meta["quantization"] = policy->to_json();
  meta["quantization"]["max_error"] = opt.max_error;
  meta["quantization"]["calibration"] = opt.calibrate.empty() ? nlohmann::json(nullptr)
      : nlohmann::json{{"file", opt.calibrate}, {"tokens", stats.tokens}, {"window", opt.calib_ctx}};
  meta["source"] = opt.source.empty() ? nlohmann::json{{"path", models::kBundledModelName}}
                                      : source_identity(opt.source);
  meta["converter"] = {{"name", "hearth convert"}, {"version", kConverterVersion}};

  std::vector<HearthTensorEntry> entries;
  uint64_t total_bytes = 0;
  for (const std::string& n : names) {
    auto t = src.tensor(n);
    HearthTensorEntry e;
    e.name = n;
    e.shape = t->shape.empty() ? std::vector<int64_t>{1} : t->shape;
    entries.push_back(std::move(e));
    total_bytes += t->nbytes;
  }
  auto writer = HearthFileWriter::create(opt.output, meta.dump(), std::move(entries));
  if (!writer) return writer.status();

  ConvertReport report;
  report.policy = policy->describe();
  report.budget = budget;
  report.calib_tokens = stats.tokens;
  QuantOptions qopt;
  qopt.search = policy->search;
  Progress bar("convert", "MB", 1e6, opt.progress);
  uint64_t done_bytes = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const TensorView t = src.tensor(names[i]).value();
    TensorReport tr;
    tr.name = t.name;
    tr.cls = classify_tensor(t.name, tied_embeddings);
    tr.source = t.format;
    tr.shape = (*writer)->entries()[i].shape;
    const int64_t cols = tr.shape.back(), rows = t.numel() / std::max<int64_t>(cols, 1);
    std::vector<float> w(to_size(t.numel()));
    TensorView flat = t;
    flat.shape = {rows, cols};
    for (int64_t r = 0; r < rows; ++r) ops::decode_row(flat, r, w.data() + r * cols);
    HEARTH_TRY(check_finite(w.data(), t.numel(), t.name).with_context(src.description()));

    Format f = choose_format(*policy, tr.cls, t.format, tr.shape, &tr.fallback);
    const auto imp_it = stats.importance.find(t.name);
    const float* imp = imp_it == stats.importance.end() ? nullptr : imp_it->second.data();
    Quantized q;
    while (true) {
      if (f == t.format) {  // a plain copy: lossless
        q = Quantized{f, std::vector<uint8_t>(t.data, t.data + t.nbytes), 0, 0};
        break;
      }
      auto r = quantize_tensor(f, w, rows, cols, imp, qopt);
      if (!r) return r.status().with_context("quantizing " + t.name);
      q = std::move(r.value());
      const auto next = escalate_format(f, t.format);
      if (opt.max_error <= 0 || q.rel_rmse <= opt.max_error || !next) break;
      f = *next;
      tr.escalated = true;
    }
    tr.format = q.format;
    tr.bytes = q.bytes.size();
    tr.rel_rmse = q.rel_rmse;
    tr.max_abs = q.max_abs;
    tr.calibrated = imp && format_traits(q.format).quantized;
    HEARTH_TRY((*writer)->write_tensor(i, q.format, q.bytes.data(), q.bytes.size(),
                                       static_cast<float>(q.rel_rmse), static_cast<float>(q.max_abs)));
    report.tensor_bytes += q.bytes.size();
    done_bytes += t.nbytes;
    bar.update(double(done_bytes), double(total_bytes), std::string(class_name(tr.cls)));
    report.tensors.push_back(std::move(tr));
  }
  bar.finish();
  HEARTH_TRY((*writer)->finish());
  struct stat st {};
  if (stat(opt.output.c_str(), &st) == 0) report.file_bytes = static_cast<uint64_t>(st.st_size);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace hearth::convert
