// The setters a tier uses to fill its rows of the kernel table. Defined in kernel_table.cpp
// (compiled without ISA flags), so a per-ISA file includes only this header and kernel_types.h
// and never touches the KernelTable type itself.
// Not here: the table's layout (kernel_table.h), choosing a tier (src/dispatch/).
#pragma once

#include "src/kernels/kernel_types.h"

namespace hearth::kernels {

struct KernelTable;

void set_gemm(KernelTable& t, Format f, GemmFn fn, ActForm form);
void set_gemm_r16(KernelTable& t, Format f, GemmFn fn, ActForm form);
void set_prepare_q8(KernelTable& t, PrepareQ8Fn fn);
void set_prepare_q16(KernelTable& t, PrepareQ16Fn fn);
// A tier replaces the row helpers it has and keeps the lower tier's others.
void set_row_ops(KernelTable& t, const RowOps& ops);

}  // namespace hearth::kernels
