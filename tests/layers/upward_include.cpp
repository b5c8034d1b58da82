// Fixture of tests/layers.cmake (never compiled): a model-layer file reaching up into the engine.
#include "src/base/status.h"
#include "src/engine/session.h"
