// The single dispatch point of the kernels: which tier this process runs, chosen once from the
// CPU's features (and HEARTH_ISA) and logged once. Nothing else in the code tests an ISA flag.
// HEARTH_ISA=<tier> caps the tier, so one machine tests every tier below its best.
// Not here: the table's layout and the reference kernels (src/kernels/), the tiers themselves
// (kernels_avx512/, kernels_arm/).
#pragma once

#include <string>

#include "src/kernels/kernel_table.h"

namespace hearth::kernels {

// The table for this process (built on first use, logged once at info level).
const KernelTable& kernel_table();

// Tables by tier, for tests that walk every registered variant: table_at(0) is the reference
// tier, then every tier this CPU can run, best last.
int table_count();
const KernelTable& table_at(int i);

// The tiers this build knows for its CPU family, lowest first ("avx2, avx512, avx512vnni").
std::string tier_names();

}  // namespace hearth::kernels
