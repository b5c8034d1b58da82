# Build-time check of one layer (run by hearth_check_layers, cmake/layers.cmake): every
# #include "path" in the layer's files must name a header of the layer itself or of a layer
# it depends on. Paths outside every layer's folders (system and third-party headers,
# generated tables) are not the check's business.
# Input: -DSPEC=file that sets LAYER, FILES, ALLOWED (folders this layer may include),
# LAYER_DIRS (every layer's folders) and ROOT.
cmake_minimum_required(VERSION 3.25)
include(${SPEC})
set(bad "")
foreach(file ${FILES})
  file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line ${lines})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" header "${line}")
    set(owner "")
    foreach(dir ${LAYER_DIRS})
      string(FIND "${header}" "${dir}/" at)
      if(at EQUAL 0)
        set(owner ${dir})
        break()
      endif()
    endforeach()
    if(owner AND NOT owner IN_LIST ALLOWED)
      file(RELATIVE_PATH rel ${ROOT} ${file})
      string(APPEND bad "\n  ${rel} includes ${header} (layer folder ${owner})")
    endif()
  endforeach()
endforeach()
if(bad)
  string(REPLACE ";" ", " allowed_text "${ALLOWED}")
  message(FATAL_ERROR "layer ${LAYER} includes from layers it does not depend on:${bad}\n"
    "${LAYER} may include only: ${allowed_text}.\n"
    "Dependencies point down the layers (README, Architecture); if this one does, declare it "
    "in the layer table of the top CMakeLists.txt, else move the code to the layer it belongs to.")
endif()
