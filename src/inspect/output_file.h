// Output files of the inspection commands: checking a path before the (possibly long) run,
// and writing text atomically enough that a failed write leaves no partial file.
// Not here: image encoding (heatmap_png.h).
#pragma once

#include <string>
#include <vector>

#include "src/base/status.h"

namespace hearth {

// The lower-case extension of path including the dot ("" if none).
std::string file_extension(const std::string& path);

// Errors when the extension is not one of `allowed` (".png", ...) or the folder does not exist
// or is not writable; `what` names the option in the message ("--out").
Status check_output_path(const std::string& path, const std::vector<std::string>& allowed, const std::string& what);

// Writes text to path; on failure removes what was written and says why.
Status write_text_file(const std::string& path, const std::string& text);

}  // namespace hearth
