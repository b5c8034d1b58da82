// Micro-benchmarks of the reference codecs in quant/: quantize (RTN vs scale search) and
// dequantize / dot throughput per format, plus one-shot error reports (relative RMSE per format,
// weight distribution and mode, as benchmark counters) that docs/QUANT.md quotes. The error
// reports include an emulation of llama.cpp's IQ4_NL scale search (ggml-quants.c,
// quantize_row_iq4_nl_impl, ntry = 7) on the same codebook, as the bar q4g32nl must clear.
// Not here: SIMD kernels (kernels_*), model-level quality (KL, perplexity).
//
//   hearth_benchmarks --benchmark_filter='QuantError'   error table
//   hearth_benchmarks --benchmark_filter='Quantize|Dequantize|DotRow'   throughput
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quant/codec.h"
#include "quant/error.h"
#include "src/base/half.h"
#include "tests/common/quant_test_util.h"

namespace hearth {
namespace {

constexpr int64_t kCols = 4096;
constexpr int64_t kRows = 64;
using test::kAllFormats;

std::vector<float> make_weights(const std::string& dist, int64_t n, uint32_t seed) {
  return test::random_weights(dist, n, seed);
}

// Expert weights of the bundled tiny Qwen3-MoE (bf16 safetensors), or empty if not found.
std::vector<float> real_expert_weights() {
  namespace fs = std::filesystem;
  const fs::path file = fs::path(__FILE__).parent_path().parent_path() / "models" /
                        "tiny-qwen3-moe" / "model.safetensors";
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), 8);
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  const auto meta = nlohmann::json::parse(header, nullptr, false);
  std::vector<float> out;
  if (meta.is_discarded()) return out;
  for (const auto& [name, t] : meta.items()) {
    if (name.find("experts") == std::string::npos || t.value("dtype", "") != "BF16") continue;
    const uint64_t a = t["data_offsets"][0], b = t["data_offsets"][1];
    std::vector<uint16_t> raw((b - a) / 2);
    in.seekg(static_cast<std::streamoff>(8 + header_len + a));
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(b - a));
    for (uint16_t h : raw) out.push_back(bf16_to_f32(h));
  }
  out.resize(out.size() / kCols * kCols);
  return out;
}

// llama.cpp's IQ4_NL search on one group of 32 (quantize_row_iq4_nl_impl, ntry = 7): weights
// x^2 without an importance matrix, imp * sqrt(sigma2 + x^2) with one; scale not fp16-aware.
void iq4nl_llama_group(const float* x, const float* imp, float* out) {
  float sigma2 = 0, amax = 0, mx = 0, w[32];
  for (int j = 0; j < 32; ++j) sigma2 += x[j] * x[j];
  sigma2 *= 2.0f / 32;
  for (int j = 0; j < 32; ++j) {
    w[j] = imp ? imp[j] * std::sqrt(sigma2 + x[j] * x[j]) : x[j] * x[j];
    if (std::fabs(x[j]) > amax) { amax = std::fabs(x[j]); mx = x[j]; }
  }
  if (amax == 0) { std::fill(out, out + 32, 0.0f); return; }
  float v[16];
  for (int k = 0; k < 16; ++k) v[k] = kCodebookQ4NL[k];
  auto nearest = [&](float a) {
    int best = 0;
    for (int k = 1; k < 16; ++k) if (std::fabs(a - v[k]) < std::fabs(a - v[best])) best = k;
    return best;
  };
  auto fit = [&](float id, float* sqx, float* sq2) {
    *sqx = *sq2 = 0;
    for (int j = 0; j < 32; ++j) {
      const float q = v[nearest(id * x[j])];
      *sqx += w[j] * q * x[j];
      *sq2 += w[j] * q * q;
    }
  };
  float sqx, sq2;
  fit(-v[0] / mx, &sqx, &sq2);  // d = -max/values[0]
  float d = sq2 > 0 ? sqx / sq2 : 0, best = d * sqx;
  for (int itry = -7; itry <= 7; ++itry) {
    fit((itry + v[0]) / mx, &sqx, &sq2);
    if (sq2 > 0 && sqx * sqx > best * sq2) { d = sqx / sq2; best = d * sqx; }
  }
  const float dh = f16_to_f32(f32_to_f16(d)), id = dh ? 1.0f / dh : 0.0f;
  for (int j = 0; j < 32; ++j) out[j] = dh * v[nearest(id * x[j])];
}

// One-shot error report: relative RMSE (importance-weighted when `weighted`) as counters.
void quant_error(benchmark::State& state, std::string fmt, std::string dist, bool search,
                 bool weighted) {
  std::vector<float> w = dist == "real" ? real_expert_weights()
                                        : make_weights(dist, kCols * kRows, 7);
  if (w.empty()) { state.SkipWithError("real weights not found"); return; }
  const int64_t n = static_cast<int64_t>(w.size());
  std::vector<float> imp;  // per column, lognormal: a few columns matter far more
  if (weighted) {
    std::mt19937 rng(11);
    std::lognormal_distribution<float> ln(0.0f, 1.5f);
    std::vector<float> col(kCols);
    for (auto& c : col) c = ln(rng);
    imp.resize(w.size());
    for (int64_t i = 0; i < n; ++i) imp[i] = col[i % kCols];
  }
  std::vector<float> deq(w.size());
  for (auto _ : state) {
    if (fmt == "iq4nl_llama") {
      for (int64_t g = 0; g < n; g += 32)
        iq4nl_llama_group(&w[g], weighted ? &imp[g] : nullptr, &deq[g]);
    } else {
      const Format f = *format_from_name(fmt);
      QuantOptions opt;
      opt.search = search;
      std::vector<uint8_t> q(format_bytes(f, w.size()));
      const Status s = quantize_matrix(f, w.data(), n / kCols, kCols, q.data(),
                                       weighted ? imp.data() : nullptr, opt);
      if (!s) { state.SkipWithError(s.message().c_str()); return; }
      for (int64_t r = 0; r < n / kCols; ++r)
        dequantize_row(f, q.data() + r * format_bytes(f, kCols), kCols, &deq[r * kCols]);
    }
  }
  const float* c = weighted ? imp.data() : nullptr;
  const std::vector<float> zeros(w.size(), 0.0f);
  state.counters["rel_rmse"] = std::sqrt(weighted_sq_error(w.data(), deq.data(), c, n) /
                                         weighted_sq_error(w.data(), zeros.data(), c, n));
}

void quantize_throughput(benchmark::State& state, Format f, bool search) {
  const auto w = make_weights("gaussian", kCols * kRows, 1);
  std::vector<uint8_t> q(format_bytes(f, w.size()));
  QuantOptions opt;
  opt.search = search;
  for (auto _ : state)
    for (int64_t r = 0; r < kRows; ++r) {
      const Status s = quantize_row(f, &w[r * kCols], kCols, q.data() + r * format_bytes(f, kCols),
                                    nullptr, opt);
      benchmark::DoNotOptimize(s);
    }
  state.SetItemsProcessed(state.iterations() * kCols * kRows);
}

void dequantize_throughput(benchmark::State& state, Format f) {
  const auto w = make_weights("gaussian", kCols, 2);
  std::vector<uint8_t> q(format_bytes(f, kCols));
  (void)quantize_row(f, w.data(), kCols, q.data(), nullptr, QuantOptions{});
  std::vector<float> out(kCols);
  for (auto _ : state) {
    dequantize_row(f, q.data(), kCols, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kCols);
}

void dot_throughput(benchmark::State& state, Format f) {
  const auto w = make_weights("gaussian", kCols, 3), x = make_weights("gaussian", kCols, 4);
  std::vector<uint8_t> q(format_bytes(f, kCols));
  (void)quantize_row(f, w.data(), kCols, q.data(), nullptr, QuantOptions{});
  for (auto _ : state) benchmark::DoNotOptimize(dot_row(f, q.data(), x.data(), kCols));
  state.SetItemsProcessed(state.iterations() * kCols);
}

const bool kRegistered = [] {
  for (Format f : kAllFormats) {
    const std::string name(format_traits(f).name);
    benchmark::RegisterBenchmark(("Quantize/" + name + "/rtn").c_str(), quantize_throughput, f,
                                 false);
    if (format_traits(f).quantized)
      benchmark::RegisterBenchmark(("Quantize/" + name + "/search").c_str(), quantize_throughput,
                                   f, true);
    benchmark::RegisterBenchmark(("Dequantize/" + name).c_str(), dequantize_throughput, f);
    benchmark::RegisterBenchmark(("DotRow/" + name).c_str(), dot_throughput, f);
  }
  for (std::string dist : {"gaussian", "laplacian", "uniform", "real"})
    for (bool weighted : {false, true})
      for (std::string fmt : {"bf16", "q8g32", "q4g32", "q4g32z", "q4g32nl", "iq4nl_llama"})
        for (bool search : {false, true}) {
          if (fmt == "iq4nl_llama" && !search) continue;
          if (fmt == "bf16" && search) continue;
          const std::string name = "QuantError/" + dist + (weighted ? "+imp/" : "/") + fmt +
                                   (fmt == "bf16" ? "" : search ? "/search" : "/rtn");
          benchmark::RegisterBenchmark(name.c_str(), quant_error, fmt, dist, search, weighted)
              ->Iterations(1)
              ->Unit(benchmark::kMillisecond);
        }
  return true;
}();

}  // namespace
}  // namespace hearth
