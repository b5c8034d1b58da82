# ISA flags of the per-ISA kernel files, by file-name suffix, and nowhere else
# (tests/isa.cmake checks that no other file carries them). The default build stays portable:
# no -march=native. x86-64 builds kernels_avx512/ (the _avx2, _avx512 and _avx512vnni files),
# AArch64 kernels_arm/ (NEON is part of its baseline; the _neondot files get the dot-product
# extension); any other CPU the reference tier alone. Included from the top CMakeLists.txt
# after the layer table (the layer's sources were globbed there).
set(_x86 "x86_64|AMD64|i.86")
set(_arm "aarch64|arm64|ARM64")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "${_x86}")
  # -Wno-uninitialized: GCC 12's own AVX-512 headers trip it at -O3 (GCC bug 105593, the
  # _mm512_undefined_* self-initialisation); ISA files only.
  set(_avx2 "-mavx2 -mfma -mf16c -Wno-uninitialized -Wno-maybe-uninitialized")
  set(_avx512 "${_avx2} -mavx512f -mavx512bw -mavx512vl -mavx512dq")
  get_target_property(_sources hearth_kernels_avx512 SOURCES)
  foreach(src ${_sources})
    if(src MATCHES "_avx512vnni\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${_avx512} -mavx512vnni")
    elseif(src MATCHES "_avx512\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${_avx512}")
    elseif(src MATCHES "_avx2\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${_avx2}")
    endif()
  endforeach()
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "${_arm}")
  get_target_property(_sources hearth_kernels_arm SOURCES)
  foreach(src ${_sources})
    if(src MATCHES "_neondot\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "-march=armv8.2-a+dotprod")
    endif()
  endforeach()
endif()
