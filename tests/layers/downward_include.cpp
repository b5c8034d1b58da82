// Fixture of tests/layers.cmake (never compiled): a model-layer file using only layers below it.
#include <vector>

#include "src/base/status.h"
#include "src/ops/ops.h"
#include "unicode_tables.inc"
