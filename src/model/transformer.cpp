#include "src/model/transformer.h"

#include "src/base/size.h"
#include "src/ops/ops.h"
#include "src/ops/parallel.h"

namespace hearth {

Transformer::Transformer(std::shared_ptr<const WeightSource> weights, TransformerSpec spec)
    : weights_(std::move(weights)), spec_(std::move(spec)) {}

KvCacheLayout Transformer::kv_layout() const {
  KvCacheLayout layout;
  for (const auto& l : spec_.layers) {
    layout.k_width.push_back(l.k_width);
    layout.v_width.push_back(l.v_width);
  }
  return layout;
}

// One thread team for the whole pass: its parallel ops (a hundred matmul calls per decoded
// token on Qwen3-0.6B) hand work to threads already waiting instead of forking each time.
Status Transformer::forward(const Batch& batch, KvCache& cache, std::vector<float>& logits,
                            Probe* probe) {
  Status status = Status::ok();
  ops::with_team(spec_.threads > 0 ? spec_.threads : ops::num_threads(), [&] { status = run_layers(batch, cache, logits, probe); });
  return status;
}

Status Transformer::run_layers(const Batch& batch, KvCache& cache, std::vector<float>& logits, Probe* probe) {
  const int64_t n = batch.size();
  const int64_t d = spec_.info.n_embd;
  const int64_t n_vocab = spec_.info.n_vocab;
  for (int64_t r = 0; r < n; ++r) {
    const int32_t tok = batch.token(r);
    if (tok < 0 || tok >= n_vocab)
      return Status::errorf("token id {} is outside the vocabulary (0..{})", tok, n_vocab - 1);
    if (batch.position(r) < 0) return Status::error("negative position in batch");
    if (!cache.has_sequence(batch.seq_id(r)))
      return Status::errorf("sequence {} has no KV cache", batch.seq_id(r));
  }
  // Every row's cache page before any layer writes: a full pool fails the pass here, whole.
  for (int64_t r = 0; r < n; ++r) HEARTH_TRY(cache.reserve(batch.seq_id(r), batch.position(r)));

  std::vector<float> x(to_size(n * d)), xn(to_size(n * d)), y(to_size(n * d));
  for (int64_t r = 0; r < n; ++r) ops::decode_row(spec_.token_embd, batch.token(r), x.data() + r * d);

  for (size_t l = 0; l < spec_.layers.size(); ++l) {
    DecoderLayer& layer = spec_.layers[l];
    LayerContext ctx{batch, cache, static_cast<int>(l), probe};
    ops::for_rows(n, n > 16, [&](int64_t r) {  // prefill: rows in parallel
      ops::rms_norm(x.data() + r * d, layer.attn_norm.data(), d, spec_.norm_eps, xn.data() + r * d);
    });
    if (ctx.probing("attn_in")) {  // input of the attention block's first linear layers
      const int64_t shape[2] = {n, d};
      probe->capture("attn_in", ctx.layer, shape, xn);
    }
    layer.attention->forward(ctx, xn.data(), y.data());
    ops::for_rows(n, n > 16, [&](int64_t r) {  // residual, then the FFN's norm, row by row
      ops::add_inplace(x.data() + r * d, y.data() + r * d, d);
      ops::rms_norm(x.data() + r * d, layer.ffn_norm.data(), d, spec_.norm_eps, xn.data() + r * d);
    });
    if (ctx.probing("ffn_in")) {  // input of the MLP / MoE block (router, gate, up)
      const int64_t shape[2] = {n, d};
      probe->capture("ffn_in", ctx.layer, shape, xn);
    }
    layer.ffn->forward(ctx, xn.data(), y.data());
    ops::for_rows(n, n > 16, [&](int64_t r) { ops::add_inplace(x.data() + r * d, y.data() + r * d, d); });
    if (ctx.probing("hidden")) {
      const int64_t shape[2] = {n, d};
      probe->capture("hidden", ctx.layer, shape, x);
    }
  }

  // Final norm and LM head only for the rows that want logits.
  const int64_t n_out = batch.n_outputs();
  std::vector<float> h(to_size(n_out * d));
  int64_t j = 0;
  for (int64_t r = 0; r < n; ++r)
    if (batch.wants_logits_at(r))
      ops::rms_norm(x.data() + r * d, spec_.output_norm.data(), d, spec_.norm_eps, h.data() + (j++) * d);
  if (probe && probe->wants("lm_head_in", -1)) {  // input of the LM head (layer -1: none)
    const int64_t shape[2] = {n_out, d};
    probe->capture("lm_head_in", -1, shape, h);
  }
  logits.resize(to_size(n_out * n_vocab));
  ops::matmul(spec_.lm_head, h.data(), n_out, logits.data());
  return Status::ok();
}

}  // namespace hearth
