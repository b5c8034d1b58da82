// `hearth synth --shape NAME -o DIR`: writes a Hugging Face folder (config.json,
// model.safetensors with random bf16 weights in the real layout, a byte-level BPE
// tokenizer.json of the shape's vocabulary size, tokenizer_config.json) for benchmarks, so no
// Python is needed to benchmark. Streams tensors to disk; progress on stderr.
// Shapes: the benchmark shapes of ROOFLINE.md (bench-qwen3-0.6b, bench-qwen3moe-1b) and two
// small smoke shapes. Initialisation follows models/synth.py (linear: N(0, 1/fan_in); norms
// 1 + 0.1 N; head 2/sqrt(fan_in)), from a fast generator, not numpy's bit stream.
// Not here: test checkpoints with references (models/synth.py), quantization (hearth convert).
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/half.h"
#include "src/base/status.h"
#include "tools/command.h"
#include "tools/synth_tokenizer.h"

namespace hearth::tools {
namespace {

using nlohmann::json;

struct SynthShape {
  const char* name;
  bool moe;
  int64_t hidden, layers, n_ff, heads, kv_heads, head_dim, vocab, experts, experts_used;
  bool tied;
};

constexpr SynthShape kShapes[] = {
    {"bench-qwen3-0.6b", false, 1024, 28, 3072, 16, 8, 128, 151936, 0, 0, true},
    {"bench-qwen3moe-1b", true, 2048, 8, 768, 16, 4, 128, 151936, 32, 4, false},
    {"smoke-qwen3", false, 128, 2, 256, 4, 2, 32, 1024, 0, 0, true},
    {"smoke-qwen3moe", true, 128, 2, 64, 4, 2, 32, 1024, 5, 2, false},
};

json make_config(const SynthShape& s) {
  json c = {{"attention_bias", false}, {"attention_dropout", 0.0}, {"bos_token_id", s.vocab - 3},
            {"eos_token_id", s.vocab - 1}, {"head_dim", s.head_dim}, {"hidden_act", "silu"},
            {"hidden_size", s.hidden}, {"initializer_range", 0.02}, {"max_position_embeddings", 40960},
            {"max_window_layers", s.layers}, {"num_attention_heads", s.heads},
            {"num_hidden_layers", s.layers}, {"num_key_value_heads", s.kv_heads},
            {"rms_norm_eps", 1e-06}, {"rope_scaling", nullptr}, {"rope_theta", 1000000.0},
            {"sliding_window", nullptr}, {"tie_word_embeddings", s.tied}, {"torch_dtype", "bfloat16"},
            {"transformers_version", "4.57.1"}, {"use_cache", true}, {"use_sliding_window", false},
            {"vocab_size", s.vocab}};
  if (s.moe) {
    c["architectures"] = {"Qwen3MoeForCausalLM"};
    c["model_type"] = "qwen3_moe";
    c.update({{"decoder_sparse_step", 1}, {"intermediate_size", 3 * s.hidden}, {"mlp_only_layers", json::array()},
              {"moe_intermediate_size", s.n_ff}, {"norm_topk_prob", true}, {"num_experts", s.experts},
              {"num_experts_per_tok", s.experts_used}, {"output_router_logits", false},
              {"router_aux_loss_coef", 0.001}});
  } else {
    c["architectures"] = {"Qwen3ForCausalLM"};
    c["model_type"] = "qwen3";
    c["intermediate_size"] = s.n_ff;
  }
  return c;
}

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  float gain;  // values: offset + gain * N(0, 1)
  float offset;
};

std::vector<TensorSpec> tensor_specs(const SynthShape& s) {
  const int64_t H = s.hidden, hd = s.head_dim;
  const float lin_h = 1.0f / std::sqrt(static_cast<float>(H));
  std::vector<TensorSpec> t;
  t.push_back({"model.embed_tokens.weight", {s.vocab, H}, s.tied ? 2.0f * lin_h : 1.0f, 0.0f});
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back({p + "self_attn.q_proj.weight", {s.heads * hd, H}, lin_h, 0});
    t.push_back({p + "self_attn.k_proj.weight", {s.kv_heads * hd, H}, lin_h, 0});
    t.push_back({p + "self_attn.v_proj.weight", {s.kv_heads * hd, H}, lin_h, 0});
    t.push_back({p + "self_attn.o_proj.weight", {H, s.heads * hd}, 1.0f / std::sqrt(float(s.heads * hd)), 0});
    t.push_back({p + "self_attn.q_norm.weight", {hd}, 0.1f, 1.0f});
    t.push_back({p + "self_attn.k_norm.weight", {hd}, 0.1f, 1.0f});
    auto ffn = [&](const std::string& q) {
      t.push_back({q + "gate_proj.weight", {s.n_ff, H}, lin_h, 0});
      t.push_back({q + "up_proj.weight", {s.n_ff, H}, lin_h, 0});
      t.push_back({q + "down_proj.weight", {H, s.n_ff}, 1.0f / std::sqrt(float(s.n_ff)), 0});
    };
    if (s.moe) {
      t.push_back({p + "mlp.gate.weight", {s.experts, H}, 2.0f * lin_h, 0});
      for (int64_t e = 0; e < s.experts; ++e) ffn(p + "mlp.experts." + std::to_string(e) + ".");
    } else {
      ffn(p + "mlp.");
    }
    t.push_back({p + "input_layernorm.weight", {H}, 0.1f, 1.0f});
    t.push_back({p + "post_attention_layernorm.weight", {H}, 0.1f, 1.0f});
  }
  t.push_back({"model.norm.weight", {H}, 0.1f, 1.0f});
  if (!s.tied) t.push_back({"lm_head.weight", {s.vocab, H}, 2.0f * lin_h, 0});
  return t;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Approximately normal values (sum of 4 uniforms, variance matched) from splitmix64: fast and
// plenty for benchmark weights.
void fill_bf16(uint64_t seed, const TensorSpec& spec, int64_t begin, int64_t n, uint16_t* out) {
  constexpr int64_t kBlock = 1 << 16;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < (n + kBlock - 1) / kBlock; ++b) {
    uint64_t x = seed ^ (static_cast<uint64_t>(begin + b * kBlock) * 0x9E3779B97F4A7C15ull);
    for (int64_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) {
      float sum = 0;
      for (int k = 0; k < 2; ++k) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t z = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        sum += static_cast<float>(z & 0xffffffffu) * 2.3283064e-10f + static_cast<float>(z >> 32) * 2.3283064e-10f;
      }
      out[i] = f32_to_bf16(spec.offset + spec.gain * (sum - 2.0f) * 1.7320508f);
    }
  }
}

Status write_safetensors(const std::filesystem::path& path, const std::vector<TensorSpec>& specs) {
  json header = {{"__metadata__", {{"format", "pt"}}}};
  int64_t offset = 0;
  for (const TensorSpec& t : specs) {
    const int64_t bytes = numel(t.shape) * 2;
    header[t.name] = {{"dtype", "BF16"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status::errorf("cannot create {}: check the output folder is writable", path.string());
  const uint64_t hlen = h.size();
  f.write(reinterpret_cast<const char*>(&hlen), 8);
  f.write(h.data(), static_cast<std::streamsize>(h.size()));
  std::vector<uint16_t> buf(static_cast<size_t>(1) << 24);
  int64_t written = 0, last_report = 0;
  uint64_t seed = 0x5EED;
  for (const TensorSpec& t : specs) {
    const int64_t n = numel(t.shape);
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    for (int64_t i = 0; i < n; i += static_cast<int64_t>(buf.size())) {
      const int64_t m = std::min<int64_t>(n - i, static_cast<int64_t>(buf.size()));
      fill_bf16(seed, t, i, m, buf.data());
      f.write(reinterpret_cast<const char*>(buf.data()), m * 2);
      written += m * 2;
      if (written - last_report > (int64_t{256} << 20) || written == offset) {
        std::fprintf(stderr, "\rsynth: %.2f / %.2f GB", written / 1e9, offset / 1e9);
        last_report = written;
      }
    }
  }
  std::fputc('\n', stderr);
  if (!f.flush()) return Status::errorf("writing {} failed (disk full?)", path.string());
  return Status::ok();
}

struct SynthArgs {
  std::string shape;
  std::string out;
};

int run_synth(const SynthArgs& a) {
  const SynthShape* shape = nullptr;
  std::string names;
  for (const SynthShape& s : kShapes) {
    if (a.shape == s.name) shape = &s;
    names += std::string(names.empty() ? "" : ", ") + s.name;
  }
  if (!shape) return fail("synth", "unknown shape '" + a.shape + "'; expected one of: " + names);
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  if (ec) return fail("synth", "cannot create " + a.out + ": " + ec.message());
  const std::filesystem::path dir(a.out);
  std::ofstream(dir / "config.json") << make_config(*shape).dump(2) << "\n";
  std::ofstream(dir / "generation_config.json")
      << json{{"bos_token_id", shape->vocab - 3}, {"eos_token_id", shape->vocab - 1}, {"do_sample", false}}.dump(2) << "\n";
  std::fprintf(stderr, "synth: tokenizer with %lld tokens\n", static_cast<long long>(shape->vocab));
  std::ofstream(dir / "tokenizer.json") << synth_tokenizer_json(shape->vocab);
  std::ofstream(dir / "tokenizer_config.json") << synth_tokenizer_config_json(shape->vocab);
  const Status s = write_safetensors(dir / "model.safetensors", tensor_specs(*shape));
  if (!s) {
    std::filesystem::remove(dir / "model.safetensors", ec);
    return fail("synth", s.message());
  }
  std::fprintf(stderr, "synth: wrote %s (%s)\n", a.out.c_str(), shape->name);
  return 0;
}

const CommandRegistration kRegistration({
    "synth",
    "Write a Hugging Face folder with random bf16 weights of a benchmark shape",
    [](CLI::App& app) {
      auto a = std::make_shared<SynthArgs>();
      app.add_option("--shape", a->shape, "bench-qwen3-0.6b, bench-qwen3moe-1b, smoke-qwen3, smoke-qwen3moe")->required();
      app.add_option("-o,--output", a->out, "Output folder")->required();
      return [a] { return run_synth(*a); };
    }});

}  // namespace
}  // namespace hearth::tools
