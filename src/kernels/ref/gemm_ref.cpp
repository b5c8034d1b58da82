// Reference tier rows of the table beyond matmul/decode: the float-activation gemm (a thin
// adapter over the reference matmul), the q8 activation preparation (quant/codec.h's
// quantize_activations_q8, same rounding) and the scalar row helpers the ops layer used.
// Not here: anything faster (those live in the per-ISA files and are tested against these).
#include <algorithm>
#include <cmath>

#include "src/base/size.h"
#include "src/kernels/ref/ref_kernels.h"

namespace hearth::kernels::ref {
namespace {

template <Format kFormat>
void gemm_f32act(const WeightRows& w, const ActView& x, float* y, int64_t ldy, int64_t o_begin,
                 int64_t o_end) {
  TensorView view;
  view.format = kFormat;
  view.shape = {w.n_out, w.n_in};
  view.data = w.data;
  view.nbytes = to_size(w.row_bytes * w.n_out);
  reference_table_matmul(kFormat)(view, x.f32, x.ld_f32, x.n_tok, y, ldy, o_begin, o_end);
}

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void swiglu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void axpy(float a, const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

float dot(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void dot_rows(const float* q, const float* const* rows, int64_t n, int64_t dim, float* out) {
  for (int64_t p = 0; p < n; ++p) out[p] = dot(q, rows[p], dim);
}

void weighted_sum_rows(const float* w, const float* const* rows, int64_t n, int64_t dim, float* out) {
  for (int64_t i = 0; i < dim; ++i) out[i] = 0.0f;
  for (int64_t p = 0; p < n; ++p) axpy(w[p], rows[p], dim, out);
}

// The definition: per query, scores, a softmax (sum in double), the weighted sum of values.
void attend(const AttendBlock& b, float* scratch) {
  for (int64_t i = 0; i < b.n_q; ++i) {
    const int64_t n = b.end[i] - b.begin[i];
    float mx = -INFINITY;
    for (int64_t p = 0; p < n; ++p) {
      scratch[p] = dot(b.q[i], b.k[b.begin[i] + p], b.dk) * b.scale;
      mx = std::max(mx, scratch[p]);
    }
    double sum = 0;
    for (int64_t p = 0; p < n; ++p) sum += scratch[p] = std::exp(scratch[p] - mx);
    for (int64_t p = 0; p < n; ++p) scratch[p] = static_cast<float>(scratch[p] / sum);
    weighted_sum_rows(scratch, b.v + b.begin[i], n, b.dv, b.out[i]);
  }
}

// The definition of the online softmax: per query head, the chunk's scores, the new maximum,
// the old sums rescaled to it, then this chunk's terms added (sums in double, per call).
void attend_rows(const AttendRows& a, const AttendState& st, float* scratch) {
  if (a.n == 0) return;
  for (int64_t h = 0; h < a.n_head; ++h) {
    const int64_t g = h / a.group;
    const float* q = a.q + h * a.dk;
    float mx = st.m[h];
    for (int64_t p = 0; p < a.n; ++p) {
      scratch[p] = dot(q, a.k[p] + g * a.dk, a.dk) * a.scale;
      mx = std::max(mx, scratch[p]);
    }
    const float rescale = st.m[h] == -INFINITY ? 0.0f : std::exp(st.m[h] - mx);
    double sum = 0;
    for (int64_t p = 0; p < a.n; ++p) sum += scratch[p] = std::exp(scratch[p] - mx);
    float* o = st.o + h * a.dv;
    for (int64_t i = 0; i < a.dv; ++i) {
      double acc = static_cast<double>(o[i]) * rescale;
      for (int64_t p = 0; p < a.n; ++p) acc += static_cast<double>(scratch[p]) * a.v[p][g * a.dv + i];
      o[i] = static_cast<float>(acc);
    }
    st.l[h] = static_cast<float>(st.l[h] * rescale + sum);
    st.m[h] = mx;
  }
}

}  // namespace

// ggml quantize_row_q8_0_ref with a float scale, as quant/codec.cpp quantize_activations_q8.
void prepare_q8_ref(const float* x, int64_t n, int8_t* q, float* d, float* ds, int32_t* qsum) {
  for (int64_t g = 0; g < n / 32; ++g) {
    const float* xb = x + g * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    const float scale = amax / 127.0f;
    const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    int32_t sum = 0;
    for (int i = 0; i < 32; ++i) {
      const float r = std::fmax(-127.0f, std::fmin(127.0f, std::round(xb[i] * inv)));
      q[g * 32 + i] = static_cast<int8_t>(r);
      sum += q[g * 32 + i];
    }
    d[g] = scale;
    ds[g] = scale * static_cast<float>(sum);
    qsum[g] = sum;
  }
}

void register_reference_gemm(KernelTable& t) {
  GemmFn fns[] = {gemm_f32act<Format::kF32>,   gemm_f32act<Format::kF16>,
                  gemm_f32act<Format::kBF16>,  gemm_f32act<Format::kQ8G32>,
                  gemm_f32act<Format::kQ4G32>, gemm_f32act<Format::kQ4G32Z>,
                  gemm_f32act<Format::kQ4G32NL>, gemm_f32act<Format::kQ6G32>};
  static_assert(sizeof(fns) / sizeof(fns[0]) == static_cast<size_t>(Format::kCount));
  for (int f = 0; f < static_cast<int>(Format::kCount); ++f) {
    t.gemm[f] = fns[f];
    t.act_form[f] = ActForm::kF32;
  }
  t.prepare_q8 = prepare_q8_ref;
  t.row.rms_norm = rms_norm;
  t.row.swiglu = swiglu;
  t.row.axpy = axpy;
  t.row.dot = dot;
  t.row.dot_rows = dot_rows;
  t.row.weighted_sum_rows = weighted_sum_rows;
  t.row.attend = attend;
  t.row.attend_rows = attend_rows;
}

}  // namespace hearth::kernels::ref
