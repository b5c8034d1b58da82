# ctest helper (registered in tests/isa.cmake): fails when a compile command outside the tier
# folders (kernels_avx512/, kernels_arm/) carries an ISA flag (-mavx*, -march=...), i.e. when
# CPU-specific code leaks out of the kernel table.
file(READ ${COMMANDS} text)
string(JSON n LENGTH "${text}")
math(EXPR last "${n} - 1")
set(bad "")
foreach(i RANGE ${last})
  string(JSON cmd GET "${text}" ${i} command)
  string(JSON src GET "${text}" ${i} file)
  if(cmd MATCHES "-mavx|-march=" AND NOT src MATCHES "/kernels_(avx512|arm)/")
    list(APPEND bad ${src})
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "ISA flags outside kernels_avx512/ and kernels_arm/: ${bad}")
endif()
message(STATUS "ISA flags only on kernels_avx512/ and kernels_arm/ files (${n} compile commands checked)")
