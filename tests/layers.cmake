# The build's layer check (cmake/check_layer_includes.cmake) itself: it refuses a file of the
# model layer that includes an engine header, naming both, and passes one that includes only
# layers below it. The tree's own files are checked by every build.
get_property(_model_allowed GLOBAL PROPERTY HEARTH_LAYER_ALLOWED_model)
hearth_all_layer_dirs(_all_dirs)
foreach(_case upward downward)
  file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/layers/${_case}.cmake CONTENT
"set(LAYER model)
set(FILES \"${CMAKE_CURRENT_SOURCE_DIR}/layers/${_case}_include.cpp\")
set(ALLOWED \"${_model_allowed}\")
set(LAYER_DIRS \"${_all_dirs}\")
set(ROOT \"${PROJECT_SOURCE_DIR}\")
")
  add_test(NAME layers.${_case}_include
    COMMAND ${CMAKE_COMMAND} -DSPEC=${CMAKE_CURRENT_BINARY_DIR}/layers/${_case}.cmake
            -P ${PROJECT_SOURCE_DIR}/cmake/check_layer_includes.cmake)
endforeach()
set_tests_properties(layers.upward_include PROPERTIES
  PASS_REGULAR_EXPRESSION "tests/layers/upward_include.cpp includes src/engine/session.h")
set_tests_properties(layers.downward_include PROPERTIES FAIL_REGULAR_EXPRESSION "includes")
# No include cycle between the source folders, subfolders counted on their own (the kernel
# table and its reference kernels once included each other).
add_test(NAME layers.no_include_cycles
  COMMAND ${HEARTH_REFERENCE_PYTHON} ${PROJECT_SOURCE_DIR}/cmake/include_graph.py --subfolders ${PROJECT_SOURCE_DIR})
set_tests_properties(layers.no_include_cycles PROPERTIES PASS_REGULAR_EXPRESSION "cycles: none")
