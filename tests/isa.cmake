# Kernel tiers: re-run the golden and reference-comparison tests with the kernel table forced
# to each lower tier (HEARTH_ISA), and check that AVX-512 flags appear only on
# kernels_avx512/ and kernels_arm/ files (the default build stays portable).
set(HEARTH_ISA_GOLDEN_FILTER "*Golden*:*golden*")
foreach(tier ref avx2 avx512)
  add_test(NAME isa_${tier}_golden COMMAND hearth_models_tests --gtest_filter=${HEARTH_ISA_GOLDEN_FILTER})
  set_tests_properties(isa_${tier}_golden PROPERTIES ENVIRONMENT "HEARTH_ISA=${tier}" TIMEOUT 900)
endforeach()
add_test(NAME isa_flags_only_in_kernels
  COMMAND ${CMAKE_COMMAND} -DCOMMANDS=${PROJECT_BINARY_DIR}/compile_commands.json
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/check_isa_flags.cmake)
