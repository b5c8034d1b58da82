// The r16 layout: 16 weight rows interleaved per block of 32 columns, so that one 512-bit
// register holds the same 4 columns of 16 rows (lanes = rows). A VNNI kernel then multiplies
// a whole register by one broadcast 4-byte slice of a token's activations, and applies the
// 16 rows' block scales with one vector op per token per 32 columns (the canonical layout
// needs several per 2 rows). Built at load time from the canonical blocks (quant/blocks.h);
// the same bytes, reordered: 16 canonical rows and their r16 block have equal size.
//
// One r16 group (16 rows r, one block g of 32 columns), for q4g32, q4g32nl and q6g32:
//   bytes [0, 32)           16 float16 scales, row r at 2r
//   bytes [32, 288)         4 nibble chunks of 64 bytes; chunk c, row r, byte b (at 32 + 64c + 4r + b)
//                           = canonical byte q[4c + b] of row r: low nibble element 4c + b,
//                           high nibble element 16 + 4c + b
//   q6g32 only: [288, 416)  2 chunks of 64 bytes with the high 2 bits; chunk h, row r, byte b
//                           holds at bits 2f..2f+1 the high bits of element 16h + 4f + b
// So register j (0..7) of a group holds elements 4j..4j+3 of all 16 rows: j < 4 the low
// nibbles of chunk j, j >= 4 the high nibbles of chunk j - 4 (+ for q6g32 field j % 4 of
// high chunk j / 4, shifted to bits 4..5).
// q8g32 (for int16 activations, vpdpwssd: lanes hold pairs of columns):
//   bytes [0, 32)           16 float16 scales
//   bytes [32, 544)         16 chunks of 32 bytes; chunk k, row r: q[2k], q[2k + 1] of row r at
//                           32 + 32k + 2r (sign-extended to int16, chunk k is one register)
// f32, f16, bf16 (float activations, FMA): column-interleaved; element k of rows 16b..16b+15
//   at (k * 16 + r) * element size within block b (one register of 16 rows per column).
// A packed matrix is its 16-row blocks one after another, each its n_in / 32 groups in order;
// rows past the last whole block are not packed (kernels run them from the canonical rows).
// Plain C++: no ISA flags (repacking runs once, at load).
#pragma once

#include <cstddef>
#include <cstdint>

#include "quant/format.h"

namespace hearth::kernels {

constexpr int64_t kPackRows = 16;

// Whether format f has the r16 layout.
bool r16_format(Format f);

// Bytes of the packed rows [0, n_out / 16 * 16) of a [n_out][n_in] matrix of format f.
size_t r16_bytes(Format f, int64_t n_out, int64_t n_in);

// Packs 16-row blocks [block_begin, block_end) of canonical rows `data` ([n_out][n_in] in f)
// into `out` (the whole packed matrix; block b lands at its own offset). Blocks are
// independent, so callers may split the range across threads.
void repack_r16(Format f, const uint8_t* data, int64_t n_in, int64_t block_begin, int64_t block_end,
                uint8_t* out);

// The inverse, for tests and inspection: packed block `block` back to its 16 canonical rows.
void unpack_r16(Format f, const uint8_t* packed, int64_t n_in, int64_t block, uint8_t* rows);

}  // namespace hearth::kernels
